#pragma once
#include "core/no_postgres.hpp"

#include <string_view>

#include "core/normalized.hpp"

namespace pm::core {

inline constexpr std::size_t kMaxExternalId = 255;

// An application's own id for a person: white space around it removed,
// otherwise kept exactly (case matters); refused when it holds a control
// character or is longer than kMaxExternalId bytes (it must fit an index).
Normalized normalize_external_id(std::string_view raw);

// The same for any kind whose normalizer is `text` (a custom kind such as
// anonymous_id); the reasons name `kind`.
Normalized normalize_text(std::string_view raw, std::string_view kind);

}  // namespace pm::core
