// One event through the rules: load what the core needs, lock, decide,
// apply; retried when a concurrent transaction changed what was read.
#pragma once

#include "core/rules.hpp"
#include "pg/store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pm::pg {

// What an event row (or a consent row) brings to the rules.
struct EventRequest {
    std::int64_t account = 0;
    std::string source;
    core::Event event;              // identifiers normalized, owners not yet known
    Datum properties = 0;           // a non-empty jsonb object, or 0
    std::optional<std::int64_t> event_id;
    Datum occurred_at = 0;          // timestamptz for consent rows, or 0 for now()
};

struct Resolution {
    core::Outcome outcome = core::Outcome::Rejected;
    std::optional<core::ProfileId> profile;
    std::vector<core::DetailEntry> detail;
    std::vector<std::int64_t> merge_ids;
};

// Must run inside an SpiScope; `store` works on request.account.
Resolution resolve_event(EventRequest& request, Store& store);

// The normalized identifier of `kind` for an event (phones in `region`),
// classified as the rules need it: usable, invalid with its reason, or
// blocked. `normalized` receives the canonical value when there is one.
core::EventIdentifier classify_identifier(std::int64_t account, const core::Policy& policy,
                                          core::Kind kind, const std::string& raw,
                                          const std::optional<std::string>& region,
                                          std::optional<std::string>* normalized);

}  // namespace pm::pg
