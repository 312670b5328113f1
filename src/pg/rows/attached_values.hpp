// Reads of attached identifiers straight from their indexes instead of
// through the executor:
//  * who holds an event's values (identifiers_attached_value), asked by
//    every event: as an SPI statement (three unique probes under UNION ALL)
//    it cost about 105,000 instructions per event, mostly executor start-up
//    and shutdown (callgrind, bench/README.md);
//  * the attached row of one value, and the attached rows of one profile,
//    which overrides and merges then detach by primary key. As UPDATEs by
//    value or by profile, their generic plans depended on how the planner
//    priced the indexes of a table without statistics, and could read a
//    whole account per merge (bench/README.md, 2026-11-28).
//
// Each read sees what an SPI statement run at the same point would see: the
// command counter is advanced and a snapshot is taken the way SPI takes one
// for a statement that may write.
#pragma once

#include "core/kind.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pm::pg {

// One value to look up.
struct AttachedProbe {
    core::Kind kind;
    const std::string* value;
};

// The profile holding each probed value (attached, visible to a statement
// snapshot taken now), or nothing, in the order of `probes`: one index
// scan for all of an event's values.
std::vector<std::optional<std::int64_t>> attached_owners(std::int64_t account,
                                                         const std::vector<AttachedProbe>& probes);

// identifier_id of the attached row of (kind, value), or nothing.
std::optional<std::int64_t> attached_identifier(std::int64_t account, core::Kind kind,
                                                const std::string& value);

// identifier_id of every attached row of the profile, in id order.
std::vector<std::int64_t> attached_identifiers_of(std::int64_t account, std::int64_t profile);

// Batch forms for profile_merge.ingest(), one index probe per key.
struct ValueKey {
    std::int64_t account;
    core::Kind kind;
    std::string value;
};
struct Holder {
    std::int64_t account, profile;
};
// The profiles holding the attached values among `keys` (absent ones are
// skipped).
std::vector<Holder> attached_holders(const std::vector<ValueKey>& keys);

struct AttachedRow {
    std::int64_t account, identifier_id;
    core::Kind kind;
    std::string value;
    std::int64_t profile;
    std::optional<std::string> source;
    std::optional<std::int64_t> event_id, merge_id;
    std::int64_t attached_at_us = 0;  // timestamptz, microseconds
};
// Every attached row of the given profiles, in identifier id order.
std::vector<AttachedRow> attached_rows_of(const std::vector<Holder>& profiles);

}  // namespace pm::pg
