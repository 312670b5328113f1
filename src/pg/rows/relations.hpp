// For code that reads the extension's own relations without SQL
// (attached_values.cpp, profile_lock.cpp). Relations and columns are found
// by name: a syscache hit each time, so it stays right across DROP and
// CREATE EXTENSION (new OIDs).
#pragma once

#include "pg/boundary/postgres.hpp"
#include "pg/rows/catalog.hpp"
#include "pg/rows/shard_map.hpp"

namespace pm::pg {

// Everything below is Postgres C only: call inside pg_call.

// InvalidOid when the relation does not exist (an index of a later version).
// Inside a ShardScope (a trigger firing on a Citus shard) the co-located
// shard's relation instead.
inline Oid extension_relid_if_exists(const char* name) {
    Oid relid = get_relname_relid(name, get_namespace_oid(catalog::kSchema, false));
    if (unlikely(active_shards != nullptr) && OidIsValid(relid)) return shard_relid(name, relid);
    return relid;
}

// ERROR when the relation is missing.
inline Oid extension_relid(const char* name) {
    Oid relid = extension_relid_if_exists(name);
    if (!OidIsValid(relid)) elog(ERROR, "profile_merge: relation profile_merge.%s is missing", name);
    return relid;
}

// ERROR when the column is missing.
inline AttrNumber extension_column(Oid relid, const char* name) {
    AttrNumber att = get_attnum(relid, name);
    if (att == InvalidAttrNumber)
        elog(ERROR, "profile_merge: column %s of profile_merge.%s is missing", name, get_rel_name(relid));
    return att;
}

// A text column of a slot as a palloc'd C string, NULL when the column is.
inline char* slot_text_or_null(TupleTableSlot* slot, AttrNumber att) {
    bool isnull;
    Datum d = slot_getattr(slot, att, &isnull);
    return isnull ? NULL : TextDatumGetCString(d);
}

// The snapshot an SPI statement that may write would see, pushed as the
// active one (PopActiveSnapshot() when done): earlier writes of this
// command become visible first.
inline void push_statement_snapshot() {
    CommandCounterIncrement();
    PushActiveSnapshot(GetTransactionSnapshot());
    UpdateActiveSnapshotCommandId();
}

// The row of `heap` whose key in `index` (an index on two bigint columns,
// (account_id, <id>): a primary key) is (account, id), as `snapshot` sees
// it, into `slot`; false when there is none. Its TID is slot->tts_tid.
inline bool fetch_by_account_key(Relation heap, Relation index, Snapshot snapshot, int64 account,
                                 int64 id, TupleTableSlot* slot) {
    IndexScanDesc scan = begin_index_scan(heap, index, snapshot, 2, 0);
    ScanKeyData keys[2];
    ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
                           index->rd_indcollation[0], F_INT8EQ, Int64GetDatum(account));
    ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
                           index->rd_indcollation[1], F_INT8EQ, Int64GetDatum(id));
    index_rescan(scan, keys, 2, NULL, 0);
    bool found = index_getnext_slot(scan, ForwardScanDirection, slot);
    index_endscan(scan);
    return found;
}

}  // namespace pm::pg
