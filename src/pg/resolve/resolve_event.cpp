#include "pg/resolve/resolve_event.hpp"

#include "pg/resolve/kinds.hpp"
#include "pg/resolve/policy.hpp"
#include "pg/boundary/subtransaction.hpp"


#include <algorithm>
#include <map>

namespace pm::pg {

namespace {

using core::Kind;
using core::ProfileId;

// Concurrent sessions can change an owner between our read and our lock;
// each retry re-reads under the locks already held, so a handful suffice.
constexpr int kMaxAttempts = 50;

// The owners the event's values had when read, written into the event: one
// look-up for every usable value the source accepts (a repeated value
// once). Returns the profiles to lock.
std::vector<ProfileId> read_owners(Store& store, core::Event& event) {
    std::vector<ValueRef> values;
    for (const auto& id : event.identifiers) {
        if (id.validity != core::Validity::Usable || !event.policy.accepts_kind(id.kind)) continue;
        if (std::none_of(values.begin(), values.end(),
                         [&](const ValueRef& v) { return v.kind == id.kind && *v.value == id.value; }))
            values.push_back({id.kind, &id.value});
    }
    std::vector<Owner> owners = store.find_owners(values);
    std::vector<ProfileId> ids;
    for (auto& id : event.identifiers) {
        id.owner.reset();
        for (const Owner& o : owners)
            if (o.kind == id.kind && o.value == id.value && id.validity == core::Validity::Usable) {
                id.owner = o.profile;
                ids.push_back(o.profile);
            }
    }
    return ids;
}

bool holds(const core::Profile& p, Kind kind, const std::string& value) {
    if (!p.held_loaded) return p.value(kind) == value;
    return std::any_of(p.held.begin(), p.held.end(),
                       [&](const core::HeldValue& h) { return h.kind == kind && h.value == value; });
}

// True when every owner read before locking still holds its value and is
// active, and the hint's survivor is still active.
bool still_current(const core::Event& event, const core::ProfileMap& profiles) {
    for (const auto& id : event.identifiers) {
        if (!id.owner) continue;
        auto it = profiles.find(*id.owner);
        if (it == profiles.end() || !holds(it->second, id.kind, id.value)) return false;
    }
    return !event.hint_profile || profiles.count(*event.hint_profile);
}

// The top-level keys of a properties object, as "plan, tier" (jsonb's key
// order), cut to 256 bytes like other values in detail.
std::string property_keys(Datum properties) {
    const char* keys = pg_call([&] {
        Jsonb* jb = DatumGetJsonbP(properties);
        StringInfoData buf;
        initStringInfo(&buf);
        JsonbIterator* it = JsonbIteratorInit(&jb->root);
        JsonbValue v;
        JsonbIteratorToken token;
        while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE) {
            if (token != WJB_KEY) continue;
            if (buf.len) appendStringInfoString(&buf, ", ");
            appendBinaryStringInfo(&buf, v.val.string.val, v.val.string.len);
        }
        return static_cast<const char*>(buf.data);
    });
    return truncated(keys, 256);
}

}  // namespace

