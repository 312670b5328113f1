// The cells of a row written without SQL (ColumnValue, write_target.hpp)
// from C++ values: what the store and ingest() hand to the write targets.
// Text is copied into a datum in the current memory context.
#pragma once

#include "pg/boundary/datum.hpp"
#include "pg/rows/write_target.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pm::pg {

inline ColumnValue int8_cell(const char* name, std::int64_t v) { return {name, Int64GetDatum(v), false}; }

inline ColumnValue int8_cell(const char* name, const std::optional<std::int64_t>& v) {
    return {name, v ? Int64GetDatum(*v) : (Datum) 0, !v};
}

inline ColumnValue bool_cell(const char* name, const std::optional<bool>& v) {
    return {name, v ? BoolGetDatum(*v) : (Datum) 0, !v};
}

inline ColumnValue text_cell(const char* name, std::string_view v) { return {name, text_datum(v), false}; }

inline ColumnValue optional_text_cell(const char* name, const std::optional<std::string>& v) {
    return {name, v ? text_datum(*v) : (Datum) 0, !v};
}

// A datum the caller made; 0 stands for NULL.
inline ColumnValue datum_cell(const char* name, Datum d) { return {name, d, d == 0}; }

inline ColumnValue null_cell(const char* name) { return {name, 0, true}; }

}  // namespace pm::pg
