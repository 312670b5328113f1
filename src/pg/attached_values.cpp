#include "pg/attached_values.hpp"

#include "pg/guard.hpp"
#include "pg/postgres.hpp"
#include "pg/relations.hpp"

extern "C" {
#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "executor/tuptable.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

namespace pm::pg {

namespace {

struct Probe {
    const char* kind;
    const char* value;  // NULL: skipped
    int value_len;
    bool found;
    int64 profile;
};

// Postgres C only (runs inside pg_call).
void probe_index(int64 account, Probe* probes, int count) {
    Oid heap_oid = extension_relid("identifiers");
    Oid index_oid = extension_relid("identifiers_attached_value");
    Relation heap = table_open(heap_oid, AccessShareLock);
    Relation index = index_open(index_oid, AccessShareLock);
    AttrNumber profile_att = get_attnum(heap_oid, "profile_id");
    if (index->rd_index->indnatts != 3 || profile_att == InvalidAttrNumber)
        elog(ERROR, "profile_merge: index identifiers_attached_value is not (account_id, kind, value)");

    // As SPI does for a statement that may write: earlier writes of this
    // command become visible, then a statement snapshot is taken.
    CommandCounterIncrement();
    PushActiveSnapshot(GetTransactionSnapshot());
    UpdateActiveSnapshotCommandId();

    TupleTableSlot* slot = table_slot_create(heap, NULL);
    IndexScanDesc scan = index_beginscan(heap, index, GetActiveSnapshot(), 3, 0);
    for (int i = 0; i < count; ++i) {
        Probe* p = &probes[i];
        p->found = false;
        if (p->value == NULL) continue;
        ScanKeyData keys[3];
        ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
                               index->rd_indcollation[0], F_INT8EQ, Int64GetDatum(account));
        ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
                               index->rd_indcollation[1], F_TEXTEQ,
                               PointerGetDatum(cstring_to_text(p->kind)));
        ScanKeyEntryInitialize(&keys[2], 0, 3, BTEqualStrategyNumber, InvalidOid,
                               index->rd_indcollation[2], F_TEXTEQ,
                               PointerGetDatum(cstring_to_text_with_len(p->value, p->value_len)));
        index_rescan(scan, keys, 3, NULL, 0);
        // The index is partial (detached_at IS NULL) and unique: a visible
        // entry is the one attached row of that value.
        if (index_getnext_slot(scan, ForwardScanDirection, slot)) {
            bool isnull;
            Datum d = slot_getattr(slot, profile_att, &isnull);
            if (!isnull) {
                p->found = true;
                p->profile = DatumGetInt64(d);
            }
        }
        ExecClearTuple(slot);
    }
    index_endscan(scan);
    ExecDropSingleTupleTableSlot(slot);
    PopActiveSnapshot();
    index_close(index, NoLock);
    table_close(heap, NoLock);
}

}  // namespace

std::array<std::optional<std::int64_t>, 3> attached_owners(std::int64_t account,
                                                           const std::array<AttachedProbe, 3>& probes) {
    // Kind names and values outlive the guarded call, which only reads them.
    std::array<std::string, 3> kind_names;
    Probe raw[3];
    for (size_t i = 0; i < 3; ++i) {
        kind_names[i] = std::string(core::kind_name(probes[i].kind));
        const std::optional<std::string>& v = *probes[i].value;
        raw[i] = Probe{kind_names[i].c_str(), v ? v->data() : nullptr,
                       v ? static_cast<int>(v->size()) : 0, false, 0};
    }
    pg_call([&] { probe_index(account, raw, 3); });
    std::array<std::optional<std::int64_t>, 3> out;
    for (size_t i = 0; i < 3; ++i)
        if (raw[i].found) out[i] = raw[i].profile;
    return out;
}

}  // namespace pm::pg
