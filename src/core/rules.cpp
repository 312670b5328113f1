#include "core/rules.hpp"

#include <algorithm>
#include <limits>
#include <tuple>
#include <utility>

namespace pm::core {

namespace {

bool contains(const std::vector<Kind>& kinds, Kind k) {
    return std::find(kinds.begin(), kinds.end(), k) != kinds.end();
}

// An identifier that survived step 1, with the profile that holds it.
struct Usable {
    Kind kind;
    std::string value;
    std::optional<ProfileId> owner;
};

std::string reject_reason(Kind k) {
    return "source does not accept " + std::string(kind_name(k));
}

// Older profile first: earlier created_at, then smaller id. A profile this
// event creates is always the newest.
bool older(const Profile& a, const Profile& b) {
    auto key = [](const Profile& p) {
        return p.id == kNewProfile
                   ? std::make_tuple(std::numeric_limits<std::int64_t>::max(),
                                     std::numeric_limits<ProfileId>::max())
                   : std::make_tuple(p.created_at, p.id);
    };
    return key(a) < key(b);
}

// Values this event attaches or moves are attached "now", after every row
// that exists, and get identifier ids in the order the Postgres layer
// writes them: the claims first, in (kind, value) order, then each merge's
// moved rows. These stand-ins sort the same way (real ids stay far below).
constexpr std::int64_t kNow = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kClaimedRow = std::int64_t(1) << 61;
constexpr std::int64_t kMovedRow = std::int64_t(1) << 62;

bool attached_before(const HeldValue& a, const HeldValue& b) {
    return std::tie(a.attached_at, a.row_id) < std::tie(b.attached_at, b.row_id);
}

// The profile's values as the rules work on them: the loaded list, or the
// columns when the loader read only those (one value a kind at most).
std::vector<HeldValue> held_values(const Profile& p) {
    if (p.held_loaded) return p.held;
    std::vector<HeldValue> held;
    for (Kind k : kStoredKinds)
        if (const auto& v = p.value(k)) held.push_back({k, *v, 0, 0, false});
    return held;
}

// The order in which the event's identifiers are considered: identify_by,
// then any other accepted kind (a policy may accept a kind it does not
// identify by).
std::vector<Kind> processing_order(const Policy& policy) {
    std::vector<Kind> order = policy.identify_by;
    for (Kind k : policy.accepts)
        if (!contains(order, k)) order.push_back(k);
    return order;
}

// The event with each policy list holding a kind at most once (first
// occurrence kept): a kind listed twice would be attached twice.
Event without_repeats(Event e) {
    for (std::vector<Kind>* list : {&e.policy.identify_by, &e.policy.may_override, &e.policy.accepts}) {
        std::vector<Kind> unique;
        for (Kind k : *list)
            if (!contains(unique, k)) unique.push_back(k);
        *list = std::move(unique);
    }
    return e;
}

// Carries the decision being built and the simulated state of the touched
// profiles as the steps of sections 4 and 4b change them.
class Resolver {
public:
    Resolver(const Event& event, const ProfileMap& profiles)
        : event_(without_repeats(event)), original_(profiles), work_(profiles) {
        for (auto& [id, p] : work_) {
            p.held = held_values(p);
            p.held_loaded = true;
        }
    }

    Decision run() {
        collect_usable();
        if (usable_.empty()) {
            record_consents();
            d_.outcome = Outcome::Rejected;
            return std::move(d_);
        }
        const auto order = processing_order(event_.policy);
        choose_subject(order);
        for (Kind k : order)
            for (const Usable& u : usable_)
                if (u.kind == k) resolve_identifier(u);
        record_consents();
        d_.subject = subject_;
        d_.apply_properties = event_.has_properties;
        std::sort(d_.attaches.begin(), d_.attaches.end(), [](const Attach& a, const Attach& b) {
            return std::tie(a.kind, a.value) < std::tie(b.kind, b.value);
        });
        rank_claims();
        collect_changed_profiles();
        d_.outcome = outcome();
        return std::move(d_);
    }

private:
    // Step 1: keep what the source accepts, is valid and is not blocked;
    // a (kind, value) the event repeats counts once.
    void collect_usable() {
        if (event_.hint_given) {
            std::string raw = std::to_string(event_.hint_raw);
            if (!event_.policy.accepts_kind(Kind::Profile))
                note(Action::Ignored, Kind::Profile, raw, std::nullopt,
                     "source does not accept a profile hint");
            else if (!event_.hint_profile)
                note(Action::Ignored, Kind::Profile, raw, std::nullopt,
                     "no such profile in this account");
            else
                usable_.push_back({Kind::Profile, std::to_string(*event_.hint_profile),
                                   event_.hint_profile});
        }
        for (const EventIdentifier& id : event_.identifiers) {
            if (!event_.policy.accepts_kind(id.kind)) {
                note(Action::Ignored, id.kind, id.validity == Validity::Invalid ? id.raw : id.value,
                     std::nullopt, reject_reason(id.kind));
            } else if (id.validity == Validity::Invalid) {
                note(Action::Invalid, id.kind, id.raw, std::nullopt, id.reason);
            } else if (id.validity == Validity::Blocked) {
                note(Action::Blocked, id.kind, id.value, std::nullopt,
                     id.reason.empty() ? "value is blocked" : id.reason);
            } else if (std::none_of(usable_.begin(), usable_.end(), [&](const Usable& u) {
                           return u.kind == id.kind && u.value == id.value;
                       })) {
                usable_.push_back({id.kind, id.value, id.owner});
            }
        }
    }

