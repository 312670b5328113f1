#pragma once
#include "core/no_postgres.hpp"

#include <array>
#include <optional>
#include <string_view>

namespace pm::core {

// The kinds of identity an event can carry. `Profile` is the profile_hint.
enum class Kind { Profile, ExternalId, Email, Phone };

// The three kinds stored in profiles/identifiers, in their canonical order.
inline constexpr std::array<Kind, 3> kStoredKinds = {Kind::ExternalId, Kind::Email,
                                                     Kind::Phone};

std::string_view kind_name(Kind kind);  // "profile", "external_id", "email", "phone"
std::optional<Kind> parse_kind(std::string_view name);

}  // namespace pm::core
