#include "pg/rows/row_batch.hpp"
#include "pg/rows/catalog.hpp"

#include "pg/rows/direct_insert.hpp"
#include "pg/rows/direct_update.hpp"
#include "pg/rows/relations.hpp"
#include "pg/boundary/guard.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace pm::pg {

void BatchRows::throw_shape_mismatch() {
    throw SqlError(ERRCODE_INTERNAL_ERROR, "profile_merge: rows of different shapes in one batch");
}

namespace {

// The foreign keys of the extension's tables, all to profiles: checked for
// each batch at once (see check_references) instead of by an RI trigger per
// row, whose SPI query was a fifth of ingest()'s instructions. The locks
// ingest() holds keep every other writer out of profiles until it commits,
// which is what the RI trigger's FOR KEY SHARE row lock is for.
struct ProfilesKey {
    const char* table;
    const char* constraint;
    const char* column;  // referencing profiles.profile_id, with account_id
};
const ProfilesKey kProfilesKeys[] = {
    {catalog::kIdentifiers, catalog::kIdentifiersProfileFkey, "profile_id"},
    {catalog::kProfiles, catalog::kProfilesMergedIntoFkey, "merged_into"},
};

const ProfilesKey* profiles_key_of(const char* table) {
    for (const ProfilesKey& k : kProfilesKeys)
        if (strcmp(k.table, table) == 0) return &k;
    return NULL;
}

using Reference = std::pair<int64, int64>;  // (account_id, profile_id)

// The cell named `name` of a row, or NULL.
const ColumnValue* cell(const ColumnValue* row, int ncolumns, const char* name) {
    for (int i = 0; i < ncolumns; ++i)
        if (strcmp(row[i].name, name) == 0) return &row[i];
    return NULL;
}

// Every reference names an existing profile (as the statement after the
// batch's writes sees them), or the error the foreign key would give.
void check_references(const ProfilesKey& key, std::vector<Reference> refs) {
    if (refs.empty()) return;
    std::sort(refs.begin(), refs.end());
    refs.erase(std::unique(refs.begin(), refs.end()), refs.end());
    Relation heap = table_open(extension_relid(catalog::kProfiles), AccessShareLock);
    Relation index = index_open(extension_relid(catalog::kProfilesPkey), AccessShareLock);
    push_statement_snapshot();
    TupleTableSlot* slot = table_slot_create(heap, NULL);
    for (const Reference& r : refs)
        if (!fetch_by_account_key(heap, index, GetActiveSnapshot(), r.first, r.second, slot))
            ereport(ERROR, (errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
                            errmsg("insert or update on table \"%s\" violates foreign key constraint \"%s\"",
                                   key.table, key.constraint),
                            errdetail("Key (account_id, %s)=(%lld, %lld) is not present in table \"profiles\".",
                                      key.column, static_cast<long long>(r.first),
                                      static_cast<long long>(r.second))));
    ExecDropSingleTupleTableSlot(slot);
    PopActiveSnapshot();
    index_close(index, AccessShareLock);
    table_close(heap, AccessShareLock);
}

WriteTarget* open_batch_target(const char* table) {
    WriteTarget* t = open_write_target(table, NULL);
    const ProfilesKey* key = profiles_key_of(table);
    leave_out_engine_triggers(t, key ? key->constraint : NULL);
    return t;
}

struct SetColumns {
    const ColumnValue* cells;
    int nset;
};

bool edit_set_columns(TupleTableSlot* row, Relation rel, void* arg) {
    const SetColumns* s = static_cast<const SetColumns*>(arg);
    for (int i = 0; i < s->nset; ++i)
        set_column(row, rel, s->cells[i].name, s->cells[i].value, s->cells[i].isnull);
    return true;
}

}  // namespace

void insert_batch(const char* table, const ColumnValue* cells, int ncolumns, std::size_t nrows) {
    if (nrows == 0) return;
    WriteTarget* t = open_batch_target(table);
    for (std::size_t i = 0; i < nrows; ++i)
        if (!insert_into(t, &cells[i * ncolumns], ncolumns, NULL, NULL))
            ereport(ERROR, (errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
                            errmsg("a BEFORE INSERT trigger on profile_merge.%s skipped a row the "
                                   "extension must write", table)));
    close_write_target(t);

    if (const ProfilesKey* key = profiles_key_of(table)) {
        std::vector<Reference> refs;
        for (std::size_t i = 0; i < nrows; ++i) {
            const ColumnValue* row = &cells[i * ncolumns];
            const ColumnValue* account = cell(row, ncolumns, "account_id");
            const ColumnValue* profile = cell(row, ncolumns, key->column);
            if (account && profile && !account->isnull && !profile->isnull)
                refs.push_back({DatumGetInt64(account->value), DatumGetInt64(profile->value)});
        }
        check_references(*key, std::move(refs));
    }
}

void update_batch(const char* table, const char* pkey, const RowKey* keys, const ColumnValue* cells,
                  int nset, std::size_t nrows) {
    if (nrows == 0) return;
    WriteTarget* t = open_batch_target(table);
    for (std::size_t i = 0; i < nrows; ++i) {
        SetColumns set = {&cells[i * nset], nset};
        if (!update_by_key(t, pkey, keys[i].account, keys[i].id, edit_set_columns, &set))
            elog(ERROR, "profile_merge: ingest found no row (%lld, %lld) in profile_merge.%s to update",
                 static_cast<long long>(keys[i].account), static_cast<long long>(keys[i].id), table);
    }
    close_write_target(t);

    if (const ProfilesKey* key = profiles_key_of(table)) {
        std::vector<Reference> refs;
        for (std::size_t i = 0; i < nrows; ++i) {
            const ColumnValue* profile = cell(&cells[i * nset], nset, key->column);
            if (profile && !profile->isnull) refs.push_back({keys[i].account, DatumGetInt64(profile->value)});
        }
        check_references(*key, std::move(refs));
    }
}

}  // namespace pm::pg
