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

}  // namespace pm::core
