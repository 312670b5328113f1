#pragma once
#include "core/no_postgres.hpp"

#include <optional>
#include <string>
#include <string_view>

#include "core/normalized.hpp"

namespace pm::core {

// Canonical form of an e-mail address (DESIGN.md section 2): surrounding white
// space and a leading "mailto:" removed, lower-cased, a dot-atom local part, a
// domain of at least two labels converted to ASCII (IDNA/punycode), at most
// 254 octets. No provider-specific rewriting.
Normalized normalize_email(std::string_view raw);

// Why a normalized address is a placeholder an application sends when the
// field is missing, or nothing: its local part equals its domain's first
// label (x@x.com, fake@fake.com, test@test.co.uk). The classic placeholders
// that do not follow that shape are rows of blocked_values.
std::optional<std::string> placeholder_email_reason(std::string_view address);

}  // namespace pm::core
