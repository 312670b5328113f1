// ingest()'s writes after each batch: many rows into one table through one
// write target (write_target.hpp), as the triggers write theirs one at a
// time, instead of an INSERT ... SELECT over unnest()ed arrays (which paid
// for building the arrays, unnesting them into a tuplestore, a sort and a
// projection on top of the rows themselves). AFTER row triggers, the
// foreign keys' checks among them, fire once the table's rows are in, as
// at the end of a statement.
#pragma once

#include "pg/rows/write_target.hpp"

#include <cstddef>

namespace pm::pg {

// Everything below is Postgres C only (call inside pg_call).

// Inserts `nrows` rows of `ncolumns` cells each (cells[row * ncolumns ...])
// into profile_merge.<table>. A row that a BEFORE trigger skips is an
// error: the batch's other rows would disagree with it.
void insert_batch(const char* table, const ColumnValue* cells, int ncolumns, std::size_t nrows);

// Sets `nset` columns (cells[row * nset ...]) on each row of
// profile_merge.<table> found by its primary key `pkey` as keys[row].
struct RowKey {
    int64 account, id;
};
void update_batch(const char* table, const char* pkey, const RowKey* keys, const ColumnValue* cells,
                  int nset, std::size_t nrows);

}  // namespace pm::pg
