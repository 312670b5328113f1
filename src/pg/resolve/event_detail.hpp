// events.detail as jsonb, built from core::detail_fields() without a JSON
// text to parse: what the events trigger and ingest() write into the row.
#pragma once

#include "pg/boundary/postgres.hpp"
#include "pg/resolve/resolve_event.hpp"

#include "core/detail_fields.hpp"

#include <vector>

namespace pm::pg {

// Postgres C only (call inside pg_call). The array of objects, in the
// current memory context; the same jsonb that jsonb_in gives for its text.
Datum detail_jsonb(const std::vector<core::DetailObject>& objects);

// The events.detail jsonb of a resolved event, in the current memory
// context. With `scratch`, the work is done there and the context emptied
// (the builder's garbage, a few KB an event, adds up over an ingest batch).
Datum event_detail(const Resolution& resolution, const PreparedEvent& prepared,
                   MemoryContext scratch = NULL);

}  // namespace pm::pg
