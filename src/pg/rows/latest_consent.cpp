#include "pg/rows/latest_consent.hpp"
#include "pg/rows/catalog.hpp"

#include "pg/boundary/guard.hpp"
#include "pg/boundary/postgres.hpp"
#include "pg/rows/relations.hpp"

#include <cstring>

namespace pm::pg {

namespace {

// Postgres C only (inside pg_call).
struct RawProbe {
    const char* channel;
    const char* value;
    int value_len;
    bool subscribed;
};

void scan_latest(int64 account, RawProbe* probes, int count) {
    Oid heap_oid = extension_relid(catalog::kConsents);
    Relation heap = table_open(heap_oid, AccessShareLock);
    Relation index = index_open(extension_relid(catalog::kConsentsLatest), AccessShareLock);
    if (index->rd_index->indnatts != 4)
        elog(ERROR, "profile_merge: index %s does not have 4 columns", RelationGetRelationName(index));
    AttrNumber status_att = extension_column(heap_oid, "status");
    push_statement_snapshot();
    TupleTableSlot* slot = table_slot_create(heap, NULL);
    IndexScanDesc scan = begin_index_scan(heap, index, GetActiveSnapshot(), 3, 0);
    for (int i = 0; i < count; ++i) {
        RawProbe* p = &probes[i];
        ScanKeyData keys[3];
        ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
                               index->rd_indcollation[0], F_INT8EQ, Int64GetDatum(account));
        ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
                               index->rd_indcollation[1], F_TEXTEQ, PointerGetDatum(cstring_to_text(p->channel)));
        ScanKeyEntryInitialize(&keys[2], 0, 3, BTEqualStrategyNumber, InvalidOid,
                               index->rd_indcollation[2], F_TEXTEQ,
                               PointerGetDatum(cstring_to_text_with_len(p->value, p->value_len)));
        index_rescan(scan, keys, 3, NULL, 0);
        // Backwards: the highest consent_id of the value first, the latest.
        p->subscribed = false;
        if (index_getnext_slot(scan, BackwardScanDirection, slot)) {
            char* status = slot_text_or_null(slot, status_att);
            p->subscribed = status != NULL && strcmp(status, "subscribed") == 0;
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

void read_latest_consents(std::int64_t account, std::vector<ConsentProbe>& probes) {
    if (probes.empty()) return;
    std::vector<RawProbe> raw(probes.size());
    for (size_t i = 0; i < probes.size(); ++i)
        raw[i] = RawProbe{probes[i].kind == core::Kind::Phone ? "sms" : "email", probes[i].value->data(),
                          static_cast<int>(probes[i].value->size()), false};
    pg_call([&] { scan_latest(account, raw.data(), static_cast<int>(raw.size())); });
    for (size_t i = 0; i < probes.size(); ++i) probes[i].subscribed = raw[i].subscribed;
}

}  // namespace pm::pg
