// SPI through the boundary: a connection scope and cached prepared plans.
#pragma once

#include "pg/boundary/datum.hpp"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace pm::pg {

// SPI_connect for the lifetime of the object. On the error path the
// connection is left to Postgres's own cleanup at (sub)transaction abort,
// since calling SPI_finish while an exception unwinds could raise again.
class SpiScope {
public:
    SpiScope();
    ~SpiScope();
    SpiScope(const SpiScope&) = delete;
    SpiScope& operator=(const SpiScope&) = delete;

private:
    int uncaught_at_entry_;
};

// A query parameter: a datum or NULL, with the type it was declared with.
struct Param {
    Datum value = 0;
    bool is_null = true;

    static Param null() { return {}; }
    static Param int8(std::int64_t v) { return {Int64GetDatum(v), false}; }
    static Param boolean(bool v) { return {BoolGetDatum(v), false}; }
    static Param text(std::string_view s) { return {text_datum(s), false}; }
    static Param text(const std::string& s) { return text(std::string_view(s)); }
    static Param text(const char* s) { return text(std::string_view(s)); }
    static Param text(const std::optional<std::string>& s) { return s ? text(*s) : null(); }
    static Param datum(Datum d) { return {d, false}; }
};

// The rows of the last statement, read through guarded accessors.
class Rows {
public:
    Rows(SPITupleTable* table, std::uint64_t count) : table_(table), count_(count) {}
    std::uint64_t size() const { return count_; }
    bool empty() const { return count_ == 0; }

    // Columns count from 0. int8 and boolean read NULL as 0 and false;
    // the optional_ forms keep it.
    bool is_null(std::uint64_t row, int col) const;
    std::int64_t int8(std::uint64_t row, int col) const;
    bool boolean(std::uint64_t row, int col) const;
    std::optional<std::int64_t> optional_int8(std::uint64_t row, int col) const;
    std::optional<bool> optional_boolean(std::uint64_t row, int col) const;
    std::optional<std::string> text(std::uint64_t row, int col) const;
    Datum datum(std::uint64_t row, int col) const;  // 0 when NULL; valid until SPI_finish

private:
    Datum raw(std::uint64_t row, int col, bool* isnull) const;
    SPITupleTable* table_;
    std::uint64_t count_;
};

// Set while statements must run against other relations than those their
// text names (Citus shards, rows/shard_map.hpp): the plan to run instead,
// prepared once per `key` (a Plan) and kept by whoever set the hook.
extern SPIPlanPtr (*plan_redirect)(const void* key, const char* sql, const Oid* types, int ntypes);

// A statement prepared once per backend (SPI_keepplan) on first use.
// Parameters are declared by type name, e.g. {"bigint", "text"}.
class Plan {
public:
    Plan(const char* sql, std::initializer_list<const char*> param_types);
    Rows run(std::initializer_list<Param> params, long limit = 0);
    Rows run(const std::vector<Param>& params, long limit = 0);

private:
    void prepare();
    void resolve_types();
    const char* sql_;
    std::vector<std::string> type_names_;
    std::vector<Oid> types_;  // resolved on first use
    SPIPlanPtr plan_ = nullptr;
};

}  // namespace pm::pg
