// A profile's row updated without SQL (write_target.hpp says why and what
// is kept), through ExecSimpleRelationUpdate as the logical replication
// worker applies an UPDATE.
#pragma once

#include "pg/write_target.hpp"

namespace pm::pg {

// What an event sets on its profile: the three identifier columns (text
// or NULL) and properties to merge in (a jsonb object; 0 for none).
struct ProfileChange {
    ColumnValue external_id, email, phone;
    Datum properties;
};

// Postgres C only (call inside pg_call). Sets the columns of profile
// (account, id), properties = properties || change.properties and
// updated_at = now() on its newest version, which this transaction holds
// locked (profile_lock.hpp); does nothing when no column would change.
// Returns whether the row changed.
bool update_profile_row(int64 account, int64 id, const ProfileChange& change);

}  // namespace pm::pg
