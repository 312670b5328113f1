// One event through the rules: load what the core needs, lock, decide,
// apply; retried when a concurrent transaction changed what was read.
#pragma once

#include "core/rules.hpp"
#include "pg/resolve/event_request.hpp"
#include "pg/store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pm::pg {

struct Resolution {
    core::Outcome outcome = core::Outcome::Rejected;
    std::optional<core::ProfileId> profile;
    std::vector<core::DetailEntry> detail;
    std::vector<std::int64_t> merge_ids;
};

// Must run inside an SpiScope; `store` works on request.account.
Resolution resolve_event(EventRequest& request, Store& store);

}  // namespace pm::pg
