// One-dimensional SQL arrays built from C++ values, for the statements that
// pass many rows at once (unnest of parallel arrays).
#pragma once

#include "pg/boundary/datum.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pm::pg {

class ArrayBuilder {
public:
    static ArrayBuilder int8() { return ArrayBuilder(INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE); }
    static ArrayBuilder text() { return ArrayBuilder(TEXTOID, -1, false, TYPALIGN_INT); }
    static ArrayBuilder jsonb() { return ArrayBuilder(JSONBOID, -1, false, TYPALIGN_INT); }
    static ArrayBuilder timestamptz() {
        return ArrayBuilder(TIMESTAMPTZOID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
    }

    void push(Datum d) { values_.push_back(d); nulls_.push_back(false); }
    void push_null() { values_.push_back(0); nulls_.push_back(true); }
    void push(const std::optional<std::int64_t>& v) { v ? push(Int64GetDatum(*v)) : push_null(); }
    void push(const std::optional<bool>& v) { v ? push(BoolGetDatum(*v)) : push_null(); }
    void push(const std::optional<std::string>& v) { v ? push(text_datum(*v)) : push_null(); }
    void push_text(std::string_view v) { push(text_datum(v)); }

    std::size_t size() const { return values_.size(); }
    Datum build() const;  // in the current memory context

private:
    ArrayBuilder(Oid type, int16 len, bool byval, char align)
        : type_(type), len_(len), byval_(byval), align_(align) {}
    Oid type_;
    int16 len_;
    bool byval_;
    char align_;
    std::vector<Datum> values_;
    std::vector<bool> nulls_;
};

Datum int8_array(const std::vector<std::int64_t>& items);

// The non-NULL elements of a bigint[] argument, in order.
std::vector<std::int64_t> int8_array_values(Datum array);

}  // namespace pm::pg
