#include "pg/rows/profile_lock.hpp"
#include "pg/rows/catalog.hpp"

#include "pg/boundary/guard.hpp"
#include "pg/boundary/postgres.hpp"
#include "pg/rows/relations.hpp"

namespace pm::pg {

namespace {

// What the guarded part hands back: plain data, strings palloc'd.
struct RawLockedRow {
    bool found;
    int64 id;
    char* columns[3];  // external_id, email, phone; NULL when NULL
    bool active;
    int64 created_at_us;
};

char* text_column(TupleTableSlot* slot, AttrNumber att) {
    bool isnull;
    Datum d = slot_getattr(slot, att, &isnull);
    return isnull ? NULL : TextDatumGetCString(d);
}


// Postgres C only (runs inside pg_call).
RawLockedRow lock_row(int64 account, int64 id) {
    RawLockedRow out = {};
    Oid heap_oid = extension_relid(catalog::kProfiles);
    Oid index_oid = extension_relid(catalog::kProfilesPkey);
    // The table lock a SELECT ... FOR UPDATE takes.
    Relation heap = table_open(heap_oid, RowShareLock);
    Relation index = index_open(index_oid, AccessShareLock);

    // A statement snapshot, as SPI takes one for a statement that may write.
    push_statement_snapshot();
    Snapshot snapshot = GetActiveSnapshot();

    TupleTableSlot* slot = table_slot_create(heap, NULL);
    bool visible = fetch_by_account_key(heap, index, snapshot, account, id, slot);
    ItemPointerData tid = slot->tts_tid;

    if (visible) {
        // As ExecLockRows: follow the row to its latest version under READ
        // COMMITTED; under a transaction snapshot a newer version is a
        // serialization failure.
        TM_FailureData failure;
        int flags = IsolationUsesXactSnapshot() ? 0 : TUPLE_LOCK_FLAG_FIND_LAST_VERSION;
        TM_Result result = table_tuple_lock(heap, &tid, snapshot, slot, GetCurrentCommandId(true),
                                            LockTupleExclusive, LockWaitBlock, flags, &failure);
        switch (result) {
            case TM_Ok:
                out.found = true;
                break;
            case TM_SelfModified:  // changed later in this command: as absent
                break;
            case TM_Updated:
            case TM_Deleted:
                if (IsolationUsesXactSnapshot())
                    ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                                    errmsg("could not serialize access due to concurrent update")));
                if (result == TM_Updated)
                    elog(ERROR, "profile_merge: unexpected table_tuple_lock status %d", (int) result);
                break;  // deleted meanwhile: absent
            default:
                elog(ERROR, "profile_merge: unexpected table_tuple_lock status %d", (int) result);
        }
    }
    if (out.found) {
        bool isnull;
        out.id = DatumGetInt64(slot_getattr(slot, extension_column(heap_oid, "profile_id"), &isnull));
        out.columns[0] = text_column(slot, extension_column(heap_oid, "external_id"));
        out.columns[1] = text_column(slot, extension_column(heap_oid, "email"));
        out.columns[2] = text_column(slot, extension_column(heap_oid, "phone"));
        slot_getattr(slot, extension_column(heap_oid, "merged_into"), &isnull);
        out.active = isnull;
        TimestampTz created = DatumGetTimestampTz(slot_getattr(slot, extension_column(heap_oid, "created_at"), &isnull));
        out.created_at_us = created + (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;
    }
    ExecDropSingleTupleTableSlot(slot);
    PopActiveSnapshot();
    index_close(index, NoLock);
    table_close(heap, NoLock);
    return out;
}

}  // namespace

std::optional<LockedProfileRow> lock_profile_row(std::int64_t account, std::int64_t id) {
    const RawLockedRow raw = pg_call([&] { return lock_row(account, id); });
    if (!raw.found) return std::nullopt;
    LockedProfileRow row;
    row.id = raw.id;
    std::optional<std::string>* targets[3] = {&row.external_id, &row.email, &row.phone};
    for (int i = 0; i < 3; ++i)
        if (raw.columns[i]) *targets[i] = std::string(raw.columns[i]);
    row.active = raw.active;
    row.created_at_us = raw.created_at_us;
    return row;
}

}  // namespace pm::pg
