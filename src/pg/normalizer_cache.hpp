// Per-backend memo of phone normalizations, keyed by raw text, region and
// acceptance. A stream of events repeats the same numbers; libphonenumber
// parses each in ~30 us, a memo hit costs a hash look-up.
#pragma once

#include "core/phone.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace pm::pg {

core::Normalized cached_normalize_phone(std::string_view raw, std::string_view region,
                                        core::PhoneAccept accept);

struct PhoneRequest {
    std::string raw, region;
    core::PhoneAccept accept;
};

// Normalizes the requests the memo does not hold yet on all cores (the core
// is thread-safe and touches no Postgres state), then stores the results, so
// the following cached_normalize_phone calls are hits. For the bulk path.
void prewarm_phone_memo(const std::vector<PhoneRequest>& requests);

}  // namespace pm::pg
