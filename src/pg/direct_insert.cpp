#include "pg/direct_insert.hpp"

#include "pg/relations.hpp"

extern "C" {
#include "access/table.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "rewrite/rewriteHandler.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
}

namespace pm::pg {

namespace {

// The given value of column `name`, or NULL when the caller did not name it.
const ColumnValue* given(const ColumnValue* columns, int ncolumns, const char* name) {
    for (int i = 0; i < ncolumns; ++i)
        if (strcmp(columns[i].name, name) == 0) return &columns[i];
    return NULL;
}

// A column the caller did not name gets its default, as in an INSERT that
// leaves it out (a column an admin added, say).
void fill_default(Relation rel, EState* estate, AttrNumber att, Datum* value, bool* isnull) {
    Node* expr = build_column_default(rel, att);
    if (expr == NULL) {
        *value = (Datum) 0;
        *isnull = true;
        return;
    }
    ExprState* state = ExecPrepareExpr((Expr*) expr, estate);
    *value = ExecEvalExprSwitchContext(state, GetPerTupleExprContext(estate), isnull);
}

// A given value of a domain type meets the domain's constraints, as the
// coercion in a planned INSERT would check (the type cache keeps them).
void check_domain(Oid type, Datum value, bool isnull, MemoryContext context) {
    if (lookup_type_cache(type, 0)->typtype != TYPTYPE_DOMAIN) return;
    void* extra = NULL;
    domain_check(value, isnull, type, &extra, context);
}

// The CHECK constraints of a table, ready to evaluate, kept per backend.
// A planned INSERT (and ExecConstraints when ri_ConstraintExprs is unset)
// parses and plans them from their stored text once per statement, which
// was the largest single cost of a one-row insert. An entry is used only
// while the relation's constraints are the same texts it was built from (a
// new or dropped CHECK, or one naming a re-created function, differs), so
// nothing needs invalidating.
struct CheckCache {
    Oid relid;
    int ncheck;
    char** texts;        // copies of ConstrCheck.ccbin, in the relation's order
    ExprState** states;  // one per constraint, as ExecRelCheck expects them
    MemoryContext context;
};

constexpr int kCheckCacheSize = 8;  // the extension's tables with CHECKs, with room
CheckCache check_cache[kCheckCacheSize];

bool same_checks(const CheckCache& entry, const TupleConstr* constr) {
    if (entry.ncheck != constr->num_check) return false;
    for (int i = 0; i < entry.ncheck; ++i)
        if (strcmp(entry.texts[i], constr->check[i].ccbin) != 0) return false;
    return true;
}

void build_checks(CheckCache& entry, Oid relid, const TupleConstr* constr) {
    if (entry.context != NULL) MemoryContextDelete(entry.context);
    entry = CheckCache{};
    entry.context = AllocSetContextCreate(CacheMemoryContext, "profile_merge CHECK constraints",
                                          ALLOCSET_SMALL_SIZES);
    MemoryContext old = MemoryContextSwitchTo(entry.context);
    entry.ncheck = constr->num_check;
    entry.texts = (char**) palloc(sizeof(char*) * entry.ncheck);
    entry.states = (ExprState**) palloc(sizeof(ExprState*) * entry.ncheck);
    for (int i = 0; i < entry.ncheck; ++i) {
        entry.texts[i] = pstrdup(constr->check[i].ccbin);
        entry.states[i] = ExecInitExpr(expression_planner((Expr*) stringToNode(entry.texts[i])), NULL);
    }
    MemoryContextSwitchTo(old);
    entry.relid = relid;
}

// The entry of `relid`, or a free one: unused, or left by a table that no
// longer exists (DROP and CREATE EXTENSION give new OIDs). An entry is never
// reused while its table exists, because an insert may be under way in it
// (a BEFORE trigger's insert runs inside another).
CheckCache* check_entry(Oid relid) {
    CheckCache* free_entry = NULL;
    for (CheckCache& e : check_cache) {
        if (e.relid == relid) return &e;
        if (free_entry == NULL &&
            (e.relid == InvalidOid || !SearchSysCacheExists1(RELOID, ObjectIdGetDatum(e.relid))))
            free_entry = &e;
    }
    return free_entry;
}

// Hands ExecConstraints the cached, ready constraints of `rel`.
void use_cached_checks(ResultRelInfo* result_rel, Relation rel) {
    const TupleConstr* constr = RelationGetDescr(rel)->constr;
    if (constr == NULL || constr->num_check == 0) return;
    CheckCache* entry = check_entry(RelationGetRelid(rel));
    if (entry == NULL) return;  // all taken: ExecConstraints prepares them itself
    if (entry->relid != RelationGetRelid(rel) || !same_checks(*entry, constr))
        build_checks(*entry, RelationGetRelid(rel), constr);
    result_rel->ri_ConstraintExprs = entry->states;
}

}  // namespace

int64 insert_row(const char* table, const ColumnValue* columns, int ncolumns,
                 const char* returning) {
    Relation rel = table_open(extension_relid(table), RowExclusiveLock);
    TupleDesc desc = RelationGetDescr(rel);

    EState* estate = CreateExecutorState();
    MemoryContext caller_context = MemoryContextSwitchTo(estate->es_query_cxt);

    // The executor state a one-table INSERT has, as the logical replication
    // worker sets it up for the rows it applies.
    RangeTblEntry* rte = makeNode(RangeTblEntry);
    rte->rtekind = RTE_RELATION;
    rte->relid = RelationGetRelid(rel);
    rte->relkind = rel->rd_rel->relkind;
    rte->rellockmode = RowExclusiveLock;
    ExecInitRangeTable(estate, list_make1(rte));
    ResultRelInfo* result_rel = makeNode(ResultRelInfo);
    InitResultRelInfo(result_rel, rel, 1, NULL, 0);
    // Where the AFTER triggers' queue finds the relation again.
    estate->es_opened_result_relations = lappend(estate->es_opened_result_relations, result_rel);
    estate->es_output_cid = GetCurrentCommandId(true);
    ExecOpenIndices(result_rel, false);
    use_cached_checks(result_rel, rel);

    TupleTableSlot* slot = ExecInitExtraTupleSlot(estate, desc, &TTSOpsVirtual);
    ExecClearTuple(slot);
    for (int i = 0; i < desc->natts; ++i) {
        Form_pg_attribute attr = TupleDescAttr(desc, i);
        if (attr->attisdropped) {
            slot->tts_values[i] = (Datum) 0;
            slot->tts_isnull[i] = true;
            continue;
        }
        const ColumnValue* v = given(columns, ncolumns, NameStr(attr->attname));
        if (v == NULL) {
            fill_default(rel, estate, attr->attnum, &slot->tts_values[i], &slot->tts_isnull[i]);
            continue;
        }
        slot->tts_values[i] = v->isnull ? (Datum) 0 : v->value;
        slot->tts_isnull[i] = v->isnull;
        check_domain(attr->atttypid, slot->tts_values[i], slot->tts_isnull[i], estate->es_query_cxt);
    }
    ExecStoreVirtualTuple(slot);

    AfterTriggerBeginQuery();
    ExecSimpleRelationInsert(result_rel, estate, slot);
    AfterTriggerEndQuery(estate);

    int64 result = 0;
    if (returning != NULL) {
        bool isnull;
        Datum d = slot_getattr(slot, extension_column(RelationGetRelid(rel), returning), &isnull);
        if (!isnull) result = DatumGetInt64(d);
    }

    ExecCloseResultRelations(estate);
    ExecResetTupleTable(estate->es_tupleTable, false);
    MemoryContextSwitchTo(caller_context);
    FreeExecutorState(estate);
    table_close(rel, NoLock);
    return result;
}

int64 next_identity(const char* sequence) {
    return nextval_internal(extension_relid(sequence), false);
}

}  // namespace pm::pg
