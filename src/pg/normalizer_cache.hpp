// Per-backend memo of phone normalizations, keyed by raw text, region and
// acceptance. A stream of events repeats the same numbers; libphonenumber
// parses each in ~30 us, a memo hit costs a hash look-up.
#pragma once

#include "core/phone.hpp"

#include <string_view>

namespace pm::pg {

core::Normalized cached_normalize_phone(std::string_view raw, std::string_view region,
                                        core::PhoneAccept accept);

}  // namespace pm::pg