    const Usable* find_usable(Kind k) const {
        for (const Usable& u : usable_)
            if (u.kind == k) return &u;
        return nullptr;
    }

    // Follows the merges made by this event so far.
    ProfileId current(ProfileId id) const {
        for (auto it = merged_into_.find(id); it != merged_into_.end(); it = merged_into_.find(id))
            id = it->second;
        return id;
    }

    static int count(const Profile& p, Kind k) {
        return static_cast<int>(std::count_if(p.held.begin(), p.held.end(),
                                              [k](const HeldValue& h) { return h.kind == k; }));
    }

    // Step 3. The kinds in identify_by choose the subject; a kind the source
    // merely accepts is secondary: it is attached (or conflicts, or merges)
    // in step 4, and chooses only when the event carries no identify_by kind
    // at all (so that such an event never makes an empty profile). Among the
    // lead kind's values the first with an owner wins; when none has one, a
    // later identifier's owner that can take all of them within the limit.
    void choose_subject(const std::vector<Kind>& order) {
        const std::vector<Kind>& identify_by = event_.policy.identify_by;
        const bool identifying = std::any_of(identify_by.begin(), identify_by.end(),
                                             [&](Kind k) { return find_usable(k) != nullptr; });
        const std::vector<Kind>& choosers = identifying ? identify_by : order;
        auto first = std::find_if(choosers.begin(), choosers.end(),
                                  [&](Kind k) { return find_usable(k) != nullptr; });
        if (first != choosers.end()) {
            const Kind lead = *first;
            int new_values = 0;
            for (const Usable& u : usable_) {
                if (u.kind != lead) continue;
                if (u.owner) {
                    subject_ = *u.owner;
                    return;
                }
                ++new_values;
            }
            const int room = event_.policy.limit(lead);
            for (auto it = std::next(first); it != choosers.end(); ++it)
                for (const Usable& u : usable_)
                    if (u.kind == *it && u.owner && count(work_.at(*u.owner), lead) + new_values <= room) {
                        subject_ = *u.owner;
                        return;
                    }
        }
        subject_ = kNewProfile;
        Profile created;
        created.id = kNewProfile;
        created.held_loaded = true;
        work_[kNewProfile] = created;
        d_.create_profile = true;
    }

    // Step 4, for one identifier.
    void resolve_identifier(const Usable& u) {
        if (!u.owner) {
            attach_or_override(u);
            return;
        }
        ProfileId other = current(*u.owner);
        if (other == subject_) return;
        const Profile& s = work_.at(subject_);
        const Profile& q = work_.at(other);
        if (!event_.policy.merges) {
            note(Action::Conflict, u.kind, u.value, other, "source does not merge profiles");
        } else if (!compatible(s, q)) {
            note(Action::Conflict, u.kind, u.value, other, "profiles are incompatible");
        } else {
            merge(other, u);
        }
    }

    // Compatible: for every kind, the distinct values of both fit its limit.
    bool compatible(const Profile& a, const Profile& b) const {
        std::map<Kind, std::vector<const std::string*>> values;
        for (const Profile* p : {&a, &b})
            for (const HeldValue& h : p->held) {
                auto& seen = values[h.kind];
                if (std::none_of(seen.begin(), seen.end(), [&](const std::string* v) { return *v == h.value; }))
                    seen.push_back(&h.value);
            }
        for (const auto& [kind, seen] : values)
            if (static_cast<int>(seen.size()) > event_.policy.limit(kind)) return false;
        return true;
    }

