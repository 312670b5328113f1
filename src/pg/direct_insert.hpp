// One row into one of the extension's tables without SQL: the executor's
// row-level routines (ExecSimpleRelationInsert, the same path logical
// replication applies rows with) instead of a planned INSERT through SPI.
//
// Why: a planned INSERT pays per execution for plan revalidation, executor
// start-up of its plan nodes, a portal and snapshots, on top of the row
// itself; for the one-row inserts of every event that overhead was most of
// their cost (bench/README.md, "where the trigger's time goes").
//
// What a planned INSERT does is still done: column defaults (identity
// columns included) for the columns not given, domain constraints of the
// given values, NOT NULL and CHECK constraints, unique indexes, BEFORE and
// AFTER row triggers (foreign keys, and any trigger an admin adds). Not
// done: privilege checks and row-level security policies, which the
// extension's SECURITY DEFINER triggers bypass anyway as the tables' owner.
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "nodes/execnodes.h"
#include "utils/relcache.h"
}

namespace pm::pg {

// A column given by name; `value` is ignored when `isnull`.
struct ColumnValue {
    const char* name;
    Datum value;
    bool isnull;
};

// A table open for inserts: its executor state, indexes and prepared
// constraints, shared by the rows of one event. Plain C data.
struct InsertTarget {
    Relation rel;
    Oid arbiter;  // unique index of ON CONFLICT DO NOTHING, or InvalidOid
    EState* estate;
    ResultRelInfo* result_rel;
    TupleTableSlot* slot;
};

// Postgres C only (call inside pg_call), like everything below. Opens
// profile_merge.<table>; with `arbiter_index` (a unique index of it), a row
// whose key is already there is skipped, as INSERT ... ON CONFLICT
// (<that index>) DO NOTHING does, with the same waits for rows in flight
// and the same serialization failure under REPEATABLE READ.
InsertTarget* open_insert_target(const char* table, const char* arbiter_index);

// Inserts one row; false when it was skipped (a conflict, or a BEFORE
// trigger said no). `*returned` gets the int8 column `returning` of the
// stored row (after defaults and BEFORE triggers).
bool insert_into(InsertTarget* target, const ColumnValue* columns, int ncolumns,
                 const char* returning, int64* returned);

// Fires the AFTER row triggers of the rows inserted, as at the end of a
// statement, and closes the table.
void close_insert_target(InsertTarget* target);

// One row into a table opened and closed for it. Inserts the row into
// profile_merge.<table>; returns the int8 column `returning` of the stored
// row (after defaults and BEFORE triggers), or 0 when `returning` is NULL.
// The row is written with the current command id, so it is visible to the
// next statement or index read (which increments the command counter).
int64 insert_row(const char* table, const ColumnValue* columns, int ncolumns,
                 const char* returning);

// Postgres C only. The next value of profile_merge.<sequence> (an identity
// column's own sequence, named <table>_<column>_seq), as the column's
// default would take it; found by name, a syscache hit, where the default
// expression would need a scan of pg_depend per row.
int64 next_identity(const char* sequence);

}  // namespace pm::pg
