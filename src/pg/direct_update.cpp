#include "pg/direct_update.hpp"

#include "pg/relations.hpp"

extern "C" {
#include "access/genam.h"
#include "access/stratnum.h"
#include "access/tableam.h"
#include "executor/executor.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

namespace pm::pg {

namespace {

// The newest version of the profile's row, into `slot`; false when none.
bool fetch_newest(Relation heap, int64 account, int64 id, TupleTableSlot* slot) {
    Relation index = index_open(extension_relid("profiles_pkey"), AccessShareLock);
    push_statement_snapshot();  // earlier writes of this transaction included
    IndexScanDesc scan = index_beginscan(heap, index, GetActiveSnapshot(), 2, 0);
    ScanKeyData keys[2];
    ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
                           index->rd_indcollation[0], F_INT8EQ, Int64GetDatum(account));
    ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
                           index->rd_indcollation[1], F_INT8EQ, Int64GetDatum(id));
    index_rescan(scan, keys, 2, NULL, 0);
    bool found = index_getnext_slot(scan, ForwardScanDirection, slot);
    index_endscan(scan);
    PopActiveSnapshot();
    index_close(index, AccessShareLock);
    if (found) slot_getallattrs(slot);
    return found;
}

// IS DISTINCT FROM for text: the bytes differ, or one side is NULL.
bool text_differs(Datum a, bool a_null, Datum b, bool b_null) {
    if (a_null || b_null) return a_null != b_null;
    text* x = DatumGetTextPP(a);
    text* y = DatumGetTextPP(b);
    return VARSIZE_ANY_EXHDR(x) != VARSIZE_ANY_EXHDR(y) ||
           memcmp(VARDATA_ANY(x), VARDATA_ANY(y), VARSIZE_ANY_EXHDR(x)) != 0;
}

}  // namespace

bool update_profile_row(int64 account, int64 id, const ProfileChange& change) {
    WriteTarget* t = open_write_target("profiles", NULL);
    Relation rel = t->rel;
    EState* estate = t->estate;
    MemoryContext outer = MemoryContextSwitchTo(estate->es_query_cxt);

    TupleTableSlot* old = table_slot_create(rel, &estate->es_tupleTable);
    bool changed = false;
    if (fetch_newest(rel, account, id, old)) {
        TupleTableSlot* row = t->slot;
        const int natts = RelationGetDescr(rel)->natts;
        ExecClearTuple(row);
        memcpy(row->tts_values, old->tts_values, sizeof(Datum) * natts);
        memcpy(row->tts_isnull, old->tts_isnull, sizeof(bool) * natts);

        const ColumnValue* columns[] = {&change.external_id, &change.email, &change.phone};
        for (const ColumnValue* c : columns) {
            const int i = extension_column(RelationGetRelid(rel), c->name) - 1;
            if (!text_differs(row->tts_values[i], row->tts_isnull[i], c->value, c->isnull)) continue;
            row->tts_values[i] = c->isnull ? (Datum) 0 : c->value;
            row->tts_isnull[i] = c->isnull;
            changed = true;
        }
        if (change.properties) {
            const int i = extension_column(RelationGetRelid(rel), "properties") - 1;
            Datum merged = DirectFunctionCall2(jsonb_concat, row->tts_values[i], change.properties);
            if (DatumGetBool(DirectFunctionCall2(jsonb_ne, merged, row->tts_values[i]))) {
                check_domain(TupleDescAttr(RelationGetDescr(rel), i)->atttypid, merged, false);
                row->tts_values[i] = merged;
                changed = true;
            }
        }
        if (changed) {
            const int i = extension_column(RelationGetRelid(rel), "updated_at") - 1;
            row->tts_values[i] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
            row->tts_isnull[i] = false;
            ExecStoreVirtualTuple(row);
            EPQState epq;  // used by BEFORE UPDATE row triggers, if an admin adds one
            EvalPlanQualInit(&epq, estate, NULL, NIL, -1);
            ExecSimpleRelationUpdate(t->result_rel, estate, &epq, old, row);
            EvalPlanQualEnd(&epq);
        }
    }
    MemoryContextSwitchTo(outer);
    close_write_target(t);
    return changed;
}

}  // namespace pm::pg
