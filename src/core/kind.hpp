#pragma once
#include "core/no_postgres.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace pm::core {

// The kinds of identity an event can carry. `Profile` is the profile_hint.
// The four named ones are built in; a custom kind (a row of
// identifier_kinds such as `anonymous_id`) is a value past them, handed out
// by intern_kind() once per name and backend, so that kinds compare as
// integers on the hot path whatever their names.
enum class Kind : std::uint16_t { Profile, ExternalId, Email, Phone };

// The three kinds stored in profiles/identifiers, in their canonical order.
inline constexpr std::array<Kind, 3> kStoredKinds = {Kind::ExternalId, Kind::Email,
                                                     Kind::Phone};

// "profile", "external_id", "email", "phone", or a custom kind's name.
std::string_view kind_name(Kind kind);

// The built-in kind of that name, or the custom kind already interned under
// it; nothing for a name never seen.
std::optional<Kind> parse_kind(std::string_view name);

// The kind of that name, interning it as a custom kind when it is new. The
// caller checks the name against identifier_kinds' pattern first.
Kind intern_kind(std::string_view name);

bool is_builtin(Kind kind);

// A kind whose values are also kept in a profiles column (the primary).
bool has_column(Kind kind);

}  // namespace pm::core
