#include "pg/rows/direct_update.hpp"
#include "pg/rows/catalog.hpp"

#include "pg/rows/relations.hpp"

namespace pm::pg {

namespace {

// The newest version of the row with primary key (account, id), into
// `slot`; false when none.
bool fetch_newest(Relation heap, const char* pkey, int64 account, int64 id, TupleTableSlot* slot) {
    Relation index = index_open(extension_relid(pkey), AccessShareLock);
    push_statement_snapshot();  // earlier writes of this transaction included
    bool found = fetch_by_account_key(heap, index, GetActiveSnapshot(), account, id, slot);
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

Datum now_datum() { return TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()); }

bool edit_profile(TupleTableSlot* row, Relation rel, void* arg) {
    const ProfileChange* change = static_cast<const ProfileChange*>(arg);
    bool changed = false;
    const ColumnValue* columns[] = {&change->external_id, &change->email, &change->phone};
    for (const ColumnValue* c : columns) {
        const int i = extension_column(RelationGetRelid(rel), c->name) - 1;
        if (!text_differs(row->tts_values[i], row->tts_isnull[i], c->value, c->isnull)) continue;
        set_column(row, rel, c->name, c->value, c->isnull);
        changed = true;
    }
    if (change->properties) {
        const int i = extension_column(RelationGetRelid(rel), "properties") - 1;
        Datum merged = DirectFunctionCall2(jsonb_concat, row->tts_values[i], change->properties);
        if (DatumGetBool(DirectFunctionCall2(jsonb_ne, merged, row->tts_values[i]))) {
            set_column(row, rel, "properties", merged, false);
            changed = true;
        }
    }
    if (changed) set_column(row, rel, "updated_at", now_datum(), false);
    return changed;
}

struct Tombstone {
    int64 survivor;
};

bool edit_tombstone(TupleTableSlot* row, Relation rel, void* arg) {
    set_column(row, rel, "merged_into", Int64GetDatum(static_cast<Tombstone*>(arg)->survivor), false);
    static const char* const emptied[] = {"external_id", "email", "phone"};
    for (const char* name : emptied) set_column(row, rel, name, 0, true);
    set_column(row, rel, "updated_at", now_datum(), false);
    return true;
}

struct Absorb {
    const ColumnValue* fill;  // external_id, email, phone
    Datum merged_properties;
};

bool edit_absorb(TupleTableSlot* row, Relation rel, void* arg) {
    const Absorb* a = static_cast<const Absorb*>(arg);
    for (int k = 0; k < 3; ++k) {
        const int i = extension_column(RelationGetRelid(rel), a->fill[k].name) - 1;
        if (row->tts_isnull[i] && !a->fill[k].isnull)
            set_column(row, rel, a->fill[k].name, a->fill[k].value, false);
    }
    const int p = extension_column(RelationGetRelid(rel), "properties") - 1;
    set_column(row, rel, "properties",
               DirectFunctionCall2(jsonb_concat, a->merged_properties, row->tts_values[p]), false);
    set_column(row, rel, "updated_at", now_datum(), false);
    return true;
}

struct Detach {
    Datum reason;
    const int64* by_event;
};

bool edit_detach(TupleTableSlot* row, Relation rel, void* arg) {
    const Detach* d = static_cast<const Detach*>(arg);
    set_column(row, rel, "detached_at", now_datum(), false);
    set_column(row, rel, "detach_reason", d->reason, false);
    set_column(row, rel, "detached_by_event", d->by_event ? Int64GetDatum(*d->by_event) : (Datum) 0,
               d->by_event == NULL);
    return true;
}

char* column_text_or_null(TupleTableSlot* slot, Relation rel, const char* name) {
    return slot_text_or_null(slot, extension_column(RelationGetRelid(rel), name));
}

}  // namespace

void set_column(TupleTableSlot* row, Relation rel, const char* name, Datum value, bool isnull) {
    const int i = extension_column(RelationGetRelid(rel), name) - 1;
    check_domain(TupleDescAttr(RelationGetDescr(rel), i)->atttypid, value, isnull);
    row->tts_values[i] = isnull ? (Datum) 0 : value;
    row->tts_isnull[i] = isnull;
}

bool update_by_key(WriteTarget* t, const char* pkey, int64 account, int64 id, RowEdit edit,
                   void* arg, TupleTableSlot** old_out) {
    Relation rel = t->rel;
    EState* estate = t->estate;
    MemoryContext outer = MemoryContextSwitchTo(estate->es_query_cxt);
    // One slot per target for the versions read: a slot per row pinned a
    // tuple descriptor per row, which ingest()'s batches paid for in the
    // resource owner.
    if (t->old_slot == NULL) t->old_slot = table_slot_create(rel, &estate->es_tupleTable);
    TupleTableSlot* old = t->old_slot;
    bool written = false;
    if (fetch_newest(rel, pkey, account, id, old)) {
        TupleTableSlot* row = t->slot;
        const int natts = RelationGetDescr(rel)->natts;
        ExecClearTuple(row);
        memcpy(row->tts_values, old->tts_values, sizeof(Datum) * natts);
        memcpy(row->tts_isnull, old->tts_isnull, sizeof(bool) * natts);
        if (edit(row, rel, arg)) {
            ExecStoreVirtualTuple(row);
            // The same command id as the fetch above, which took a fresh
            // one: the row written is the version just read.
            estate->es_output_cid = GetCurrentCommandId(true);
            EPQState epq;  // used by BEFORE UPDATE row triggers, if an admin adds one
            init_eval_plan_qual(&epq, estate);
            ExecSimpleRelationUpdate(t->result_rel, estate, &epq, old, row);
            EvalPlanQualEnd(&epq);
            written = true;
        }
    }
    if (old_out != NULL) *old_out = old;
    MemoryContextSwitchTo(outer);
    return written;
}

bool update_profile_row(int64 account, int64 id, const ProfileChange& change) {
    WriteTarget* t = open_write_target(catalog::kProfiles, NULL);
    bool changed = update_by_key(t, catalog::kProfilesPkey, account, id, edit_profile,
                                 const_cast<ProfileChange*>(&change));
    close_write_target(t);
    return changed;
}

void tombstone_profile_row(int64 account, int64 merged, int64 survivor) {
    WriteTarget* t = open_write_target(catalog::kProfiles, NULL);
    Tombstone arg = {survivor};
    update_by_key(t, catalog::kProfilesPkey, account, merged, edit_tombstone, &arg);
    close_write_target(t);
}

void absorb_profile_row(int64 account, int64 survivor, const ColumnValue fill[3],
                        Datum merged_properties) {
    WriteTarget* t = open_write_target(catalog::kProfiles, NULL);
    Absorb arg = {fill, merged_properties};
    update_by_key(t, catalog::kProfilesPkey, account, survivor, edit_absorb, &arg);
    close_write_target(t);
}

bool detach_identifier_row(WriteTarget* t, int64 account, int64 identifier_id, const char* reason,
                           const int64* by_event, DetachedRow* out) {
    Detach d = {CStringGetTextDatum(reason), by_event};
    TupleTableSlot* old = NULL;
    if (!update_by_key(t, catalog::kIdentifiersPkey, account, identifier_id, edit_detach, &d, &old))
        return false;
    // Copied into the caller's memory: the target's goes when it is closed.
    out->identifier_id = identifier_id;
    out->kind = column_text_or_null(old, t->rel, "kind");
    out->value = column_text_or_null(old, t->rel, "value");
    out->source = column_text_or_null(old, t->rel, "source");
    bool isnull;
    Datum e = slot_getattr(old, extension_column(RelationGetRelid(t->rel), "event_id"), &isnull);
    out->has_event_id = !isnull;
    out->event_id = isnull ? 0 : DatumGetInt64(e);
    return true;
}

}  // namespace pm::pg
