// Every difference between the PostgreSQL versions we build against (15 to
// 18) that our code meets, in one place, as Citus keeps pg_version_compat.h.
// No other file of src/ tests PG_VERSION_NUM: it calls the helpers below,
// which take the arguments the code means and add what a version requires.
//
// Included last by postgres.hpp (it needs the Postgres declarations above
// it); include postgres.hpp, never this file. Everything here is Postgres C
// and can raise: call it inside pg_call, as the call it replaces.
//
// Each entry names the version that changed the API. 16 and 17 take the
// same branches as the release that introduced the change, so a guard is
// right for every version from that one on.
#pragma once

#if PG_VERSION_NUM < 150000 || PG_VERSION_NUM >= 190000
#error "profile_merge supports PostgreSQL 15 to 18 (DESIGN.md 7c)"
#endif

namespace pm::pg {

// --- GUC string memory -----------------------------------------------------
// 16 keeps GUC string values in its own memory context and exports
// guc_malloc/guc_free; 15 keeps them in malloc memory (and exports neither).
// A check hook that replaces *newval must allocate, and free the old value,
// the way the version does: free() of a 16+ value corrupts the heap.
inline char* guc_string_alloc(size_t size) {
#if PG_VERSION_NUM >= 160000
    return static_cast<char*>(guc_malloc(LOG, size));  // NULL on out of memory, like malloc
#else
    return static_cast<char*>(malloc(size));
#endif
}

inline void guc_string_free(char* value) {
#if PG_VERSION_NUM >= 160000
    guc_free(value);
#else
    free(value);
#endif
}

// --- type names ------------------------------------------------------------
// 16 replaced parseTypeString's `missing_ok` with a soft-error context; NULL
// there raises, as missing_ok = false did.
inline void parse_type_string(const char* name, Oid* type, int32* typmod) {
#if PG_VERSION_NUM >= 160000
    parseTypeString(name, type, typmod, NULL);
#else
    parseTypeString(name, type, typmod, false);
#endif
}

// --- the backend's local transaction id ---------------------------------------
// 17 moved PGPROC.lxid into PGPROC.vxid.
inline LocalTransactionId my_local_transaction_id() {
#if PG_VERSION_NUM >= 170000
    return MyProc->vxid.lxid;
#else
    return MyProc->lxid;
#endif
}

// --- index scans -------------------------------------------------------------
// 18 added an instrumentation argument (EXPLAIN's index search counts);
// NULL: no instrumentation.
inline IndexScanDesc begin_index_scan(Relation heap, Relation index, Snapshot snapshot, int nkeys,
                                      int norderbys) {
#if PG_VERSION_NUM >= 180000
    return index_beginscan(heap, index, snapshot, NULL, nkeys, norderbys);
#else
    return index_beginscan(heap, index, snapshot, nkeys, norderbys);
#endif
}

// --- executor state for writes without a plan ----------------------------------
// A range table of one relation, as the logical replication worker builds
// it. 16 moved permissions out of RangeTblEntry into RTEPermissionInfo, and
// code reached from ExecSimpleRelationUpdate (the updated-columns look-up)
// raises for an RTE without one; 18 also wants the relations left after
// pruning (here: the one).
inline void init_single_range_table(EState* estate, RangeTblEntry* rte) {
#if PG_VERSION_NUM >= 160000
    List* perminfos = NIL;
    addRTEPermissionInfo(&perminfos, rte);
#endif
#if PG_VERSION_NUM >= 180000
    ExecInitRangeTable(estate, list_make1(rte), perminfos, bms_make_singleton(1));
#elif PG_VERSION_NUM >= 160000
    ExecInitRangeTable(estate, list_make1(rte), perminfos);
#else
    ExecInitRangeTable(estate, list_make1(rte));
#endif
}

// Before 16 an UPDATE recomputes only the stored generated columns listed
// in its range table entry's extraUpdatedCols (the planner fills it from
// the columns the statement sets); from 16 on, an entry with no updated
// columns listed means all of them. A direct update sets whatever columns
// it likes, so on 15 every stored generated column is listed.
inline void list_generated_columns_as_updated(RangeTblEntry* rte, Relation rel) {
#if PG_VERSION_NUM < 160000
    TupleDesc desc = RelationGetDescr(rel);
    for (int i = 0; i < desc->natts; ++i)
        if (TupleDescAttr(desc, i)->attgenerated == ATTRIBUTE_GENERATED_STORED)
            rte->extraUpdatedCols =
                bms_add_member(rte->extraUpdatedCols, i + 1 - FirstLowInvalidHeapAttributeNumber);
#else
    (void) rte;
    (void) rel;
#endif
}

// 16 added `resultRelations` (for MERGE's rechecks); a one-row update
// outside a plan has none, as in the logical replication worker.
inline void init_eval_plan_qual(EPQState* epq, EState* estate) {
#if PG_VERSION_NUM >= 160000
    EvalPlanQualInit(epq, estate, NULL, NIL, -1, NIL);
#else
    EvalPlanQualInit(epq, estate, NULL, NIL, -1);
#endif
}

// 16 added `onlySummarizing` (only BRIN-like indexes after a HOT update);
// an insert updates every index.
inline List* insert_index_tuples(ResultRelInfo* result_rel, TupleTableSlot* slot, EState* estate,
                                 bool no_dup_err, bool* spec_conflict, List* arbiters) {
#if PG_VERSION_NUM >= 160000
    return ExecInsertIndexTuples(result_rel, slot, estate, false, no_dup_err, spec_conflict, arbiters,
                                 false);
#else
    return ExecInsertIndexTuples(result_rel, slot, estate, false, no_dup_err, spec_conflict, arbiters);
#endif
}

// 18 added `tupleid` (the row being updated, for WITHOUT OVERLAPS keys);
// an insert has none.
inline bool check_index_constraints(ResultRelInfo* result_rel, TupleTableSlot* slot, EState* estate,
                                    ItemPointer conflict, List* arbiters) {
#if PG_VERSION_NUM >= 180000
    return ExecCheckIndexConstraints(result_rel, slot, estate, conflict, NULL, arbiters);
#else
    return ExecCheckIndexConstraints(result_rel, slot, estate, conflict, arbiters);
#endif
}

// --- CHECK constraints -------------------------------------------------------
// The prepared CHECK expressions ExecConstraints uses when set: 18 renamed
// ri_ConstraintExprs to ri_CheckConstraintExprs.
inline ExprState**& check_constraint_states(ResultRelInfo* result_rel) {
#if PG_VERSION_NUM >= 180000
    return result_rel->ri_CheckConstraintExprs;
#else
    return result_rel->ri_ConstraintExprs;
#endif
}

// 18 has NOT ENFORCED CHECK constraints: ExecRelCheck leaves their entry
// NULL and skips it. Before 18 every CHECK is enforced.
inline bool check_is_enforced(const ConstrCheck& check) {
#if PG_VERSION_NUM >= 180000
    return check.ccenforced;
#else
    return true;
#endif
}

// 18 has virtual generated columns: a CHECK naming one is evaluated on its
// expression (ExecRelCheck expands them, varno 1). Before 18 the stored
// text is the whole expression.
inline Node* expand_virtual_generated_columns(Node* expr, Relation rel) {
#if PG_VERSION_NUM >= 180000
    return expand_generated_columns_in_expr(expr, rel, 1);
#else
    return expr;
#endif
}

}  // namespace pm::pg