    void attach_or_override(const Usable& u) {
        Profile& s = work_.at(subject_);
        const int limit = event_.policy.limit(u.kind);
        if (count(s, u.kind) < limit) {
            attach(s, u);
            note(Action::Attached, u.kind, u.value, std::nullopt, {});
        } else if (event_.policy.may_override_kind(u.kind)) {
            auto victim = s.held.end();
            for (auto it = s.held.begin(); it != s.held.end(); ++it)
                if (it->kind == u.kind && (victim == s.held.end() || attached_before(*it, *victim))) victim = it;
            const std::string old_value = victim->value;
            forget_value(s, victim);
            attach(s, u);
            DetailEntry& e = note(Action::Overridden, u.kind, u.value, std::nullopt, {});
            e.old_value = old_value;
        } else if (limit == 1) {
            note(Action::Conflict, u.kind, u.value, std::nullopt,
                 "profile already has a different " + std::string(kind_name(u.kind)));
        } else {
            note(Action::Conflict, u.kind, u.value, std::nullopt,
                 "profile already holds " + std::to_string(limit) + " values of " +
                     std::string(kind_name(u.kind)) + ", its limit");
        }
    }

    void attach(Profile& s, const Usable& u) {
        s.held.push_back({u.kind, u.value, kNow, kClaimedRow + next_row_++, false});
        d_.attaches.push_back({u.kind, u.value, subject_});
    }

    // An overridden value leaves the profile: its row is detached, unless
    // this very event attached it (then it is simply never claimed).
    void forget_value(Profile& s, std::vector<HeldValue>::iterator victim) {
        auto claimed = std::find_if(d_.attaches.begin(), d_.attaches.end(), [&](const Attach& a) {
            return a.kind == victim->kind && a.value == victim->value;
        });
        if (claimed != d_.attaches.end())
            d_.attaches.erase(claimed);
        else
            d_.detaches.push_back({victim->kind, victim->value, subject_});
        s.held.erase(victim);
    }

    void merge(ProfileId other, const Usable& u) {
        Profile& a = work_.at(subject_);
        Profile& b = work_.at(other);
        const bool subject_survives = older(a, b);
        Profile& survivor = subject_survives ? a : b;
        Profile& merged = subject_survives ? b : a;
        // The merged profile's rows move in identifier id order and are
        // attached to the survivor anew (the values this event attached
        // are claimed for the survivor directly, DESIGN.md 4b's "now").
        std::vector<HeldValue> moving;
        for (const HeldValue& h : merged.held)
            if (h.row_id < kClaimedRow || h.row_id >= kMovedRow) moving.push_back(h);
        std::sort(moving.begin(), moving.end(),
                  [](const HeldValue& x, const HeldValue& y) { return x.row_id < y.row_id; });
        for (HeldValue h : moving) {
            h.attached_at = kNow;
            h.row_id = kMovedRow + next_moved_++;
            survivor.held.push_back(std::move(h));
        }
        for (const HeldValue& h : merged.held)
            if (h.row_id >= kClaimedRow && h.row_id < kMovedRow) survivor.held.push_back(h);

        const ProfileId survivor_id = survivor.id, merged_id = merged.id;
        d_.merges.push_back({survivor_id, merged_id});
        merged_into_[merged_id] = survivor_id;
        for (Attach& at : d_.attaches)
            if (at.profile == merged_id) at.profile = survivor_id;
        work_.erase(merged_id);
        subject_ = survivor_id;

        DetailEntry& e = note(Action::Merged, u.kind, u.value, other, {});
        e.merge_index = static_cast<int>(d_.merges.size()) - 1;
    }

    HeldValue* held_value(Kind k, const std::string& value, ProfileId* holder_id) {
        for (auto& [id, p] : work_)
            for (HeldValue& h : p.held)
                if (h.kind == k && h.value == value) {
                    if (holder_id) *holder_id = id;
                    return &h;
                }
        return nullptr;
    }

    // Step 5: the flag applies to the event's first usable value of its
    // channel, whoever holds it; the holder's primary may change with it.
    void record_consents() {
        consent(Kind::Phone, event_.sms_consent, "sms_consent");
        consent(Kind::Email, event_.email_consent, "email_consent");
    }

    void consent(Kind k, const std::optional<bool>& flag, const char* field) {
        if (!flag) return;
        if (const Usable* u = find_usable(k)) {
            ProfileId holder = kNewProfile;
            HeldValue* h = held_value(k, u->value, &holder);
            if (h) h->subscribed = *flag;
            d_.consents.push_back({k, u->value, *flag, h ? std::optional<ProfileId>(holder) : std::nullopt});
            return;
        }
        note(Action::Ignored, k, raw_value(k), std::nullopt,
             std::string(field) + " without a usable " + std::string(kind_name(k)));
    }

