// An event as the application wrote it (RawEvent), turned into what the
// rules need (EventRequest): normalized, classified, its policy found.
// Shared by the events trigger, the consents trigger and the bulk path, so
// all read events the same way.
#pragma once

#include "core/rules.hpp"
#include "pg/boundary/postgres.hpp"

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
    Datum identifiers = 0; // jsonb (events.identifiers, 0.5.0), or 0 when NULL
    std::optional<std::int64_t> event_id;
};

// What an event row (or a consent row) brings to the rules.
struct EventRequest {
    std::int64_t account = 0;
    std::string source;
    core::Event event;              // identifiers normalized, owners not yet known
    Datum properties = 0;           // a non-empty jsonb object, or 0
    std::optional<std::int64_t> event_id;
    Datum occurred_at = 0;          // timestamptz for consent rows, or 0 for now()
};

struct PreparedEvent {
    EventRequest request;
    std::optional<std::string> email_normalized, phone_e164;
    std::vector<core::DetailEntry> notes;  // said after the rules' own detail
};

// Normalizes and classifies; ERROR for a NULL account or an unknown source.
// Needs an SpiScope (policies and blocked values are read through it).
PreparedEvent prepare_event(const RawEvent& raw);

// How many values of events.identifiers one event brings to the rules; the
// rest are said in one `ignored` entry (10,000 keys must not make 10,000
// look-ups and a detail to match).
inline constexpr int kMaxExtraIdentifiers = 100;

// The normalized identifier of `kind` for an event (phones in `region`),
// classified as the rules need it: usable, invalid with its reason, or
// blocked. `normalized` receives the canonical value when there is one.
core::EventIdentifier classify_identifier(std::int64_t account, const core::Policy& policy,
                                          core::Kind kind, const std::string& raw,
                                          const std::optional<std::string>& region,
                                          std::optional<std::string>* normalized);

}  // namespace pm::pg
