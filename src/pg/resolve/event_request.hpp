// An event as the application wrote it, turned into what the rules need,
// and the rules' answer turned into the event's computed columns. Shared by
// the events trigger and the bulk path so both read events the same way.
#pragma once

#include "pg/resolve/resolve_event.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pm::pg {

// The application columns of an events row. Text fields are as typed
// (absent when NULL); Datums point into the caller's tuple.
struct RawEvent {
    std::optional<std::int64_t> account;
    std::optional<std::string> source;
    std::optional<std::int64_t> profile_hint;
    std::optional<std::string> email, phone, phone_region, external_id;
    std::optional<bool> sms_consent, email_consent;
    Datum properties = 0;  // jsonb, or 0 when NULL
    Datum occurred_at = 0; // timestamptz, or 0 when NULL
    std::optional<std::int64_t> event_id;
};

struct PreparedEvent {
    EventRequest request;
    std::optional<std::string> email_normalized, phone_e164;
    std::vector<core::DetailEntry> notes;  // said after the rules' own detail
};

// Normalizes and classifies; ERROR for a NULL account or an unknown source.
// Needs an SpiScope (policies and blocked values are read through it).
PreparedEvent prepare_event(const RawEvent& raw);

// The events.detail jsonb of a resolved event, in the current memory
// context. With `scratch`, the work is done there and the context emptied
// (the builder's garbage, a few KB an event, adds up over an ingest batch).
Datum event_detail(const Resolution& resolution, const PreparedEvent& prepared,
                   MemoryContext scratch = NULL);

}  // namespace pm::pg
