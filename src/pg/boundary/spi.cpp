#include "pg/boundary/spi.hpp"

#include <exception>

namespace pm::pg {

SpiScope::SpiScope() : uncaught_at_entry_(std::uncaught_exceptions()) {
    int rc = pg_call([] { return SPI_connect(); });
    if (rc != SPI_OK_CONNECT) throw SqlError(ERRCODE_INTERNAL_ERROR, "SPI_connect failed");
}

SpiScope::~SpiScope() {
    if (std::uncaught_exceptions() > uncaught_at_entry_) return;  // abort cleans up
    try {
        pg_call([] { SPI_finish(); });
    } catch (...) {
        // A destructor must not throw; SPI_finish only fails on a broken
        // SPI stack, which transaction abort repairs.
    }
}

Datum Rows::raw(std::uint64_t row, int col, bool* isnull) const {
    // A result with fewer rows than the caller expected (a trigger an admin
    // added can make an INSERT ... RETURNING return none) is an error, not
    // a read past the end of the tuple table.
    if (row >= size() || col < 0 || col >= table_->tupdesc->natts)
        throw SqlError(ERRCODE_INTERNAL_ERROR, "profile_merge: a statement returned fewer rows or "
                                               "columns than expected");
    return pg_call([&] { return SPI_getbinval(table_->vals[row], table_->tupdesc, col + 1, isnull); });
}

bool Rows::is_null(std::uint64_t row, int col) const {
    bool isnull;
    raw(row, col, &isnull);
    return isnull;
}

std::int64_t Rows::int8(std::uint64_t row, int col) const {
    bool isnull;
    Datum d = raw(row, col, &isnull);
    return isnull ? 0 : DatumGetInt64(d);
}

bool Rows::boolean(std::uint64_t row, int col) const {
    bool isnull;
    Datum d = raw(row, col, &isnull);
    return !isnull && DatumGetBool(d);
}

std::optional<std::int64_t> Rows::optional_int8(std::uint64_t row, int col) const {
    bool isnull;
    Datum d = raw(row, col, &isnull);
    if (isnull) return std::nullopt;
    return DatumGetInt64(d);
}

std::optional<bool> Rows::optional_boolean(std::uint64_t row, int col) const {
    bool isnull;
    Datum d = raw(row, col, &isnull);
    if (isnull) return std::nullopt;
    return DatumGetBool(d);
}

std::optional<std::string> Rows::text(std::uint64_t row, int col) const {
    bool isnull;
    Datum d = raw(row, col, &isnull);
    if (isnull) return std::nullopt;
    return std::string(text_view(d));
}

Datum Rows::datum(std::uint64_t row, int col) const {
    bool isnull;
    Datum d = raw(row, col, &isnull);
    return isnull ? 0 : d;
}

Plan::Plan(const char* sql, std::initializer_list<const char*> param_types) : sql_(sql) {
    for (const char* t : param_types) type_names_.emplace_back(t);
}

SPIPlanPtr (*plan_redirect)(const void* key, const char* sql, const Oid* types, int ntypes) = nullptr;

void Plan::resolve_types() {
    std::vector<Oid> types(type_names_.size());
    for (size_t i = 0; i < type_names_.size(); ++i) {
        const char* name = type_names_[i].c_str();
        types[i] = pg_call([&] {
            Oid oid;
            int32 typmod;
            parse_type_string(name, &oid, &typmod);
            return oid;
        });
    }
    types_ = std::move(types);
}

void Plan::prepare() {
    if (types_.size() != type_names_.size()) resolve_types();
    std::vector<Oid>& types = types_;
    plan_ = pg_call([&] {
        SPIPlanPtr p = SPI_prepare(sql_, static_cast<int>(types.size()), types.data());
        if (p == nullptr)
            elog(ERROR, "profile_merge: SPI_prepare failed (%s) for: %s",
                 SPI_result_code_string(SPI_result), sql_);
        SPI_keepplan(p);
        return p;
    });
}

Rows Plan::run(std::initializer_list<Param> params, long limit) {
    return run(std::vector<Param>(params), limit);
}

Rows Plan::run(const std::vector<Param>& params, long limit) {
    SPIPlanPtr plan;
    if (plan_redirect) {  // on a Citus shard (rows/shard_map.hpp)
        if (types_.size() != type_names_.size()) resolve_types();
        plan = plan_redirect(this, sql_, types_.data(), static_cast<int>(types_.size()));
    } else {
        if (!plan_) prepare();
        plan = plan_;
    }
    std::vector<Datum> values(params.size());
    std::vector<char> nulls(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
        values[i] = params[i].value;
        nulls[i] = params[i].is_null ? 'n' : ' ';
    }
    int rc = pg_call([&] {
        int r = SPI_execute_plan(plan, values.data(), nulls.data(), false, limit);
        if (r < 0)
            elog(ERROR, "profile_merge: SPI_execute_plan failed (%s) for: %s",
                 SPI_result_code_string(r), sql_);
        return r;
    });
    (void)rc;
    return Rows(SPI_tuptable, SPI_processed);
}

}  // namespace pm::pg
