// Per-backend memo of phone normalizations, keyed by region, acceptance and
// the number as typed. A stream of events repeats the same numbers;
// libphonenumber parses each in ~30 us, a memo hit costs a hash look-up.
// Numbers found valid are kept under their digits (core::phone_memo_form),
// so "(415) 555-0132" and "415.555.0132" share one entry; refusals are kept
// under the text as typed (their reasons may quote it).
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
