// Reading an inserted row of events/consents, and writing columns back.
#pragma once

#include "pg/boundary/datum.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pm::pg {

// Typed access to the NEW tuple of a row trigger, columns found by name.
class TriggerRow {
public:
    explicit TriggerRow(TriggerData* trigdata);

    std::optional<std::int64_t> int8(const char* column) const;
    std::optional<bool> boolean(const char* column) const;
    // Text with surrounding white space trimmed; blank counts as absent.
    std::optional<std::string> text(const char* column) const;
    std::optional<std::string> raw_text(const char* column) const;
    Datum datum(const char* column, bool* isnull) const;
    // A column of a later version (events.identifiers, 0.5.0) may be missing.
    bool has(const char* column) const;

    // Queues a new value for a column; apply() builds the modified tuple.
    void set_text(const char* column, const std::optional<std::string>& value);
    void set_int8(const char* column, const std::optional<std::int64_t>& value);
    void set_jsonb(const char* column, Datum jsonb);
    void set_datum(const char* column, Datum value) { set(column, value, false); }
    Datum apply();

private:
    int attnum(const char* column) const;
    int find_attnum(const char* column) const;  // 0 when missing
    void set(const char* column, Datum value, bool isnull);

    TriggerData* trigdata_;
    HeapTuple tuple_;
    TupleDesc desc_;
    std::vector<int> columns_;
    std::vector<Datum> values_;
    std::vector<bool> nulls_;
};

// Removes surrounding white space (ASCII and Unicode, as the normalizers
// do); nothing left means absent: web forms send ''.
std::optional<std::string> trimmed_or_absent(std::string_view s);

}  // namespace pm::pg
