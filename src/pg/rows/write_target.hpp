// A table of the extension opened for writing rows without SQL: the
// executor state a one-table INSERT or UPDATE has, set up as the logical
// replication worker sets it up for the rows it applies, with the table's
// CHECK constraints and domains prepared once per backend instead of once
// per statement (direct_insert.hpp, direct_update.hpp use it).
//
// Why: a planned statement through SPI pays per execution for plan
// revalidation, executor start-up of its plan nodes, a portal, snapshots
// and the parsing of the table's CHECK constraints, on top of the row
// itself; for the one-row writes of every event that overhead was most of
// their cost (bench/README.md, "where the trigger's time goes").
//
// What a planned statement does is still done: column defaults (identity
// columns included) for the columns not given, domain constraints of the
// given values, NOT NULL and CHECK constraints, unique indexes, BEFORE and
// AFTER row triggers (the foreign keys' checks, and any trigger an admin
// adds). Not done: privilege checks and row-level security policies, which
// the extension's SECURITY DEFINER triggers bypass anyway as the tables'
// owner.
#pragma once

#include "pg/boundary/postgres.hpp"

namespace pm::pg {

// A column given by name; `value` is ignored when `isnull`.
struct ColumnValue {
    const char* name;
    Datum value;
    bool isnull;
};

// Plain C data, valid between open_write_target and close_write_target.
struct WriteTarget {
    Relation rel;
    Oid arbiter;  // unique index of ON CONFLICT DO NOTHING, or InvalidOid
    EState* estate;
    ResultRelInfo* result_rel;
    TupleTableSlot* slot;  // the row being written
    TupleTableSlot* old_slot;  // the version an update replaces (direct_update.cpp)
    char* domain_columns;  // per attribute: 0 not known yet, 'd' a domain, 'p' plain
};

// Everything below is Postgres C only (call inside pg_call).

// Opens profile_merge.<table> (and its indexes) for writing; with
// `arbiter_index` (a unique index of it) inserts skip a row whose key is
// there already (direct_insert.hpp). AFTER row triggers of the rows
// written fire when the target is closed, as at the end of a statement.
WriteTarget* open_write_target(const char* table, const char* arbiter_index);
void close_write_target(WriteTarget* target);

// Right after opening: the target no longer calls the extension's own
// BEFORE triggers (the rows the engine writes are resolved already: they
// would let them through untouched), nor, with `fkey`, the checks of that
// foreign key of its table: only profile_merge.ingest(), which holds the
// tables locked against other writers, leaves those out, and makes them
// for the whole batch at once (row_batch.cpp). An admin's triggers are
// still called.
void leave_out_engine_triggers(WriteTarget* target, const char* fkey);

// Fills target->slot with `columns` (by name, best given in table order):
// each given value checked against its column's domain, every other column
// its default, as an INSERT that leaves it out.
void fill_row(WriteTarget* target, const ColumnValue* columns, int ncolumns);

// Checks a value about to be stored in a column of type `type` against the
// type's domain constraints, if it is a domain.
void check_domain(Oid type, Datum value, bool isnull);

}  // namespace pm::pg
