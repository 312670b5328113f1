// Rows of the extension's tables updated without SQL (write_target.hpp
// says why and what is kept), through ExecSimpleRelationUpdate as the
// logical replication worker applies an UPDATE. Rows are found by primary
// key, newest version first: the callers hold them locked (a profile,
// profile_lock.hpp) or under the lock of their profile (its identifiers).
#pragma once

#include "pg/rows/write_target.hpp"

namespace pm::pg {

// Everything below is Postgres C only (call inside pg_call).

// Edits `row` (the newest version's values, every attribute filled, in
// the target's memory) and says whether to write it.
using RowEdit = bool (*)(TupleTableSlot* row, Relation rel, void* arg);

// Finds the row of `target` whose primary key `pkey` (an index on
// (account_id, <id>)) is (account, id), lets `edit` change a copy of it
// and writes the copy. False when there is no such row or `edit` said no.
// The old version is left in *old (valid until the next update through
// the target, or its closing).
bool update_by_key(WriteTarget* target, const char* pkey, int64 account, int64 id, RowEdit edit,
                   void* arg, TupleTableSlot** old = NULL);

// For a RowEdit: sets column `name` of `row` (checked against its domain,
// if any).
void set_column(TupleTableSlot* row, Relation rel, const char* name, Datum value, bool isnull);

// What an event sets on its profile: the three identifier columns (text
// or NULL) and properties to merge in (a jsonb object; 0 for none).
struct ProfileChange {
    ColumnValue external_id, email, phone;
    Datum properties;
};

// Sets the columns of profile (account, id), properties = properties ||
// change.properties and updated_at = now(), unless no column would change.
// Returns whether the row changed.
bool update_profile_row(int64 account, int64 id, const ProfileChange& change);

// The merged profile of a merge becomes a tombstone: merged_into set, its
// identifier columns emptied, updated_at = now().
void tombstone_profile_row(int64 account, int64 merged, int64 survivor);

// The survivor of a merge takes what the merged profile had: each
// identifier column it lacks from `fill` (external_id, email, phone),
// properties = merged_properties || properties, updated_at = now().
void absorb_profile_row(int64 account, int64 survivor, const ColumnValue fill[3],
                        Datum merged_properties);

// One identifier row as it was when detached (strings in the caller's
// memory context; NULL when NULL).
struct DetachedRow {
    int64 identifier_id;
    char* kind;
    char* value;
    char* source;
    bool has_event_id;
    int64 event_id;
};

// Sets detached_at = now(), detach_reason and detached_by_event (NULL when
// `by_event` is NULL) on identifier (account, identifier_id) of `target`
// (identifiers, opened by the caller). False when there is no such row.
bool detach_identifier_row(WriteTarget* target, int64 account, int64 identifier_id,
                           const char* reason, const int64* by_event, DetachedRow* out);

}  // namespace pm::pg
