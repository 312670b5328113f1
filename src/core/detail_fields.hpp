// The events.detail array as data: one object per entry of the rules'
// detail, each a list of fields. The Postgres layer builds the jsonb from it
// directly (detail_jsonb.hpp); parsing a JSON text of it was 2.6 % of the
// trigger path's instructions and 6.7 % of ingest()'s.
#pragma once
#include "core/no_postgres.hpp"

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/rules.hpp"

namespace pm::core {

struct DetailField {
    enum class Type { String, Integer, Null };
    std::string_view key;
    Type type = Type::Null;
    std::string_view text;    // Type::String; points into the entries
    std::int64_t number = 0;  // Type::Integer
};
using DetailObject = std::vector<DetailField>;

// Per entry: action, kind, value, other_profile (null when unset) and, when
// set, old_value, merge_id (merge_ids[merge_index]) and reason. The views
// are valid while `detail` lives.
std::vector<DetailObject> detail_fields(const std::vector<DetailEntry>& detail,
                                        const std::vector<std::int64_t>& merge_ids);

}  // namespace pm::core
