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
#include <iterator>
#include <vector>

namespace pm::pg {

// The cells of a batch of rows of one shape, row after row: the shape is
// the first row's, so no caller counts columns by hand.
class BatchRows {
public:
    template <std::size_t N>
    void add(const ColumnValue (&row)[N]) {
        if (ncolumns_ == 0) ncolumns_ = static_cast<int>(N);
        if (static_cast<int>(N) != ncolumns_) throw_shape_mismatch();
        cells_.insert(cells_.end(), std::begin(row), std::end(row));
    }
    // One row made of two parts, `first` then `rest`.
    template <std::size_t N, std::size_t M>
    void add(const ColumnValue (&first)[N], const ColumnValue (&rest)[M]) {
        if (ncolumns_ == 0) ncolumns_ = static_cast<int>(N + M);
        if (static_cast<int>(N + M) != ncolumns_) throw_shape_mismatch();
        cells_.insert(cells_.end(), std::begin(first), std::end(first));
        cells_.insert(cells_.end(), std::begin(rest), std::end(rest));
    }
    const ColumnValue* cells() const { return cells_.data(); }
    int ncolumns() const { return ncolumns_; }
    std::size_t count() const { return ncolumns_ ? cells_.size() / ncolumns_ : 0; }

private:
    [[noreturn]] static void throw_shape_mismatch();
    std::vector<ColumnValue> cells_;
    int ncolumns_ = 0;
};

// Everything below is Postgres C only (call inside pg_call).

// Inserts `nrows` rows of `ncolumns` cells each (cells[row * ncolumns ...])
// into profile_merge.<table>. A row that a BEFORE trigger skips is an
// error: the batch's other rows would disagree with it.
void insert_batch(const char* table, const ColumnValue* cells, int ncolumns, std::size_t nrows);
inline void insert_batch(const char* table, const BatchRows& rows) {
    insert_batch(table, rows.cells(), rows.ncolumns(), rows.count());
}

// Sets `nset` columns (cells[row * nset ...]) on each row of
// profile_merge.<table> found by its primary key `pkey` as keys[row].
struct RowKey {
    int64 account, id;
};
void update_batch(const char* table, const char* pkey, const RowKey* keys, const ColumnValue* cells,
                  int nset, std::size_t nrows);
// `rows` holds one row of cells to set for each of `keys`.
inline void update_batch(const char* table, const char* pkey, const std::vector<RowKey>& keys,
                         const BatchRows& rows) {
    update_batch(table, pkey, keys.data(), rows.cells(), rows.ncolumns(), keys.size());
}

}  // namespace pm::pg
