// The consent status of values (the latest consents row of their
// channel), read from the index consents_latest (account_id, channel,
// value, consent_id) backwards instead of through the executor: a profile
// that holds several values of a kind is ordered by them (a subscribed
// value is the primary before a more recent one, DESIGN.md 4b), and as an
// SPI statement each value cost about as much as the rest of the event's
// look-ups together (bench/README.md, kinds).
//
// Reads what an SPI statement run at the same point would see (the command
// counter advanced, a statement snapshot), like attached_values.hpp.
#pragma once

#include "core/kind.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace pm::pg {

struct ConsentProbe {
    core::Kind kind;  // Email -> channel 'email', Phone -> 'sms'
    const std::string* value;
    bool subscribed = false;  // out: the latest row says 'subscribed'
};

// Fills `subscribed` of every probe, in one index scan.
void read_latest_consents(std::int64_t account, std::vector<ConsentProbe>& probes);

}  // namespace pm::pg
