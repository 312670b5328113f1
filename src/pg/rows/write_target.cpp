#include "pg/rows/write_target.hpp"
#include "pg/rows/catalog.hpp"

#include "pg/rows/relations.hpp"

namespace pm::pg {

namespace {

// The given value of column `name`, or NULL when the caller did not name
// it. Callers list columns in table order, so the one after the previous
// match is tried first.
const ColumnValue* given(const ColumnValue* columns, int ncolumns, const char* name, int* cursor) {
    if (*cursor < ncolumns && strcmp(columns[*cursor].name, name) == 0) return &columns[(*cursor)++];
    for (int i = 0; i < ncolumns; ++i)
        if (strcmp(columns[i].name, name) == 0) {
            *cursor = i + 1;
            return &columns[i];
        }
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

// domain_check() prepares a domain's constraints into its `extra` state;
// that state is kept per domain for the backend (the type cache tells it
// when the domain's constraints change).
struct DomainState {
    Oid type;
    void* state;
};

constexpr int kDomainStates = 16;
DomainState domain_states[kDomainStates];
int domain_states_used = 0;

// The CHECK constraints of a table, ready to evaluate, kept per backend.
// A planned INSERT (and ExecConstraints when check_constraint_states() is
// unset) parses and plans them from their stored text once per statement,
// which was the largest single cost of a one-row insert. An entry is used only
// while the relation's constraints are the same texts it was built from (a
// new or dropped CHECK, or one naming a re-created function, differs), so
// nothing needs invalidating.
struct CheckCache {
    Oid relid;
    int ncheck;
    char** texts;        // copies of ConstrCheck.ccbin, in the relation's order
    bool* enforced;      // ConstrCheck's NOT ENFORCED flag (always true before 18)
    ExprState** states;  // one per constraint, as ExecRelCheck expects them:
                         // NULL for one not enforced
    MemoryContext context;
};

constexpr int kCheckCacheSize = 8;  // the extension's tables with CHECKs, with room
CheckCache check_cache[kCheckCacheSize];

bool same_checks(const CheckCache& entry, const TupleConstr* constr) {
    if (entry.ncheck != constr->num_check) return false;
    for (int i = 0; i < entry.ncheck; ++i)
        if (strcmp(entry.texts[i], constr->check[i].ccbin) != 0 ||
            entry.enforced[i] != check_is_enforced(constr->check[i]))
            return false;
    return true;
}

void build_checks(CheckCache& entry, Relation rel, const TupleConstr* constr) {
    if (entry.context != NULL) MemoryContextDelete(entry.context);
    entry = CheckCache{};
    entry.context = AllocSetContextCreate(CacheMemoryContext, "profile_merge CHECK constraints",
                                          ALLOCSET_SMALL_SIZES);
    MemoryContext old = MemoryContextSwitchTo(entry.context);
    entry.ncheck = constr->num_check;
    entry.texts = (char**) palloc(sizeof(char*) * entry.ncheck);
    entry.enforced = (bool*) palloc(sizeof(bool) * entry.ncheck);
    entry.states = (ExprState**) palloc0(sizeof(ExprState*) * entry.ncheck);
    for (int i = 0; i < entry.ncheck; ++i) {
        entry.texts[i] = pstrdup(constr->check[i].ccbin);
        entry.enforced[i] = check_is_enforced(constr->check[i]);
        if (!entry.enforced[i]) continue;  // as ExecRelCheck: left NULL, not evaluated
        Node* expr = expand_virtual_generated_columns((Node*) stringToNode(entry.texts[i]), rel);
        entry.states[i] = ExecInitExpr(expression_planner((Expr*) expr), NULL);
    }
    MemoryContextSwitchTo(old);
    entry.relid = RelationGetRelid(rel);
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
        build_checks(*entry, rel, constr);
    check_constraint_states(result_rel) = entry->states;
}

void check_known_domain(Oid type, Datum value, bool isnull) {
    DomainState* entry = NULL;
    for (int i = 0; i < domain_states_used && entry == NULL; ++i)
        if (domain_states[i].type == type) entry = &domain_states[i];
    if (entry == NULL && domain_states_used < kDomainStates) {
        entry = &domain_states[domain_states_used++];
        *entry = DomainState{type, NULL};
    }
    if (entry != NULL) {
        domain_check(value, isnull, type, &entry->state, CacheMemoryContext);
    } else {  // more domains than expected: checked, not kept
        void* state = NULL;
        domain_check(value, isnull, type, &state, CurrentMemoryContext);
    }
}

// Whether column i of the target is of a domain type, looked up once per
// target (a type cache look-up per cell was 5 % of a batch's writes).
bool domain_column(WriteTarget* t, int i) {
    if (t->domain_columns[i] == 0) {
        Oid type = TupleDescAttr(RelationGetDescr(t->rel), i)->atttypid;
        t->domain_columns[i] = lookup_type_cache(type, 0)->typtype == TYPTYPE_DOMAIN ? 'd' : 'p';
    }
    return t->domain_columns[i] == 'd';
}

// A trigger the engine's own rows need not call: the extension's
// pass-through BEFORE triggers, or the check of `fkey_constraint`.
// On a Citus shard the trigger is a copy named "<name>_<shard id>".
bool engine_trigger(const char* tgname, const char* name) {
    const size_t n = strlen(name);
    if (strncmp(tgname, name, n) != 0) return false;
    if (tgname[n] == '\0') return true;
    if (tgname[n] != '_' || tgname[n + 1] == '\0') return false;
    for (const char* p = tgname + n + 1; *p; ++p)
        if (*p < '0' || *p > '9') return false;
    return true;
}

bool left_out(const Trigger& trigger, Oid fkey_constraint) {
    return engine_trigger(trigger.tgname, catalog::kEventsResolveTrigger) ||
           engine_trigger(trigger.tgname, catalog::kConsentsResolveTrigger) ||
           (OidIsValid(fkey_constraint) && trigger.tgconstraint == fkey_constraint);
}

}  // namespace

void check_domain(Oid type, Datum value, bool isnull) {
    if (lookup_type_cache(type, 0)->typtype == TYPTYPE_DOMAIN) check_known_domain(type, value, isnull);
}

WriteTarget* open_write_target(const char* table, const char* arbiter_index) {
    WriteTarget* t = (WriteTarget*) palloc0(sizeof(WriteTarget));
    t->rel = table_open(extension_relid(table), RowExclusiveLock);
    t->arbiter = arbiter_index ? extension_relid(arbiter_index) : InvalidOid;

    t->estate = CreateExecutorState();
    MemoryContext caller_context = MemoryContextSwitchTo(t->estate->es_query_cxt);

    RangeTblEntry* rte = makeNode(RangeTblEntry);
    rte->rtekind = RTE_RELATION;
    rte->relid = RelationGetRelid(t->rel);
    rte->relkind = t->rel->rd_rel->relkind;
    rte->rellockmode = RowExclusiveLock;
    list_generated_columns_as_updated(rte, t->rel);
    init_single_range_table(t->estate, rte);
    t->result_rel = makeNode(ResultRelInfo);
    InitResultRelInfo(t->result_rel, t->rel, 1, NULL, 0);
    // Where the AFTER triggers' queue finds the relation again.
    t->estate->es_opened_result_relations =
        lappend(t->estate->es_opened_result_relations, t->result_rel);
    t->estate->es_output_cid = GetCurrentCommandId(true);
    ExecOpenIndices(t->result_rel, OidIsValid(t->arbiter));
    use_cached_checks(t->result_rel, t->rel);
    t->slot = ExecInitExtraTupleSlot(t->estate, RelationGetDescr(t->rel), &TTSOpsVirtual);
    t->domain_columns = (char*) palloc0(RelationGetDescr(t->rel)->natts);
    MemoryContextSwitchTo(caller_context);

    // AFTER row triggers (the foreign keys' checks among them) fire when the
    // target is closed, as at the end of an INSERT statement.
    AfterTriggerBeginQuery();
    return t;
}

void fill_row(WriteTarget* t, const ColumnValue* columns, int ncolumns) {
    Relation rel = t->rel;
    TupleDesc desc = RelationGetDescr(rel);
    EState* estate = t->estate;
    TupleTableSlot* slot = t->slot;
    MemoryContext outer = MemoryContextSwitchTo(estate->es_query_cxt);
    ExecClearTuple(slot);
    int cursor = 0;
    for (int i = 0; i < desc->natts; ++i) {
        Form_pg_attribute attr = TupleDescAttr(desc, i);
        // A generated column is never given and has no default to evaluate
        // here (build_column_default returns its expression, whose Vars need
        // the row): NULL, as a planned INSERT leaves it; the executor then
        // computes a stored one, and a virtual one (18) stays NULL on disk.
        if (attr->attisdropped || attr->attgenerated) {
            slot->tts_values[i] = (Datum) 0;
            slot->tts_isnull[i] = true;
            continue;
        }
        const ColumnValue* v = given(columns, ncolumns, NameStr(attr->attname), &cursor);
        if (v == NULL) {
            fill_default(rel, estate, attr->attnum, &slot->tts_values[i], &slot->tts_isnull[i]);
            continue;
        }
        slot->tts_values[i] = v->isnull ? (Datum) 0 : v->value;
        slot->tts_isnull[i] = v->isnull;
        if (domain_column(t, i)) check_known_domain(attr->atttypid, slot->tts_values[i], slot->tts_isnull[i]);
    }
    ExecStoreVirtualTuple(slot);
    MemoryContextSwitchTo(outer);
}

void leave_out_engine_triggers(WriteTarget* t, const char* fkey) {
    TriggerDesc* desc = t->result_rel->ri_TrigDesc;
    if (desc == NULL) return;
    char shard_fkey[NAMEDATALEN];
    if (fkey) {  // on a Citus shard the constraint carries the shard id
        const char* on_shard = shard_constraint_name(RelationGetRelid(t->rel), fkey, shard_fkey, sizeof shard_fkey);
        if (on_shard) fkey = on_shard;
    }
    const Oid constraint =
        fkey ? get_relation_constraint_oid(RelationGetRelid(t->rel), fkey, true) : InvalidOid;
    bool any = false;
    for (int i = 0; i < desc->numtriggers && !any; ++i) any = left_out(desc->triggers[i], constraint);
    if (!any) return;
    MemoryContext caller_context = MemoryContextSwitchTo(t->estate->es_query_cxt);
    TriggerDesc* kept = CopyTriggerDesc(desc);
    // No trigger has been called yet, so the ResultRelInfo's per-trigger
    // caches (indexed like this array) are all still empty.
    int n = 0;
    for (int i = 0; i < kept->numtriggers; ++i)
        if (!left_out(kept->triggers[i], constraint)) kept->triggers[n++] = kept->triggers[i];
    kept->numtriggers = n;
    t->result_rel->ri_TrigDesc = kept;
    MemoryContextSwitchTo(caller_context);
}

void close_write_target(WriteTarget* t) {
    AfterTriggerEndQuery(t->estate);
    ExecCloseResultRelations(t->estate);
    ExecResetTupleTable(t->estate->es_tupleTable, false);
    FreeExecutorState(t->estate);
    table_close(t->rel, NoLock);
    pfree(t);
}

}  // namespace pm::pg