    std::optional<std::string> raw_value(Kind k) const {
        for (const EventIdentifier& id : event_.identifiers)
            if (id.kind == k) return id.validity == Validity::Invalid ? id.raw : id.value;
        return std::nullopt;
    }

    // The claims get their ids in (kind, value) order: their stand-ins too.
    void rank_claims() {
        for (auto& [id, p] : work_)
            for (HeldValue& h : p.held) {
                if (h.row_id < kClaimedRow || h.row_id >= kMovedRow) continue;
                auto at = std::find_if(d_.attaches.begin(), d_.attaches.end(), [&](const Attach& a) {
                    return a.kind == h.kind && a.value == h.value;
                });
                h.row_id = kClaimedRow + (at - d_.attaches.begin());
            }
    }

    void collect_changed_profiles() {
        for (auto& [id, p] : work_) {
            auto before = original_.find(id);
            bool changed = before == original_.end();
            for (Kind k : kStoredKinds) {
                p.value(k) = primary_value(p.held, k);
                if (!changed && before->second.value(k) != p.value(k)) changed = true;
            }
            if (changed) d_.changed_profiles.push_back(p);
        }
    }

    bool has(Action a) const {
        return std::any_of(d_.detail.begin(), d_.detail.end(),
                           [a](const DetailEntry& e) { return e.action == a; });
    }

    Outcome outcome() const {
        if (!d_.merges.empty()) return Outcome::Merged;
        if (has(Action::Conflict)) return Outcome::Conflict;
        if (d_.create_profile) return Outcome::Created;
        if (!d_.attaches.empty() || !d_.detaches.empty()) return Outcome::Updated;
        return Outcome::Matched;
    }

    DetailEntry& note(Action a, Kind k, std::optional<std::string> value,
                      std::optional<ProfileId> other, std::string reason) {
        DetailEntry e{a, std::string(kind_name(k)), std::move(value), other, std::move(reason), {}, -1};
        d_.detail.push_back(std::move(e));
        return d_.detail.back();
    }

    const Event event_;
    const ProfileMap& original_;
    ProfileMap work_;
    std::vector<Usable> usable_;
    std::map<ProfileId, ProfileId> merged_into_;
    ProfileId subject_ = kNewProfile;
    std::int64_t next_row_ = 0, next_moved_ = 0;
    Decision d_;
};

}  // namespace

bool Policy::accepts_kind(Kind k) const { return contains(accepts, k); }
bool Policy::may_override_kind(Kind k) const { return contains(may_override, k); }

int Policy::limit(Kind k) const {
    for (const KindLimit& l : limits)
        if (l.kind == k) return l.max_per_profile;
    return 1;
}

const std::optional<std::string>& Profile::value(Kind k) const {
    static const std::optional<std::string> no_column;
    switch (k) {
        case Kind::ExternalId: return external_id;
        case Kind::Email: return email;
        case Kind::Phone: return phone;
        default: return no_column;  // a custom kind has no column
    }
}

std::optional<std::string>& Profile::value(Kind k) {
    return const_cast<std::optional<std::string>&>(std::as_const(*this).value(k));
}

std::string_view outcome_name(Outcome o) {
    switch (o) {
        case Outcome::Rejected: return "rejected";
        case Outcome::Merged: return "merged";
        case Outcome::Conflict: return "conflict";
        case Outcome::Created: return "created";
        case Outcome::Updated: return "updated";
        case Outcome::Matched: return "matched";
    }
    return "?";
}

std::string_view action_name(Action a) {
    switch (a) {
        case Action::Attached: return "attached";
        case Action::Overridden: return "overridden";
        case Action::Merged: return "merged";
        case Action::Conflict: return "conflict";
        case Action::Invalid: return "invalid";
        case Action::Blocked: return "blocked";
        case Action::Ignored: return "ignored";
        case Action::Updated: return "updated";
    }
    return "?";
}

Decision decide(const Event& event, const ProfileMap& profiles) {
    return Resolver(event, profiles).run();
}

std::optional<std::string> primary_value(const std::vector<HeldValue>& held, Kind k) {
    const HeldValue* best = nullptr;
    for (const HeldValue& h : held) {
        if (h.kind != k) continue;
        if (!best || std::make_pair(h.subscribed, std::tie(h.attached_at, h.row_id)) >
                         std::make_pair(best->subscribed, std::tie(best->attached_at, best->row_id)))
            best = &h;
    }
    return best ? std::optional<std::string>(best->value) : std::nullopt;
}

}  // namespace pm::core
