// Locking one profile row FOR UPDATE without the executor: a probe of the
// primary key and table_tuple_lock, the two steps a SELECT ... FOR UPDATE
// by primary key comes down to. As an SPI statement it cost about 44,000
// instructions per profile, most of them executor start-up (callgrind,
// bench/README.md).
//
// Same behaviour as ExecLockRows: under READ COMMITTED the latest version
// of the row is locked (waiting for a transaction that holds it), a row
// deleted meanwhile counts as absent; under REPEATABLE READ or SERIALIZABLE
// a row changed since the snapshot is a serialization failure (40001).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace pm::pg {

struct LockedProfileRow {
    std::int64_t id = 0;
    std::optional<std::string> external_id, email, phone;
    bool active = false;            // merged_into IS NULL
    std::int64_t created_at_us = 0;  // microseconds since the Unix epoch
};

// The row (account, id) locked FOR UPDATE, or nothing when there is none.
std::optional<LockedProfileRow> lock_profile_row(std::int64_t account, std::int64_t id);

}  // namespace pm::pg
