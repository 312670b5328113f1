#pragma once
#include "core/no_postgres.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/kind.hpp"

// The resolution rules of DESIGN.md section 4 as a pure function: an event and
// the few profiles it touches in, a decision (what to write) out. No I/O here;
// the Postgres layer loads the inputs and applies the decision.
namespace pm::core {

using ProfileId = std::int64_t;

// Stands for the profile this event creates, before it has a real id.
inline constexpr ProfileId kNewProfile = 0;

// How many merged_into links are followed before a chain is called corrupt
// (a cycle an admin's UPDATE made): each merge adds one link, so no real
// chain comes near it. The one bound of every path that follows a chain.
inline constexpr int kMaxMergedIntoHops = 100000;

// How many attached values of a kind one profile may hold
// (identifier_kinds.max_per_profile, 1..100).
struct KindLimit {
    Kind kind;
    int max_per_profile;
};

struct Policy {
    std::vector<Kind> identify_by;
    bool merges = false;
    std::vector<Kind> may_override;
    std::vector<Kind> accepts;
    // The account's limits; a kind not listed has limit 1.
    std::vector<KindLimit> limits;

    bool accepts_kind(Kind k) const;
    bool may_override_kind(Kind k) const;
    int limit(Kind k) const;
};

// One attached value of a profile, with what orders it among the others of
// its kind: the least recently attached is overridden at the limit, the
// primary is the subscribed one attached most recently (DESIGN.md 4b).
struct HeldValue {
    Kind kind = Kind::Email;
    std::string value;
    std::int64_t attached_at = 0;  // microseconds; only compared
    std::int64_t row_id = 0;       // identifiers.identifier_id: the tie-break
    bool subscribed = false;       // its latest consent row says 'subscribed'
};

// An active profile as loaded (and locked) by the Postgres layer.
struct Profile {
    ProfileId id = kNewProfile;
    std::int64_t created_at = 0;  // microseconds; only compared
    // The profiles columns: each kind's primary value. In a decision's
    // changed_profiles, the columns to write.
    std::optional<std::string> external_id, email, phone;
    // Every attached value, when `held_loaded`: the loader reads them when
    // the account has a kind whose limit is above 1 or a custom kind.
    // Otherwise the columns are the profile's values (at most one a kind).
    std::vector<HeldValue> held;
    bool held_loaded = false;

    const std::optional<std::string>& value(Kind k) const;  // a column
    std::optional<std::string>& value(Kind k);
};

enum class Validity {
    Usable,   // normalized, accepted, not blocked
    Invalid,  // the normalizer refused it (reason in `reason`)
    Blocked,  // listed in blocked_values, or a placeholder (reason says which)
};

// One identifier the event carries (absent ones are simply not listed).
struct EventIdentifier {
    Kind kind = Kind::Email;      // ExternalId, Email or Phone
    std::string raw;              // as typed
    std::string value;            // normalized; empty when Invalid
    Validity validity = Validity::Usable;
    std::string reason;           // why Invalid, or why Blocked when it is a
                                  // placeholder rather than a blocked_values row
    std::optional<ProfileId> owner;  // the active profile holding `value`
};

struct Event {
    Policy policy;
    // In the order given (the columns first, then `events.identifiers`);
    // a kind may come several times, a repeated (kind, value) counts once.
    std::vector<EventIdentifier> identifiers;

    // The profile_hint: `hint_given` with the raw id; `hint_profile` is the
    // active survivor it leads to, or nothing when it names no profile of
    // this account.
    bool hint_given = false;
    ProfileId hint_raw = 0;
    std::optional<ProfileId> hint_profile;

    std::optional<bool> sms_consent, email_consent;
    bool has_properties = false;  // a non-empty JSON object to merge in
};

// The profiles the event touches, by id: every owner and the hint profile.
using ProfileMap = std::map<ProfileId, Profile>;

enum class Outcome { Rejected, Merged, Conflict, Created, Updated, Matched };
std::string_view outcome_name(Outcome o);

// Updated: the event changed the subject's properties and nothing else
// (kind "properties", value the keys it set), so an `updated` outcome always
// has an entry saying why.
enum class Action { Attached, Overridden, Merged, Conflict, Invalid, Blocked, Ignored, Updated };
std::string_view action_name(Action a);

struct DetailEntry {
    Action action;
    std::string kind;   // a kind name, or "properties"
    std::optional<std::string> value;
    std::optional<ProfileId> other_profile;
    std::string reason;                    // optional extra key
    std::optional<std::string> old_value;  // for overridden
    int merge_index = -1;                  // into Decision::merges, for merged
};

// A new identifier row to claim through the unique index.
struct Attach {
    Kind kind;
    std::string value;
    ProfileId profile;  // final owner (may be kNewProfile)
};

// A value replaced under may_override: its row is detached. Applied after
// the merges (the value may have reached the subject through one of them),
// so it is found by value; `profile` is the holder when it was decided.
struct Detach {
    Kind kind;
    std::string value;
    ProfileId profile;
};

// `merged` becomes a tombstone of `survivor`; applied in order.
struct Merge {
    ProfileId survivor;
    ProfileId merged;
};

struct ConsentRecord {
    Kind kind;  // Email -> channel 'email', Phone -> channel 'sms'
    std::string value;
    bool subscribed;
    std::optional<ProfileId> profile;  // who holds the value after the event
};

struct Decision {
    Outcome outcome = Outcome::Rejected;
    // A profile is created (id kNewProfile). It can be merged into an older
    // one by the same event, when only a kind the source accepts but does
    // not identify by led to that one; it is then created empty and its
    // values are attached to the survivor directly.
    bool create_profile = false;
    std::optional<ProfileId> subject;     // the event's final active profile
    std::vector<Attach> attaches;         // sorted by (kind, value)
    std::vector<Detach> detaches;
    std::vector<Merge> merges;
    std::vector<ConsentRecord> consents;
    std::vector<DetailEntry> detail;
    // Final identifier columns of every touched profile that is still active
    // and changed (including a created one), to be written back.
    std::vector<Profile> changed_profiles;
    bool apply_properties = false;        // merge event properties into subject
};

Decision decide(const Event& event, const ProfileMap& profiles);

// The primary among `held`'s values of kind k (DESIGN.md 4b): subscribed
// ones first, then the most recently attached, then the highest row id.
std::optional<std::string> primary_value(const std::vector<HeldValue>& held, Kind k);

}  // namespace pm::core
