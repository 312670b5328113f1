#include "pg/entry/trigger_row.hpp"

#include "core/normalized.hpp"

#include <cstring>

namespace pm::pg {

std::optional<std::string> trimmed_or_absent(std::string_view s) {
    std::string_view t = core::trim_space(s);
    if (t.empty()) return std::nullopt;
    return std::string(t);
}

TriggerRow::TriggerRow(TriggerData* trigdata)
    : trigdata_(trigdata), tuple_(trigdata->tg_trigtuple), desc_(trigdata->tg_relation->rd_att) {}

int TriggerRow::find_attnum(const char* column) const {
    // A walk over the descriptor in memory, which cannot raise: SPI_fnumber
    // through the guard cost ~800 instructions per column, 12 columns per
    // event (callgrind).
    for (int i = 0; i < desc_->natts; ++i) {
        const FormData_pg_attribute* a = TupleDescAttr(desc_, i);
        if (!a->attisdropped && std::strcmp(NameStr(a->attname), column) == 0) return i + 1;
    }
    return 0;
}

bool TriggerRow::has(const char* column) const { return find_attnum(column) != 0; }

int TriggerRow::attnum(const char* column) const {
    if (int n = find_attnum(column)) return n;
    throw SqlError(ERRCODE_UNDEFINED_COLUMN, std::string("column \"") + column + "\" is missing");
}

Datum TriggerRow::datum(const char* column, bool* isnull) const {
    int n = attnum(column);
    return pg_call([&] { return heap_getattr(tuple_, n, desc_, isnull); });
}

std::optional<std::int64_t> TriggerRow::int8(const char* column) const {
    bool isnull;
    Datum d = datum(column, &isnull);
    if (isnull) return std::nullopt;
    return DatumGetInt64(d);
}

std::optional<bool> TriggerRow::boolean(const char* column) const {
    bool isnull;
    Datum d = datum(column, &isnull);
    if (isnull) return std::nullopt;
    return DatumGetBool(d);
}

std::optional<std::string> TriggerRow::raw_text(const char* column) const {
    bool isnull;
    Datum d = datum(column, &isnull);
    if (isnull) return std::nullopt;
    return std::string(text_view(d));
}

std::optional<std::string> TriggerRow::text(const char* column) const {
    bool isnull;
    Datum d = datum(column, &isnull);
    if (isnull) return std::nullopt;
    return trimmed_or_absent(text_view(d));
}

void TriggerRow::set(const char* column, Datum value, bool isnull) {
    columns_.push_back(attnum(column));
    values_.push_back(value);
    nulls_.push_back(isnull);
}

void TriggerRow::set_text(const char* column, const std::optional<std::string>& value) {
    if (value) set(column, text_datum(*value), false);
    else set(column, 0, true);
}

void TriggerRow::set_int8(const char* column, const std::optional<std::int64_t>& value) {
    set(column, value ? Int64GetDatum(*value) : 0, !value);
}

void TriggerRow::set_jsonb(const char* column, Datum jsonb) { set(column, jsonb, false); }

Datum TriggerRow::apply() {
    std::vector<bool> nulls = nulls_;
    return pg_call([&] {
        bool* isnull = static_cast<bool*>(palloc(sizeof(bool) * (nulls.size() + 1)));
        for (size_t i = 0; i < nulls.size(); ++i) isnull[i] = nulls[i];
        HeapTuple t = heap_modify_tuple_by_cols(tuple_, desc_, static_cast<int>(columns_.size()),
                                                columns_.data(), values_.data(), isnull);
        return PointerGetDatum(t);
    });
}

}  // namespace pm::pg
