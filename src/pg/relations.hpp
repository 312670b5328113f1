// The extension's own relations, found by name for code that reads them
// without SQL. A syscache hit each time, so it stays right across DROP and
// CREATE EXTENSION (new OIDs).
#pragma once

#include "pg/postgres.hpp"

namespace pm::pg {

// Postgres C only: call inside pg_call. ERROR when the relation is missing.
inline Oid extension_relid(const char* name) {
    Oid nsp = get_namespace_oid("profile_merge", false);
    Oid relid = get_relname_relid(name, nsp);
    if (!OidIsValid(relid)) elog(ERROR, "profile_merge: relation profile_merge.%s is missing", name);
    return relid;
}

}  // namespace pm::pg
