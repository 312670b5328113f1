// events.detail as jsonb, built from core::detail_fields() without a JSON
// text to parse.
#pragma once

#include "pg/boundary/postgres.hpp"

#include "core/detail_fields.hpp"

#include <vector>

namespace pm::pg {

// Postgres C only (call inside pg_call). The array of objects, in the
// current memory context; the same jsonb that jsonb_in gives for its text.
Datum detail_jsonb(const std::vector<core::DetailObject>& objects);

}  // namespace pm::pg
