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

bool compatible(const Profile& a, const Profile& b) {
    for (Kind k : kStoredKinds) {
        const auto &va = a.value(k), &vb = b.value(k);
        if (va && vb && *va != *vb) return false;
    }
    return true;
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
// profiles as the steps of section 4 change them.
class Resolver {
public:
    Resolver(const Event& event, const ProfileMap& profiles)
        : event_(without_repeats(event)), original_(profiles), work_(profiles) {}

    Decision run() {
        collect_usable();
        if (usable_.empty()) {
            record_consent_without_subject();
            d_.outcome = Outcome::Rejected;
            return std::move(d_);
        }
        const auto order = processing_order(event_.policy);
        choose_subject(order);
        for (Kind k : order)
            if (const Usable* u = find_usable(k)) resolve_identifier(*u);
        record_consents();
        d_.subject = subject_;
        d_.apply_properties = event_.has_properties;
        collect_changed_profiles();
        std::sort(d_.attaches.begin(), d_.attaches.end(), [](const Attach& a, const Attach& b) {
            return std::tie(a.kind, a.value) < std::tie(b.kind, b.value);
        });
        d_.outcome = outcome();
        return std::move(d_);
    }

private:
    // Step 1: keep what the source accepts, is valid and is not blocked.
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
            } else {
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

    // Step 3. The kinds in identify_by choose the subject; a kind the source
    // merely accepts is secondary: it is attached (or conflicts, or merges)
    // in step 4, and chooses only when the event carries no identify_by kind
    // at all (so that such an event never makes an empty profile).
    void choose_subject(const std::vector<Kind>& order) {
        const std::vector<Kind>& identify_by = event_.policy.identify_by;
        const bool identifying = std::any_of(identify_by.begin(), identify_by.end(),
                                             [&](Kind k) { return find_usable(k) != nullptr; });
        const std::vector<Kind>& choosers = identifying ? identify_by : order;
        auto first = std::find_if(choosers.begin(), choosers.end(),
                                  [&](Kind k) { return find_usable(k) != nullptr; });
        if (first != choosers.end()) {
            const Usable& lead = *find_usable(*first);
            if (lead.owner) {
                subject_ = *lead.owner;
                return;
            }
            for (auto it = std::next(first); it != choosers.end(); ++it) {
                const Usable* u = find_usable(*it);
                if (u && u->owner && !work_.at(*u->owner).value(lead.kind)) {
                    subject_ = *u->owner;
                    return;
                }
            }
        }
        subject_ = kNewProfile;
        Profile created;
        created.id = kNewProfile;
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

    void attach_or_override(const Usable& u) {
        auto& slot = work_.at(subject_).value(u.kind);
        if (!slot) {
            slot = u.value;
            d_.attaches.push_back({u.kind, u.value, subject_});
            note(Action::Attached, u.kind, u.value, std::nullopt, {});
        } else if (event_.policy.may_override_kind(u.kind)) {
            d_.detaches.push_back({u.kind, *slot, subject_});
            DetailEntry& e = note(Action::Overridden, u.kind, u.value, std::nullopt, {});
            e.old_value = *slot;
            slot = u.value;
            d_.attaches.push_back({u.kind, u.value, subject_});
        } else {
            note(Action::Conflict, u.kind, u.value, std::nullopt,
                 "profile already has a different " + std::string(kind_name(u.kind)));
        }
    }

    void merge(ProfileId other, const Usable& u) {
        Profile& a = work_.at(subject_);
        Profile& b = work_.at(other);
        const bool subject_survives = older(a, b);
        Profile& survivor = subject_survives ? a : b;
        const Profile& merged = subject_survives ? b : a;
        for (Kind k : kStoredKinds)
            if (!survivor.value(k)) survivor.value(k) = merged.value(k);

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

    std::optional<ProfileId> holder(Kind k, const std::string& value) const {
        for (const auto& [id, p] : work_)
            if (p.value(k) == value) return id;
        return std::nullopt;
    }

    // Step 5.
    void record_consents() {
        consent(Kind::Phone, event_.sms_consent, "sms_consent");
        consent(Kind::Email, event_.email_consent, "email_consent");
    }

    void consent(Kind k, const std::optional<bool>& flag, const char* field) {
        if (!flag) return;
        if (const Usable* u = find_usable(k)) {
            d_.consents.push_back({k, u->value, *flag, holder(k, u->value)});
            return;
        }
        note(Action::Ignored, k, raw_value(k), std::nullopt,
             std::string(field) + " without a usable " + std::string(kind_name(k)));
    }

    void record_consent_without_subject() { record_consents(); }

    std::optional<std::string> raw_value(Kind k) const {
        for (const EventIdentifier& id : event_.identifiers)
            if (id.kind == k) return id.validity == Validity::Invalid ? id.raw : id.value;
        return std::nullopt;
    }

    void collect_changed_profiles() {
        for (const auto& [id, p] : work_) {
            auto before = original_.find(id);
            bool changed = before == original_.end();
            for (Kind k : kStoredKinds)
                if (!changed && before->second.value(k) != p.value(k)) changed = true;
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
    Decision d_;
};

}  // namespace

bool Policy::accepts_kind(Kind k) const { return contains(accepts, k); }
bool Policy::may_override_kind(Kind k) const { return contains(may_override, k); }

const std::optional<std::string>& Profile::value(Kind k) const {
    switch (k) {
        case Kind::ExternalId: return external_id;
        case Kind::Email: return email;
        default: return phone;
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

}  // namespace pm::core
