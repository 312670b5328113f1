// Who holds an attached value, read straight from the unique index
// identifiers_attached_value instead of through the executor.
//
// Every event asks this first, for up to three values; as an SPI statement
// (three unique-index probes under UNION ALL) it cost about 105,000
// instructions, most of them executor start-up and shutdown (callgrind,
// bench/README.md). The probe sees what an SPI statement run at the same
// point would see: the command counter is advanced and a snapshot is taken
// the way SPI takes one for a statement that may write.
#pragma once

#include "core/kind.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>

namespace pm::pg {

// One value to look up; absent values are skipped.
struct AttachedProbe {
    core::Kind kind;
    const std::optional<std::string>* value;
};

// The profile holding each probed value (attached, visible to a statement
// snapshot taken now), or nothing, in the order of `probes`.
std::array<std::optional<std::int64_t>, 3> attached_owners(std::int64_t account,
                                                           const std::array<AttachedProbe, 3>& probes);

}  // namespace pm::pg
