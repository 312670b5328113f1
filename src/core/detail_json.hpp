#pragma once
#include "core/no_postgres.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "core/rules.hpp"

namespace pm::core {

// The text of a string as a JSON string literal (quotes included).
std::string json_quote(const std::string& s);

// The events.detail array: one object per entry with action, kind, value,
// other_profile and, where set, reason, old_value and merge_id (looked up by
// merge_index in `merge_ids`).
std::string detail_json(const std::vector<DetailEntry>& detail,
                        const std::vector<std::int64_t>& merge_ids);

}  // namespace pm::core
