// What a merges row keeps of each profile for unmerge() (survivor_before,
// merged_before): a jsonb object of the columns a merge changes. Both
// writers (TableStore::merge and MemoryStore's merge log) build it with
// this one expression, and unmerge() (src/sql) reads these keys back.
#pragma once

// The SQL expression of the saved state of a profile whose columns are
// named <prefix>external_id, <prefix>email, ... in the statement: a string
// literal, so that the statements stay compile-time constants.
#define PM_SAVED_STATE_SQL(prefix)                                                           \
    "jsonb_build_object('external_id', " prefix "external_id, 'email', " prefix "email, "   \
    "'phone', " prefix "phone, 'properties', " prefix "properties, 'updated_at', " prefix    \
    "updated_at)"
