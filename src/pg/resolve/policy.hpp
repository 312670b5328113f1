// The policy tables, cached per backend. `sources` and `blocked_values`
// change rarely and are read for every event; a statement trigger on both
// sends a relcache invalidation that empties these caches in every backend.
#pragma once

#include "core/rules.hpp"

#include <cstdint>
#include <string>

namespace pm::pg {

// The policy of `source` for `account` (its own row, else account 0's), or
// nullptr for an unknown source. Valid until the next policy change.
const core::Policy* find_policy(std::int64_t account, const std::string& source);

bool is_blocked(std::int64_t account, core::Kind kind, const std::string& value);

// The reason of the first blocked_patterns row of the account (or account
// 0) whose regular expression matches `value` (normalized), or nothing.
std::optional<std::string> blocked_pattern_reason(std::int64_t account, core::Kind kind,
                                                  const std::string& value);

// Registers the invalidation callback; called from _PG_init.
void register_policy_invalidation();

}  // namespace pm::pg
