// Rows into the extension's tables without SQL (write_target.hpp says
// why and what is kept): plain inserts through ExecSimpleRelationInsert,
// and the speculative insertion of INSERT ... ON CONFLICT DO NOTHING.
#pragma once

#include "pg/rows/write_target.hpp"

namespace pm::pg {

// Everything below is Postgres C only (call inside pg_call).

// Inserts one row into a target; false when it was skipped: with an
// arbiter index, a row with the same key is there or arrives meanwhile (as
// ON CONFLICT DO NOTHING, with the same waits for rows in flight and the
// same 40001 under REPEATABLE READ); or a BEFORE trigger said no.
// `*returned` gets the int8 column `returning` of the stored row (after
// defaults and BEFORE triggers).
bool insert_into(WriteTarget* target, const ColumnValue* columns, int ncolumns,
                 const char* returning, int64* returned);

// One row into profile_merge.<table>, opened and closed for it; returns
// its int8 column `returning`, or 0 when `returning` is NULL. The row is
// written with the current command id, so it is visible to the next
// statement or index read (which increments the command counter).
int64 insert_row(const char* table, const ColumnValue* columns, int ncolumns,
                 const char* returning);

// insert_into for a row whose identity column is columns[identity] (given
// as NULL): it takes the next value of profile_merge.<sequence> first, as
// the column's default would, even when the row is then skipped.
bool insert_with_identity(WriteTarget* target, ColumnValue* columns, int ncolumns, int identity,
                          const char* sequence, const char* returning, int64* returned);

// The next value of profile_merge.<sequence> (an identity column's own
// sequence, named <table>_<column>_seq), as the column's default would take
// it; found by name, a syscache hit, where the default expression would
// need a scan of pg_depend per row.
int64 next_identity(const char* sequence);

}  // namespace pm::pg
