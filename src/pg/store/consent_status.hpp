// The consent status of one value (the latest consents row of its
// channel), which orders a profile's values when it holds several of a
// kind: a subscribed value is the primary before a more recent one.
// Needs an SpiScope.
#pragma once

#include "core/kind.hpp"

#include <cstdint>
#include <string>

namespace pm::pg {

// True when the latest consent row of (account, channel of `kind`, value)
// says 'subscribed'.
bool latest_consent_subscribed(std::int64_t account, core::Kind kind, const std::string& value);

}  // namespace pm::pg
