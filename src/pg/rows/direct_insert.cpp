#include "pg/rows/direct_insert.hpp"

#include "pg/rows/relations.hpp"

namespace pm::pg {

namespace {

// The refusal INSERT ... ON CONFLICT DO NOTHING gives under REPEATABLE READ
// or SERIALIZABLE when the conflicting row is not in the transaction's
// snapshot (and was not written by this transaction).
void refuse_if_invisible(Relation rel, ItemPointer conflict, EState* estate) {
    if (!IsolationUsesXactSnapshot()) return;
    TupleTableSlot* existing = table_slot_create(rel, &estate->es_tupleTable);
    if (!table_tuple_fetch_row_version(rel, conflict, SnapshotAny, existing))
        elog(ERROR, "profile_merge: failed to fetch a conflicting row");
    if (table_tuple_satisfies_snapshot(rel, existing, GetTransactionSnapshot())) return;
    bool isnull;
    Datum xmin = slot_getsysattr(existing, MinTransactionIdAttributeNumber, &isnull);
    if (!isnull && TransactionIdIsCurrentTransactionId(DatumGetTransactionId(xmin))) return;
    ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                    errmsg("could not serialize access due to concurrent update")));
}

// The speculative insertion of INSERT ... ON CONFLICT DO NOTHING
// (nodeModifyTable.c), for one arbiter index: false when a row with the
// same key is there, or arrives while this one goes in. Meant for keys
// the caller expects to be free.
bool insert_unless_conflict(WriteTarget* t) {
    ResultRelInfo* result_rel = t->result_rel;
    EState* estate = t->estate;
    TupleTableSlot* slot = t->slot;
    Relation rel = t->rel;
    List* arbiters = list_make1_oid(t->arbiter);

    if (result_rel->ri_TrigDesc && result_rel->ri_TrigDesc->trig_insert_before_row &&
        !ExecBRInsertTriggers(estate, result_rel, slot))
        return false;
    if (rel->rd_att->constr && rel->rd_att->constr->has_generated_stored)
        ExecComputeStoredGenerated(result_rel, estate, slot, CMD_INSERT);
    if (rel->rd_att->constr) ExecConstraints(result_rel, slot, estate);

    // The pre-check of nodeModifyTable.c (is the key there already?) is
    // skipped the first time: the caller has just looked the value up and
    // found it free, and a conflict is still caught while the index entry
    // goes in, which then sends us round to the pre-check (that waits for
    // a row in flight and refuses under REPEATABLE READ as ON CONFLICT does).
    for (bool first = true;; first = false) {
        ItemPointerData conflict;
        if (!first && !check_index_constraints(result_rel, slot, estate, &conflict, arbiters)) {
            refuse_if_invisible(rel, &conflict, estate);
            return false;
        }
        uint32 token = SpeculativeInsertionLockAcquire(GetCurrentTransactionId());
        table_tuple_insert_speculative(rel, slot, estate->es_output_cid, 0, NULL, token);
        bool lost = false;
        List* recheck = insert_index_tuples(result_rel, slot, estate, true, &lost, arbiters);
        table_tuple_complete_speculative(rel, slot, token, !lost);
        SpeculativeInsertionLockRelease(GetCurrentTransactionId());
        if (!lost) {
            ExecARInsertTriggers(estate, result_rel, slot, recheck, NULL);
            list_free(recheck);
            return true;
        }
        list_free(recheck);  // another transaction's row came first: check again
    }
}

}  // namespace

bool insert_into(WriteTarget* t, const ColumnValue* columns, int ncolumns, const char* returning,
                 int64* returned) {
    EState* estate = t->estate;
    TupleTableSlot* slot = t->slot;
    fill_row(t, columns, ncolumns);
    MemoryContext outer = MemoryContextSwitchTo(estate->es_query_cxt);

    bool inserted;
    if (OidIsValid(t->arbiter)) {
        inserted = insert_unless_conflict(t);
    } else {
        // ExecSimpleRelationInsert does not say whether a BEFORE trigger
        // skipped the row; the stored row's TID does.
        ItemPointerSetInvalid(&slot->tts_tid);
        ExecSimpleRelationInsert(t->result_rel, estate, slot);
        inserted = ItemPointerIsValid(&slot->tts_tid);
    }

    if (inserted && returning != NULL && returned != NULL) {
        bool isnull;
        Datum d = slot_getattr(slot, extension_column(RelationGetRelid(t->rel), returning), &isnull);
        *returned = isnull ? 0 : DatumGetInt64(d);
    }
    ResetPerTupleExprContext(estate);
    MemoryContextSwitchTo(outer);
    return inserted;
}

int64 insert_row(const char* table, const ColumnValue* columns, int ncolumns,
                 const char* returning) {
    WriteTarget* t = open_write_target(table, NULL);
    int64 returned = 0;
    insert_into(t, columns, ncolumns, returning, &returned);
    close_write_target(t);
    return returned;
}

bool insert_with_identity(WriteTarget* t, ColumnValue* columns, int ncolumns, int identity,
                          const char* sequence, const char* returning, int64* returned) {
    columns[identity].value = Int64GetDatum(next_identity(sequence));
    columns[identity].isnull = false;
    return insert_into(t, columns, ncolumns, returning, returned);
}

int64 next_identity(const char* sequence) {
    return nextval_internal(extension_relid(sequence), false);
}

}  // namespace pm::pg