namespace {

// Reads the owners of the event's values and its hint's survivor, locks
// them in id order, and returns the active ones; nothing when an owner
// changed between the read and the lock (the attempt starts again).
std::optional<core::ProfileMap> lock_event_profiles(core::Event& event, Store& store, bool held) {
    std::vector<ProfileId> to_lock = read_owners(store, event);
    event.hint_profile.reset();
    if (event.hint_given && event.policy.accepts_kind(Kind::Profile)) {
        event.hint_profile = store.resolve(event.hint_raw);
        if (event.hint_profile) to_lock.push_back(*event.hint_profile);
    }
    core::ProfileMap profiles;
    for (LockedProfile& lp : store.lock(to_lock, held))
        if (lp.active) profiles[lp.profile.id] = std::move(lp.profile);
    if (!still_current(event, profiles)) return std::nullopt;
    return profiles;
}

// The profile the decision creates (kNewProfile until then) and the new
// values it claims, in (kind, value) order: the only step that can find a
// concurrent transaction in the way. Returns the created profile's id (or
// kNewProfile), nothing when a claim was lost; with `undo`, what was
// written is removed first.
std::optional<ProfileId> create_and_claim(const core::Decision& d, const EventRequest& req, Store& store,
                                          bool undo) {
    ProfileId created = core::kNewProfile;
    if (d.create_profile) {
        auto it = std::find_if(d.changed_profiles.begin(), d.changed_profiles.end(),
                               [](const core::Profile& p) { return p.id == core::kNewProfile; });
        // Not among the changed profiles: merged away by this event.
        const core::Profile empty;
        const bool survives = it != d.changed_profiles.end();
        created = store.create_profile(survives ? *it : empty,
                                       survives && d.apply_properties ? req.properties : 0);
    }
    std::vector<core::Attach> claims = d.attaches;
    for (core::Attach& a : claims)
        if (a.profile == core::kNewProfile) a.profile = created;
    const std::vector<std::int64_t> claimed = store.claim_all(claims, req.source, req.event_id);
    if (claimed.size() == claims.size()) return created;
    if (undo) {
        store.unclaim(claimed);
        if (d.create_profile) store.delete_profile(created);
    }
    return std::nullopt;
}

// The rest of the decision, once its values are claimed: merges, then
// overrides (a value replaced in this event may have come with a merged
// profile, and is detached wherever it now is), the subject's columns and
// properties, the consent rows.
Resolution apply_decision(core::Decision& d, const EventRequest& req, const core::ProfileMap& profiles,
                          ProfileId created, Store& store) {
    auto real = [&](ProfileId id) { return id == core::kNewProfile ? created : id; };
    Resolution r;
    for (const core::Merge& m : d.merges)
        r.merge_ids.push_back(store.merge(real(m.survivor), real(m.merged), req.event_id,
                                          "event from source " + req.source));
    for (const core::Detach& x : d.detaches)
        store.detach(x.kind, x.value, "overridden", req.event_id);
    r.outcome = d.outcome;
    bool properties_only = false;
    // A profile other than the subject changes when a consent of this event
    // makes another of its values the primary (limits above 1).
    for (const core::Profile& p : d.changed_profiles)
        if (p.id != core::kNewProfile && (!d.subject || p.id != *d.subject)) store.update_profile(p, 0);
    if (d.subject && *d.subject != core::kNewProfile) {
        const Datum properties = d.apply_properties ? req.properties : 0;
        auto changed = std::find_if(d.changed_profiles.begin(), d.changed_profiles.end(),
                                    [&](const core::Profile& p) { return p.id == *d.subject; });
        if (changed != d.changed_profiles.end() || properties) {
            const core::Profile& columns =
                changed != d.changed_profiles.end() ? *changed : profiles.at(*d.subject);
            // A consent that only makes another value the primary leaves the
            // outcome as it was (consent never changes it, DESIGN.md 3).
            if (store.update_profile(columns, properties) && r.outcome == core::Outcome::Matched &&
                properties) {
                r.outcome = core::Outcome::Updated;
                // Matched until now: nothing but the properties changed.
                properties_only = properties != 0;
            }
        }
    }
    for (const core::ConsentRecord& c : d.consents)
        store.record_consent(c.kind, c.value, c.subscribed, req.source, "event", req.occurred_at,
                             req.event_id,
                             c.profile ? std::optional<ProfileId>(real(*c.profile)) : std::nullopt);
    if (d.subject) r.profile = real(*d.subject);
    r.detail = std::move(d.detail);
    for (core::DetailEntry& e : r.detail)
        if (e.other_profile) e.other_profile = real(*e.other_profile);
    if (properties_only)
        r.detail.push_back({core::Action::Updated, "properties", property_keys(req.properties), std::nullopt,
                            {}, std::nullopt, -1});
    return r;
}

// One attempt: read and lock, decide, claim, apply. Nothing when something
// moved under it (an owner changed before the lock, or a new value was
// claimed by a concurrent transaction); with `undo`, what it wrote is
// removed first (without a subtransaction to roll back).
std::optional<Resolution> attempt(EventRequest& req, Store& store, bool undo) {
    std::optional<core::ProfileMap> profiles =
        lock_event_profiles(req.event, store, account_kinds(req.account).needs_held);
    if (!profiles) return std::nullopt;
    core::Decision d = core::decide(req.event, *profiles);
    std::optional<ProfileId> created = create_and_claim(d, req, store, undo);
    if (!created) return std::nullopt;
    return apply_decision(d, req, *profiles, *created, store);
}

// The first events of a transaction run each attempt in a subtransaction, so
// that a failed attempt lets go of its row locks and claims before the retry
// takes them again in order: a transaction of a few events never deadlocks.
// Later events of a big transaction (a COPY of a million rows) do without:
// a subtransaction per row would cost an XID each and overflow the
// subtransaction cache of every snapshot; two such loads over the same
// identifiers may deadlock, and one rolls back with 40P01 (DESIGN.md 6).
constexpr int kIsolatedEventsPerTransaction = 32;

bool isolate_attempts() {
    static LocalTransactionId counted_transaction = InvalidLocalTransactionId;
    static int events = 0;
    const LocalTransactionId current = my_local_transaction_id();
    if (current != counted_transaction) {
        counted_transaction = current;
        events = 0;
    }
    return ++events <= kIsolatedEventsPerTransaction;
}

}  // namespace

Resolution resolve_event(EventRequest& req, Store& store) {
    const bool isolated = store.concurrent() && isolate_attempts();
    for (int n = 0; n < kMaxAttempts; ++n) {
        if (!isolated) {
            if (auto r = attempt(req, store, true)) return std::move(*r);
            continue;
        }
        Subtransaction sub;
        if (auto r = attempt(req, store, false)) {
            sub.release();
            return std::move(*r);
        }
        sub.rollback();
    }
    throw SqlError(ERRCODE_T_R_SERIALIZATION_FAILURE,
                   "could not resolve the event: its profiles kept changing under concurrent updates",
                   {}, "Retry the transaction.");
}

}  // namespace pm::pg
