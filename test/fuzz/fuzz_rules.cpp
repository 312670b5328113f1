// libFuzzer target: pm::core::decide (the resolution rules of DESIGN.md
// section 4) and detail_fields.
//
// The input bytes are decoded into a random but *consistent* Event and
// ProfileMap, i.e. what the Postgres layer can actually hand to the core:
//   - a policy like a row of `sources`: identify_by a non-empty ordered set of
//     kinds, accepts an ordered set, may_override a set of stored kinds,
//     merges a flag (build with -DPM_FUZZ_DUPLICATE_KINDS to also draw the
//     repeated kinds that the table's CHECK constraint lets through; the
//     policy is then deduplicated, first occurrence kept, as
//     src/pg/resolve/policy.cpp parse_kinds loads it, before decide() sees it);
//   - up to 4 active profiles (ids 1..6, created_at 0..3 so that ties happen)
//     with random identifier columns drawn from 4 values per kind, no value
//     held by two profiles;
//   - up to one identifier per kind (values from the same small alphabets, so
//     owners and collisions are common), Usable, Invalid (with a raw text
//     full of characters JSON must escape) or Blocked; the owner of a usable
//     identifier is the profile holding that value, as the layer reads it;
//   - an optional profile hint (naming one of the profiles, possibly through a
//     tombstone id, or no profile); consent flags; a properties flag;
//   - the map holds exactly the touched profiles: every owner and the hint's.
//
// Invariants checked on the Decision (the core's own promises):
//   1. Rejected exactly when nothing is usable; then no subject, no
//      attach/detach/merge/consent/create/changed profile; otherwise a subject.
//   2. The detail replayed in order from the subject chosen by step 3 (an
//      independent oracle: the first identify_by kind the event carries leads;
//      when it carries none, the first of identify_by followed by the other
//      accepted kinds, in accepts order) reproduces the decision: attaches
//      only to an empty column of the subject, overrides only of a kind in
//      may_override and of the subject's current value, every Merge (in
//      order, one detail entry each) between the subject and the profile
//      holding the value, of two profiles compatible at that point, with the
//      older (created_at, id) surviving and the created profile (the newest)
//      never surviving, though it may be merged away; conflicts only when
//      justified: the source does not merge or the two are incompatible
//      (DESIGN.md 4, step 4), also when the subject is the created profile. The replay's attaches equal `attaches` (which is sorted by
//      (kind, value) and unique), its detaches equal `detaches`, its final
//      subject equals `subject`, the changed profiles equal `changed_profiles`.
//   3. Afterwards no value is held by two active profiles, merged profiles are
//      gone (not subject, not an owner of anything in the decision), every
//      touched profile is active or merged into an active one, every usable
//      identifier is held by the subject or reported as a conflict, the hint's
//      profile is the subject or reported as a conflict.
//   4. Applied as the Postgres layer applies it (src/pg/resolve/resolve_event.cpp: create
//      with the columns changed_profiles gives kNewProfile, or empty when the
//      event merges it away, claim attaches with their final owner, merge
//      moving identifier rows and filling empty columns, then detach by
//      (kind, value) wherever the value is, write the subject's changed
//      columns): every claim finds its value free, every detach finds its row
//      on the profile that held it (or that one's survivor), and in the end
//      each active profile has at most one attached value per kind, equal to
//      its column, and every tombstone none.
//   4b. A created profile that survives the event holds at least one
//      identifier (else it is an orphan nothing can find again); one merged
//      away by the event may be empty and is a tombstone afterwards.
//   5. Outcome follows the precedence merged > conflict > created > updated >
//      matched. create_profile => either subject == kNewProfile, no merge and
//      kNewProfile in changed_profiles, or the first merge is kNewProfile
//      into an older profile, kNewProfile takes part in no other merge, is
//      not the subject, not in changed_profiles and no attach names it.
//      Without create_profile nothing names kNewProfile.
//   6. Step 1: each identifier the source does not accept is `ignored`, each
//      invalid one `invalid`, each blocked one `blocked`; consent flags give a
//      consent record for the usable value of their channel (with its holder
//      after the event) or an `ignored` entry; properties applied iff given.
//   7. Detail actions are among the seven names; detail_fields(detail, ids)
//      (what the Postgres layer turns into the jsonb) reads back to exactly
//      the entries: unique keys, each of its type, null where unset, and
//      merge_id where a merge index is set.
//   8. Replaying the same event against the resulting state changes nothing:
//      no create, attach, detach or merge; the same subject; `matched`, or
//      `conflict` again when the first run had a conflict.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/detail_fields.hpp"
#include "core/rules.hpp"
#include "fuzz_common.hpp"

namespace {

using namespace pm::core;
using pm::fuzz::printable;

// ---------------------------------------------------------------------------
// Decoding

const std::string kValues[3][4] = {
    {"cust-1", "cust-2", "cust-3", "cust-4"},
    {"ana@example.com", "bob@example.org", "cy@example.net", "dee@example.io"},
    {"+14155550100", "+14155550101", "+442079460958", "+4915123456789"},
};

int slot(Kind k) { return k == Kind::ExternalId ? 0 : k == Kind::Email ? 1 : 2; }

const std::vector<Kind> kAllKinds = {Kind::Profile, Kind::ExternalId, Kind::Email, Kind::Phone};
const std::vector<Kind> kStored = {Kind::ExternalId, Kind::Email, Kind::Phone};

// Pieces of raw text as typed: valid UTF-8 (Postgres text), no NUL, with
// everything JSON would escape (the detail must carry it through as is).
const char* const kRawPieces[] = {"a",  "Z",      "0",   "@",         ".",          "+",
                                  " ",  "\"",     "\\",  "\n",        "\t",         "\r",
                                  "\x01", "\x1f", "\x7f", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80",
                                  "\xC2\x85", "mailto:", "--", "/"};

std::string raw_text(FuzzedDataProvider& p) {
    std::string s;
    const int n = p.ConsumeIntegralInRange(0, 10);
    for (int i = 0; i < n; ++i)
        s += kRawPieces[p.ConsumeIntegralInRange<std::size_t>(0, std::size(kRawPieces) - 1)];
    return s;
}

// An ordered subset of `kinds`: a permutation, then a mask. With
// `duplicates`, kinds may repeat (what text[] with <@ allows).
std::vector<Kind> ordered_kinds(FuzzedDataProvider& p, const std::vector<Kind>& kinds, bool nonempty,
                                bool duplicates) {
    std::vector<Kind> perm = kinds;
    for (std::size_t i = perm.size() - 1; i > 0; --i)
        std::swap(perm[i], perm[p.ConsumeIntegralInRange<std::size_t>(0, i)]);
    const auto mask = p.ConsumeIntegral<std::uint8_t>();
    std::vector<Kind> out;
    for (std::size_t i = 0; i < perm.size(); ++i)
        if (mask & (1u << i)) out.push_back(perm[i]);
    if (nonempty && out.empty()) out.push_back(perm[0]);
    if (duplicates && !out.empty() && (mask & 0x80))
        out.insert(out.begin() + p.ConsumeIntegralInRange<std::size_t>(0, out.size()),
                   out[p.ConsumeIntegralInRange<std::size_t>(0, out.size() - 1)]);
    return out;
}

struct Input {
    Event event;
    ProfileMap profiles;
};

// A kind listed twice counts once, the first occurrence keeps its place.
std::vector<Kind> dedupe(const std::vector<Kind>& kinds) {
    std::vector<Kind> out;
    for (Kind k : kinds)
        if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
    return out;
}

#ifdef PM_FUZZ_DUPLICATE_KINDS
constexpr bool kDuplicates = true;
#else
constexpr bool kDuplicates = false;
#endif

Input decode(const std::uint8_t* data, std::size_t size) {
    FuzzedDataProvider p(data, size);
    Input in;
    Event& e = in.event;

    e.policy.identify_by = ordered_kinds(p, kAllKinds, true, kDuplicates);
    e.policy.accepts = ordered_kinds(p, kAllKinds, false, kDuplicates);
    e.policy.may_override = ordered_kinds(p, kStored, false, kDuplicates);
    e.policy.merges = p.ConsumeBool();
    // What the layer passes: src/pg/resolve/policy.cpp parse_kinds keeps the first
    // occurrence of a kind listed twice.
    if (kDuplicates)
        for (std::vector<Kind>* kinds : {&e.policy.identify_by, &e.policy.accepts, &e.policy.may_override})
            *kinds = dedupe(*kinds);

    // Candidate profiles (only the touched ones are kept below).
    std::vector<Profile> all;
    const int nprofiles = p.ConsumeIntegralInRange(0, 4);
    for (int i = 0; i < nprofiles; ++i) {
        Profile pr;
        ProfileId id = p.ConsumeIntegralInRange<ProfileId>(1, 6);
        auto taken = [&](ProfileId x) {
            return std::any_of(all.begin(), all.end(), [&](const Profile& q) { return q.id == x; });
        };
        while (taken(id)) id = id % 6 + 1;
        pr.id = id;
        pr.created_at = p.ConsumeIntegralInRange<std::int64_t>(0, 3);
        for (Kind k : kStored) {
            const auto c = p.ConsumeIntegral<std::uint8_t>();
            if (!(c & 4)) continue;
            const std::string& v = kValues[slot(k)][c & 3];
            const bool held = std::any_of(all.begin(), all.end(),
                                          [&](const Profile& q) { return q.value(k) == v; });
            if (!held) pr.value(k) = v;
        }
        all.push_back(pr);
    }
    auto holder = [&](Kind k, const std::string& v) -> std::optional<ProfileId> {
        for (const Profile& q : all)
            if (q.value(k) == v) return q.id;
        return std::nullopt;
    };

    // Identifiers, at most one per kind, in a random order.
    const std::vector<Kind> kinds = ordered_kinds(p, kStored, false, false);
    for (Kind k : kinds) {
        const auto c = p.ConsumeIntegral<std::uint8_t>();
        EventIdentifier id;
        id.kind = k;
        const int validity = (c >> 1) & 7;
        const std::string& v = kValues[slot(k)][(c >> 4) & 3];
        if (validity == 6) {
            id.validity = Validity::Invalid;
            id.raw = raw_text(p);
            id.reason = "not a valid " + std::string(kind_name(k));
        } else {
            id.validity = validity == 7 ? Validity::Blocked : Validity::Usable;
            id.raw = (c & 1) ? " " + v + " " : v;
            id.value = v;
            if (id.validity == Validity::Usable) id.owner = holder(k, v);
        }
        e.identifiers.push_back(std::move(id));
    }

    // The hint.
    const auto h = p.ConsumeIntegral<std::uint8_t>();
    if (h & 1) {
        e.hint_given = true;
        if (!all.empty() && (h & 2)) {
            const Profile& target = all[(h >> 2) % all.size()];
            // Through a tombstone id (100+) or directly.
            e.hint_raw = (h & 0x40) ? 100 + (h >> 4) % 4 : target.id;
            e.hint_profile = target.id;
        } else {
            e.hint_raw = (h & 0x40) ? 100 + (h >> 4) % 4 : 7 + (h >> 4) % 4;
        }
        // The layer only resolves the hint when the source accepts it.
        if (!e.policy.accepts_kind(Kind::Profile)) e.hint_profile.reset();
    }

    const auto c = p.ConsumeIntegral<std::uint8_t>();
    if (c % 3) e.sms_consent = c % 3 == 1;
    if ((c / 3) % 3) e.email_consent = (c / 3) % 3 == 1;
    e.has_properties = (c / 9) % 2;

    // The touched profiles: owners and the hint's.
    for (const Profile& q : all) {
        bool touched = e.hint_profile == q.id;
        for (const EventIdentifier& id : e.identifiers) touched = touched || id.owner == q.id;
        if (touched) in.profiles[q.id] = q;
    }
    return in;
}

// ---------------------------------------------------------------------------
// Printing (for failures only)

std::string kinds_str(const std::vector<Kind>& ks) {
    std::string s = "{";
    for (std::size_t i = 0; i < ks.size(); ++i) s += (i ? "," : "") + std::string(kind_name(ks[i]));
    return s + "}";
}
std::string opt(const std::optional<std::string>& v) { return v ? *v : "-"; }
std::string pid(const std::optional<ProfileId>& p) { return p ? "#" + std::to_string(*p) : "-"; }
std::string profile_str(const Profile& p) {
    return "#" + std::to_string(p.id) + " created_at=" + std::to_string(p.created_at) +
           " external_id=" + opt(p.external_id) + " email=" + opt(p.email) + " phone=" + opt(p.phone);
}
const char* validity_name(Validity v) {
    return v == Validity::Usable ? "usable" : v == Validity::Invalid ? "invalid" : "blocked";
}
std::string optb(const std::optional<bool>& b) { return b ? (*b ? "true" : "false") : "null"; }

std::string describe_input(const Event& e, const ProfileMap& ps) {
    std::string s = "policy: identify_by=" + kinds_str(e.policy.identify_by) +
                    " merges=" + (e.policy.merges ? "true" : "false") +
                    " may_override=" + kinds_str(e.policy.may_override) +
                    " accepts=" + kinds_str(e.policy.accepts) + "\nprofiles:\n";
    for (const auto& [id, p] : ps) s += "  " + profile_str(p) + "\n";
    s += "event:\n";
    for (const EventIdentifier& id : e.identifiers)
        s += "  " + std::string(kind_name(id.kind)) + " " + validity_name(id.validity) +
             " value=" + printable(id.value) + " raw=" + printable(id.raw) + " owner=" + pid(id.owner) +
             "\n";
    if (e.hint_given) s += "  hint raw=" + std::to_string(e.hint_raw) + " -> " + pid(e.hint_profile) + "\n";
    s += "  sms_consent=" + optb(e.sms_consent) + " email_consent=" + optb(e.email_consent) +
         " properties=" + (e.has_properties ? "yes" : "no") + "\n";
    return s;
}

std::string describe_decision(const Decision& d) {
    std::string s = "decision: outcome=" + std::string(outcome_name(d.outcome)) +
                    " create_profile=" + (d.create_profile ? "true" : "false") +
                    " subject=" + pid(d.subject) +
                    " apply_properties=" + (d.apply_properties ? "true" : "false") + "\n";
    for (const Attach& a : d.attaches)
        s += "  attach " + std::string(kind_name(a.kind)) + " " + a.value + " -> #" +
             std::to_string(a.profile) + "\n";
    for (const Detach& x : d.detaches)
        s += "  detach " + std::string(kind_name(x.kind)) + " " + x.value + " from #" +
             std::to_string(x.profile) + "\n";
    for (const Merge& m : d.merges)
        s += "  merge #" + std::to_string(m.merged) + " into #" + std::to_string(m.survivor) + "\n";
    for (const ConsentRecord& c : d.consents)
        s += "  consent " + std::string(kind_name(c.kind)) + " " + c.value +
             (c.subscribed ? " subscribed" : " unsubscribed") + " profile=" + pid(c.profile) + "\n";
    for (const Profile& p : d.changed_profiles) s += "  changed " + profile_str(p) + "\n";
    for (const DetailObject& o : detail_fields(d.detail, {})) {
        s += "  detail";
        for (const DetailField& f : o)
            s += " " + std::string(f.key) + "=" +
                 (f.type == DetailField::Type::String    ? printable(std::string(f.text))
                  : f.type == DetailField::Type::Integer ? std::to_string(f.number)
                                                         : std::string("null"));
        s += "\n";
    }
    return s;
}

bool g_print = false;
const Event* g_event = nullptr;
const ProfileMap* g_profiles = nullptr;
const Decision* g_decision = nullptr;
const Event* g_replay_event = nullptr;
const ProfileMap* g_replay_profiles = nullptr;
const Decision* g_replay_decision = nullptr;

std::string describe() {
    std::string s;
    if (g_event && g_profiles) s += describe_input(*g_event, *g_profiles);
    if (g_decision) s += describe_decision(*g_decision);
    if (g_replay_event && g_replay_profiles)
        s += "---- replay of the event against the resulting state\n" +
             describe_input(*g_replay_event, *g_replay_profiles);
    if (g_replay_decision) s += describe_decision(*g_replay_decision);
    return s;
}

// ---------------------------------------------------------------------------
// Oracles and checks

struct UsableRef {
    Kind kind;
    std::string value;
    std::optional<ProfileId> owner;
};

std::vector<UsableRef> usable_of(const Event& e) {
    std::vector<UsableRef> u;
    if (e.hint_given && e.policy.accepts_kind(Kind::Profile) && e.hint_profile)
        u.push_back({Kind::Profile, std::to_string(*e.hint_profile), e.hint_profile});
    for (const EventIdentifier& id : e.identifiers)
        if (e.policy.accepts_kind(id.kind) && id.validity == Validity::Usable)
            u.push_back({id.kind, id.value, id.owner});
    return u;
}

const UsableRef* find_usable(const std::vector<UsableRef>& u, Kind k) {
    for (const UsableRef& r : u)
        if (r.kind == k) return &r;
    return nullptr;
}

// Step 3 from DESIGN.md and the Decision comment of rules.hpp, independently
// of rules.cpp: the kinds of identify_by choose the subject, the first one
// the event carries leading. A kind the source accepts but does not identify
// by is secondary: it never chooses while the event carries an identify_by
// kind (it is attached, merges or conflicts in step 4); when the event
// carries none, the subject is chosen the same way over identify_by followed
// by the other accepted kinds in accepts order. nullopt: a new profile.
std::optional<ProfileId> initial_subject(const Event& e, const ProfileMap& ps,
                                         const std::vector<UsableRef>& u) {
    std::vector<Kind> order = e.policy.identify_by;
    const bool identifying = std::any_of(order.begin(), order.end(),
                                         [&](Kind k) { return find_usable(u, k) != nullptr; });
    if (!identifying)
        for (Kind k : e.policy.accepts)
            if (std::find(order.begin(), order.end(), k) == order.end()) order.push_back(k);
    std::size_t first = 0;
    while (first < order.size() && !find_usable(u, order[first])) ++first;
    if (first == order.size()) return std::nullopt;
    const UsableRef& lead = *find_usable(u, order[first]);
    if (lead.owner) return lead.owner;
    for (std::size_t i = first + 1; i < order.size(); ++i) {
        const UsableRef* r = find_usable(u, order[i]);
        if (r && r->owner && !ps.at(*r->owner).value(lead.kind)) return r->owner;
    }
    return std::nullopt;
}

// Older first: (created_at, id); the profile the event creates is the newest.
std::tuple<std::int64_t, ProfileId> age_key(const Profile& p) {
    if (p.id == kNewProfile)
        return {std::numeric_limits<std::int64_t>::max(), std::numeric_limits<ProfileId>::max()};
    return {p.created_at, p.id};
}

bool compatible(const Profile& a, const Profile& b) {
    for (Kind k : kStored)
        if (a.value(k) && b.value(k) && *a.value(k) != *b.value(k)) return false;
    return true;
}

bool same_columns(const Profile& a, const Profile& b) {
    return a.external_id == b.external_id && a.email == b.email && a.phone == b.phone;
}

// The state after the event, in the core's own order (check 2).
struct Logical {
    std::map<ProfileId, Profile> active;
    std::map<ProfileId, ProfileId> merged_into;
    ProfileId subject = kNewProfile;

    ProfileId resolve(ProfileId id) const {
        for (auto it = merged_into.find(id); it != merged_into.end(); it = merged_into.find(id))
            id = it->second;
        return id;
    }
    std::optional<ProfileId> holder(Kind k, const std::string& v) const {
        std::optional<ProfileId> h;
        for (const auto& [id, p] : active)
            if (p.value(k) == v) {
                PM_CHECK(!h, "%s %s held by #%lld and #%lld", std::string(kind_name(k)).c_str(),
                         v.c_str(), static_cast<long long>(*h), static_cast<long long>(id));
                h = id;
            }
        return h;
    }
};

std::optional<Kind> stored_kind(const std::string& name) {
    auto k = parse_kind(name);
    if (k && *k != Kind::Profile) return k;
    return std::nullopt;
}

Logical replay_detail(const Event& e, const ProfileMap& ps, const Decision& d,
                      const std::vector<UsableRef>& usable) {
    Logical s;
    for (const auto& [id, p] : ps) {
        PM_CHECK(id == p.id && id != kNewProfile, "inconsistent fuzz input");
        s.active[id] = p;
    }
    const std::optional<ProfileId> first = initial_subject(e, ps, usable);
    PM_CHECK(d.create_profile == !first, "create_profile=%d but step 3 gives %s", d.create_profile,
             pid(first).c_str());
    if (!first) {
        Profile created;
        created.id = kNewProfile;
        s.active[kNewProfile] = created;
        s.subject = kNewProfile;
    } else {
        s.subject = *first;
    }

    std::vector<std::tuple<Kind, std::string, ProfileId>> attaches, detaches;
    std::size_t next_merge = 0;
    for (std::size_t i = 0; i < d.detail.size(); ++i) {
        const DetailEntry& x = d.detail[i];
        const std::string where = "detail[" + std::to_string(i) + "] " +
                                  std::string(action_name(x.action)) + " " + x.kind + " " +
                                  printable(x.value.value_or("<null>"));
        PM_CHECK(x.kind == "properties" || parse_kind(x.kind), "%s: unknown kind", where.c_str());
        PM_CHECK((x.action == Action::Merged) == (x.merge_index >= 0), "%s: merge_index %d",
                 where.c_str(), x.merge_index);
        PM_CHECK(x.action == Action::Overridden || !x.old_value, "%s: old_value on a non-override",
                 where.c_str());
        Profile& subj = s.active.at(s.subject);
        switch (x.action) {
            case Action::Attached: {
                const auto k = stored_kind(x.kind);
                PM_CHECK(k && x.value && !x.other_profile, "%s: malformed", where.c_str());
                const UsableRef* u = find_usable(usable, *k);
                PM_CHECK(u && u->value == *x.value && !u->owner,
                         "%s: not a usable unowned identifier of the event", where.c_str());
                PM_CHECK(!subj.value(*k), "%s: subject #%lld already has %s", where.c_str(),
                         static_cast<long long>(s.subject), opt(subj.value(*k)).c_str());
                PM_CHECK(!s.holder(*k, *x.value), "%s: value already held", where.c_str());
                subj.value(*k) = *x.value;
                attaches.emplace_back(*k, *x.value, s.subject);
                break;
            }
            case Action::Overridden: {
                const auto k = stored_kind(x.kind);
                PM_CHECK(k && x.value && x.old_value && !x.other_profile, "%s: malformed", where.c_str());
                PM_CHECK(e.policy.may_override_kind(*k), "%s: kind not in may_override", where.c_str());
                const UsableRef* u = find_usable(usable, *k);
                PM_CHECK(u && u->value == *x.value && !u->owner,
                         "%s: not a usable unowned identifier of the event", where.c_str());
                PM_CHECK(subj.value(*k) == x.old_value && *x.old_value != *x.value,
                         "%s: old_value %s but subject #%lld has %s", where.c_str(),
                         x.old_value->c_str(), static_cast<long long>(s.subject),
                         opt(subj.value(*k)).c_str());
                PM_CHECK(!s.holder(*k, *x.value), "%s: value already held", where.c_str());
                detaches.emplace_back(*k, *x.old_value, s.subject);
                subj.value(*k) = *x.value;
                attaches.emplace_back(*k, *x.value, s.subject);
                break;
            }
            case Action::Merged: {
                PM_CHECK(x.value && x.other_profile, "%s: malformed", where.c_str());
                PM_CHECK(e.policy.merges, "%s: the source does not merge", where.c_str());
                PM_CHECK(static_cast<std::size_t>(x.merge_index) == next_merge &&
                             next_merge < d.merges.size(),
                         "%s: merge_index %d, expected %zu of %zu merges", where.c_str(),
                         x.merge_index, next_merge, d.merges.size());
                const Merge m = d.merges[next_merge++];
                const ProfileId other = *x.other_profile;
                const auto k = parse_kind(x.kind);
                const UsableRef* u = k ? find_usable(usable, *k) : nullptr;
                PM_CHECK(u && u->value == *x.value && u->owner && s.resolve(*u->owner) == other,
                         "%s: other_profile #%lld is not the holder of the value", where.c_str(),
                         static_cast<long long>(other));
                PM_CHECK(s.active.count(other) && other != s.subject,
                         "%s: other_profile #%lld not active or is the subject", where.c_str(),
                         static_cast<long long>(other));
                PM_CHECK((m.survivor == s.subject && m.merged == other) ||
                             (m.survivor == other && m.merged == s.subject),
                         "%s: merge #%lld into #%lld is not between subject #%lld and #%lld",
                         where.c_str(), static_cast<long long>(m.merged),
                         static_cast<long long>(m.survivor), static_cast<long long>(s.subject),
                         static_cast<long long>(other));
                const Profile& sv = s.active.at(m.survivor);
                const Profile& mg = s.active.at(m.merged);
                PM_CHECK(compatible(sv, mg), "%s: merged incompatible profiles %s and %s",
                         where.c_str(), profile_str(sv).c_str(), profile_str(mg).c_str());
                PM_CHECK(m.survivor != kNewProfile, "%s: the created profile survives a merge",
                         where.c_str());
                PM_CHECK(age_key(sv) < age_key(mg), "%s: survivor %s is not older than %s",
                         where.c_str(), profile_str(sv).c_str(), profile_str(mg).c_str());
                Profile survivor = sv;
                for (Kind kk : kStored)
                    if (!survivor.value(kk)) survivor.value(kk) = mg.value(kk);
                s.active[m.survivor] = survivor;
                s.active.erase(m.merged);
                s.merged_into[m.merged] = m.survivor;
                for (auto& a : attaches)
                    if (std::get<2>(a) == m.merged) std::get<2>(a) = m.survivor;
                s.subject = m.survivor;
                break;
            }
            case Action::Conflict: {
                PM_CHECK(x.value.has_value(), "%s: no value", where.c_str());
                const auto k = parse_kind(x.kind);
                PM_CHECK(k.has_value(), "%s: kind", where.c_str());
                const UsableRef* u = find_usable(usable, *k);
                PM_CHECK(u && u->value == *x.value, "%s: not a usable identifier of the event",
                         where.c_str());
                if (x.other_profile) {
                    const ProfileId other = *x.other_profile;
                    PM_CHECK(u->owner && s.resolve(*u->owner) == other,
                             "%s: other_profile #%lld does not hold the value", where.c_str(),
                             static_cast<long long>(other));
                    PM_CHECK(s.active.count(other) && other != s.subject,
                             "%s: other_profile not active or is the subject", where.c_str());
                    const bool justified = !e.policy.merges || !compatible(subj, s.active.at(other));
                    PM_CHECK(justified,
                             "%s: conflict although the source merges and %s, %s are compatible",
                             where.c_str(), profile_str(subj).c_str(),
                             profile_str(s.active.at(other)).c_str());
                } else {
                    PM_CHECK(*k != Kind::Profile && !u->owner, "%s: conflict without other_profile",
                             where.c_str());
                    PM_CHECK(subj.value(*k) && *subj.value(*k) != *x.value &&
                                 !e.policy.may_override_kind(*k),
                             "%s: unjustified conflict, subject %s", where.c_str(),
                             profile_str(subj).c_str());
                }
                break;
            }
            case Action::Invalid:
            case Action::Blocked:
            case Action::Ignored:
                break;
        }
    }
    PM_CHECK(next_merge == d.merges.size(), "%zu merges but %zu merged entries in detail",
             d.merges.size(), next_merge);
    PM_CHECK(d.subject == s.subject, "subject %s, the detail leads to #%lld", pid(d.subject).c_str(),
             static_cast<long long>(s.subject));

    // attaches: sorted by (kind, value), unique, and what the detail says.
    for (std::size_t i = 1; i < d.attaches.size(); ++i)
        PM_CHECK(std::tie(d.attaches[i - 1].kind, d.attaches[i - 1].value) <
                     std::tie(d.attaches[i].kind, d.attaches[i].value),
                 "attaches not sorted by (kind, value) or not unique at %zu", i);
    std::sort(attaches.begin(), attaches.end());
    std::vector<std::tuple<Kind, std::string, ProfileId>> got;
    for (const Attach& a : d.attaches) got.emplace_back(a.kind, a.value, a.profile);
    std::sort(got.begin(), got.end());
    PM_CHECK(got == attaches, "attaches (%zu) differ from the attached/overridden detail (%zu)",
             got.size(), attaches.size());
    std::vector<std::tuple<Kind, std::string, ProfileId>> got_detaches;
    for (const Detach& x : d.detaches) got_detaches.emplace_back(x.kind, x.value, x.profile);
    PM_CHECK(got_detaches == detaches, "detaches differ from the overridden detail");

    // changed_profiles: exactly the active profiles that are new or changed.
    std::set<ProfileId> seen;
    for (const Profile& p : d.changed_profiles) {
        PM_CHECK(seen.insert(p.id).second, "#%lld twice in changed_profiles",
                 static_cast<long long>(p.id));
        PM_CHECK(s.active.count(p.id), "changed profile #%lld is not active",
                 static_cast<long long>(p.id));
        PM_CHECK(same_columns(p, s.active.at(p.id)), "changed profile %s, replay gives %s",
                 profile_str(p).c_str(), profile_str(s.active.at(p.id)).c_str());
    }
    for (const auto& [id, p] : s.active) {
        const bool changed = id == kNewProfile || !same_columns(p, ps.at(id));
        PM_CHECK(changed == (seen.count(id) > 0), "#%lld changed=%d but %s in changed_profiles",
                 static_cast<long long>(id), changed, seen.count(id) ? "listed" : "not listed");
    }
    return s;
}

// Check 4: the decision applied the way src/pg/resolve/resolve_event.cpp applies it.
void apply_like_postgres(const ProfileMap& ps, const Decision& d, const Logical& logical) {
    struct Row {
        Kind kind;
        std::string value;
        ProfileId profile;
        bool attached;
    };
    std::vector<Row> rows;
    std::map<ProfileId, Profile> db = {ps.begin(), ps.end()};
    std::set<ProfileId> tombstones;
    for (const auto& [id, p] : ps)
        for (Kind k : kStored)
            if (p.value(k)) rows.push_back({k, *p.value(k), id, true});
    auto attached = [&](Kind k, const std::string& v) -> Row* {
        for (Row& r : rows)
            if (r.attached && r.kind == k && r.value == v) return &r;
        return nullptr;
    };

    if (d.create_profile) {
        // The layer creates it with its columns from changed_profiles; when it
        // is not listed there the event merges it away, and it is created
        // with empty columns (`survives ? *it : empty`).
        auto it = std::find_if(d.changed_profiles.begin(), d.changed_profiles.end(),
                               [](const Profile& p) { return p.id == kNewProfile; });
        const bool merged_away = std::any_of(d.merges.begin(), d.merges.end(),
                                             [](const Merge& m) { return m.merged == kNewProfile; });
        PM_CHECK((it != d.changed_profiles.end()) != merged_away,
                 "create_profile: kNewProfile %s in changed_profiles and %s merged away",
                 it != d.changed_profiles.end() ? "listed" : "not listed", merged_away ? "is" : "not");
        Profile created;
        if (it != d.changed_profiles.end()) created = *it;
        created.id = kNewProfile;
        db[kNewProfile] = created;
    }
    for (const Attach& a : d.attaches) {
        PM_CHECK(db.count(a.profile) && !tombstones.count(a.profile), "attach to unknown #%lld",
                 static_cast<long long>(a.profile));
        const Row* r = attached(a.kind, a.value);
        PM_CHECK(!r, "claim of %s %s for #%lld finds it attached to #%lld: the unique index refuses "
                 "it and the layer retries until it gives up",
                 std::string(kind_name(a.kind)).c_str(), a.value.c_str(),
                 static_cast<long long>(a.profile), static_cast<long long>(r ? r->profile : 0));
        rows.push_back({a.kind, a.value, a.profile, true});
    }
    std::map<ProfileId, ProfileId> merged_into;
    for (const Merge& m : d.merges) {
        PM_CHECK(db.count(m.survivor) && db.count(m.merged) && !tombstones.count(m.survivor) &&
                     !tombstones.count(m.merged) && m.survivor != m.merged,
                 "merge #%lld into #%lld: not two active profiles", static_cast<long long>(m.merged),
                 static_cast<long long>(m.survivor));
        for (Row& r : rows)
            if (r.attached && r.profile == m.merged) r.profile = m.survivor;
        Profile& sv = db[m.survivor];
        Profile& mg = db[m.merged];
        for (Kind k : kStored) {
            if (!sv.value(k)) sv.value(k) = mg.value(k);
            mg.value(k).reset();
        }
        tombstones.insert(m.merged);
        merged_into[m.merged] = m.survivor;
    }
    // Detached after the merges, by value, wherever the value now is: it must
    // be attached to the profile that held it when decided (or its survivor).
    for (const Detach& x : d.detaches) {
        ProfileId holder = x.profile;
        for (auto it = merged_into.find(holder); it != merged_into.end(); it = merged_into.find(holder))
            holder = it->second;
        Row* r = attached(x.kind, x.value);
        PM_CHECK(r && r->profile == holder,
                 "detach of %s %s (decided on #%lld, now #%lld) finds it attached to %s",
                 std::string(kind_name(x.kind)).c_str(), x.value.c_str(),
                 static_cast<long long>(x.profile), static_cast<long long>(holder),
                 r ? ("#" + std::to_string(r->profile)).c_str() : "nobody");
        r->attached = false;
    }
    if (d.subject && *d.subject != kNewProfile) {
        auto it = std::find_if(d.changed_profiles.begin(), d.changed_profiles.end(),
                               [&](const Profile& p) { return p.id == *d.subject; });
        if (it != d.changed_profiles.end()) {
            Profile& p = db.at(*d.subject);
            p.external_id = it->external_id;
            p.email = it->email;
            p.phone = it->phone;
        }
    }

    for (const auto& [id, p] : db) {
        if (tombstones.count(id)) {
            for (const Row& r : rows)
                PM_CHECK(!(r.attached && r.profile == id), "tombstone #%lld keeps %s %s attached",
                         static_cast<long long>(id), std::string(kind_name(r.kind)).c_str(),
                         r.value.c_str());
            continue;
        }
        for (Kind k : kStored) {
            std::vector<std::string> values;
            for (const Row& r : rows)
                if (r.attached && r.profile == id && r.kind == k) values.push_back(r.value);
            PM_CHECK(values.size() <= 1, "after applying: #%lld has %zu attached %s values (%s, %s), "
                     "column %s", static_cast<long long>(id), values.size(),
                     std::string(kind_name(k)).c_str(), values[0].c_str(), values[1].c_str(),
                     opt(p.value(k)).c_str());
            const std::optional<std::string> row =
                values.empty() ? std::nullopt : std::optional<std::string>(values[0]);
            PM_CHECK(row == p.value(k), "after applying: #%lld column %s=%s but attached row %s",
                     static_cast<long long>(id), std::string(kind_name(k)).c_str(),
                     opt(p.value(k)).c_str(), opt(row).c_str());
        }
        PM_CHECK(logical.active.count(id) && same_columns(logical.active.at(id), p),
                 "applied state of #%lld differs from the core's own", static_cast<long long>(id));
    }
    PM_CHECK(db.size() - tombstones.size() == logical.active.size(),
             "applied state has %zu active profiles, the core's %zu", db.size() - tombstones.size(),
             logical.active.size());
}

Outcome expected_outcome(const Decision& d) {
    if (!d.merges.empty()) return Outcome::Merged;
    if (std::any_of(d.detail.begin(), d.detail.end(),
                    [](const DetailEntry& x) { return x.action == Action::Conflict; }))
        return Outcome::Conflict;
    if (d.create_profile) return Outcome::Created;
    if (!d.attaches.empty() || !d.detaches.empty()) return Outcome::Updated;
    return Outcome::Matched;
}

bool has_entry(const Decision& d, Action a, Kind k, const std::optional<std::string>& value) {
    for (const DetailEntry& x : d.detail)
        if (x.action == a && x.kind == kind_name(k) && (!value || x.value == value)) return true;
    return false;
}

std::size_t count_entries(const Decision& d, Action a) {
    return std::count_if(d.detail.begin(), d.detail.end(),
                         [a](const DetailEntry& x) { return x.action == a; });
}

// Check 6 (step 1 and consents) and the action names.
void check_steps_1_and_5(const Event& e, const Decision& d, const Logical* after) {
    std::size_t invalid = 0, blocked = 0;
    for (const EventIdentifier& id : e.identifiers) {
        if (!e.policy.accepts_kind(id.kind)) {
            PM_CHECK(has_entry(d, Action::Ignored, id.kind, std::nullopt),
                     "%s not accepted but not ignored", std::string(kind_name(id.kind)).c_str());
        } else if (id.validity == Validity::Invalid) {
            ++invalid;
            PM_CHECK(has_entry(d, Action::Invalid, id.kind, id.raw), "invalid %s not reported",
                     std::string(kind_name(id.kind)).c_str());
        } else if (id.validity == Validity::Blocked) {
            ++blocked;
            PM_CHECK(has_entry(d, Action::Blocked, id.kind, id.value), "blocked %s not reported",
                     std::string(kind_name(id.kind)).c_str());
        }
    }
    PM_CHECK(count_entries(d, Action::Invalid) == invalid, "%zu invalid entries, expected %zu",
             count_entries(d, Action::Invalid), invalid);
    PM_CHECK(count_entries(d, Action::Blocked) == blocked, "%zu blocked entries, expected %zu",
             count_entries(d, Action::Blocked), blocked);
    if (e.hint_given && !(e.policy.accepts_kind(Kind::Profile) && e.hint_profile))
        PM_CHECK(has_entry(d, Action::Ignored, Kind::Profile, std::to_string(e.hint_raw)),
                 "unusable hint not reported as ignored");

    for (const DetailEntry& x : d.detail) {
        const std::string_view name = action_name(x.action);
        PM_CHECK(name == "attached" || name == "overridden" || name == "merged" ||
                     name == "conflict" || name == "invalid" || name == "blocked" || name == "ignored",
                 "action name %s", std::string(name).c_str());
    }

    const std::vector<UsableRef> usable = usable_of(e);
    std::size_t expected_consents = 0;
    for (const auto& [kind, flag] : {std::make_pair(Kind::Phone, e.sms_consent),
                                     std::make_pair(Kind::Email, e.email_consent)}) {
        const Kind k = kind;
        if (!flag) continue;
        const UsableRef* u = find_usable(usable, k);
        if (!u) {
            PM_CHECK(has_entry(d, Action::Ignored, k, std::nullopt),
                     "%s consent without a usable value not reported as ignored",
                     std::string(kind_name(k)).c_str());
            continue;
        }
        ++expected_consents;
        const auto it = std::find_if(d.consents.begin(), d.consents.end(),
                                     [&](const ConsentRecord& c) { return c.kind == k; });
        PM_CHECK(it != d.consents.end() && it->value == u->value && it->subscribed == *flag,
                 "%s consent not recorded for %s", std::string(kind_name(k)).c_str(), u->value.c_str());
        if (after) {
            const std::optional<ProfileId> h = after->holder(k, u->value);
            PM_CHECK(it->profile == h, "consent for %s names %s, the holder is %s", u->value.c_str(),
                     pid(it->profile).c_str(), pid(h).c_str());
        }
    }
    PM_CHECK(d.consents.size() == expected_consents, "%zu consent records, expected %zu",
             d.consents.size(), expected_consents);
}

// Check 7.
void check_detail_fields(const Decision& d) {
    std::vector<std::int64_t> ids;
    for (std::size_t i = 0; i < d.merges.size(); ++i) ids.push_back(7000 + static_cast<std::int64_t>(i));
    const std::vector<DetailObject> objects = detail_fields(d.detail, ids);
    PM_CHECK(objects.size() == d.detail.size(), "%zu detail objects for %zu entries", objects.size(),
             d.detail.size());
    for (std::size_t i = 0; i < d.detail.size(); ++i) {
        const DetailEntry& x = d.detail[i];
        const DetailObject& o = objects[i];
        std::set<std::string_view> keys;
        for (const DetailField& f : o) PM_CHECK(keys.insert(f.key).second, "entry %zu repeats a key", i);
        auto get = [&](std::string_view key) -> const DetailField* {
            for (const DetailField& f : o)
                if (f.key == key) return &f;
            return nullptr;
        };
        // Absent keys read as null, as in the jsonb.
        auto str_is = [&](const char* key, const std::optional<std::string>& want) {
            const DetailField* v = get(key);
            if (!want) return v == nullptr || v->type == DetailField::Type::Null;
            return v != nullptr && v->type == DetailField::Type::String && v->text == *want;
        };
        PM_CHECK(str_is("action", std::string(action_name(x.action))), "entry %zu action", i);
        PM_CHECK(str_is("kind", x.kind), "entry %zu kind", i);
        PM_CHECK(get("value") && str_is("value", x.value), "entry %zu value does not read back", i);
        const DetailField* other = get("other_profile");
        PM_CHECK(other && (x.other_profile ? other->type == DetailField::Type::Integer &&
                                                 other->number == *x.other_profile
                                           : other->type == DetailField::Type::Null),
                 "entry %zu other_profile", i);
        PM_CHECK(str_is("old_value", x.old_value), "entry %zu old_value", i);
        PM_CHECK(str_is("reason", x.reason.empty() ? std::nullopt : std::optional<std::string>(x.reason)),
                 "entry %zu reason", i);
        const DetailField* mid = get("merge_id");
        if (x.merge_index >= 0)
            PM_CHECK(mid && mid->type == DetailField::Type::Integer && mid->number == ids.at(x.merge_index),
                     "entry %zu merge_id", i);
        else
            PM_CHECK(!mid, "entry %zu has a merge_id without a merge", i);
    }
}

Decision decide_or_die(const Event& e, const ProfileMap& ps) {
    try {
        return decide(e, ps);
    } catch (const std::exception& ex) {
        PM_CHECK(false, "decide threw: %s", ex.what());
    } catch (...) {
        PM_CHECK(false, "decide threw a non-std exception");
    }
}

void check(const Event& e, const ProfileMap& ps, const Decision& d, bool replay);

// Check 8: the state after the event, as the layer would load it again.
void check_replay(const Event& e, const Decision& d, const Logical& after) {
    constexpr ProfileId kCreatedId = 1000;  // the id the created profile got
    auto real = [&](ProfileId id) { return id == kNewProfile ? kCreatedId : id; };
    std::map<ProfileId, Profile> universe;
    for (const auto& [id, p] : after.active) {
        Profile q = p;
        q.id = real(id);
        if (id == kNewProfile) q.created_at = 1000;  // newest
        universe[q.id] = q;
    }
    Event again = e;
    for (EventIdentifier& id : again.identifiers) {
        id.owner.reset();
        if (id.validity != Validity::Usable) continue;
        for (const auto& [pid_, p] : universe)
            if (p.value(id.kind) == id.value) id.owner = pid_;
    }
    if (again.hint_profile) again.hint_profile = real(after.resolve(*again.hint_profile));
    ProfileMap touched;
    for (const auto& [id, p] : universe) {
        bool t = again.hint_profile == id;
        for (const EventIdentifier& x : again.identifiers) t = t || x.owner == id;
        if (t) touched[id] = p;
    }
    struct Reset {
        ~Reset() {
            g_replay_event = nullptr;
            g_replay_profiles = nullptr;
            g_replay_decision = nullptr;
        }
    } reset;
    g_replay_event = &again;
    g_replay_profiles = &touched;
    const Decision r = decide_or_die(again, touched);
    g_replay_decision = &r;
    check(again, touched, r, false);  // a consistent input too

    PM_CHECK(!r.create_profile && r.attaches.empty() && r.detaches.empty() && r.merges.empty(),
             "replaying the event changes the state again");
    if (d.outcome == Outcome::Rejected) {
        PM_CHECK(r.outcome == Outcome::Rejected, "replay of a rejected event is %s",
                 std::string(outcome_name(r.outcome)).c_str());
    } else {
        const bool conflict = count_entries(d, Action::Conflict) > 0;
        PM_CHECK(r.outcome == (conflict ? Outcome::Conflict : Outcome::Matched),
                 "replay outcome %s, first run %s", std::string(outcome_name(r.outcome)).c_str(),
                 std::string(outcome_name(d.outcome)).c_str());
        PM_CHECK(r.subject && d.subject && *r.subject == real(*d.subject),
                 "replay subject %s, first run %s", pid(r.subject).c_str(), pid(d.subject).c_str());
    }
}

void check(const Event& e, const ProfileMap& ps, const Decision& d, bool replay) {
    const std::vector<UsableRef> usable = usable_of(e);
    PM_CHECK((d.outcome == Outcome::Rejected) == usable.empty(),
             "outcome %s with %zu usable identifiers", std::string(outcome_name(d.outcome)).c_str(),
             usable.size());
    check_detail_fields(d);

    if (d.outcome == Outcome::Rejected) {
        PM_CHECK(!d.subject, "rejected with a subject");
        PM_CHECK(d.attaches.empty() && d.detaches.empty() && d.merges.empty() && d.consents.empty() &&
                     !d.create_profile && d.changed_profiles.empty(),
                 "rejected but the decision changes something");
        PM_CHECK(!d.apply_properties, "rejected but properties applied");
        check_steps_1_and_5(e, d, nullptr);
        Logical unchanged;
        unchanged.active = {ps.begin(), ps.end()};
        if (replay) check_replay(e, d, unchanged);
        return;
    }

    PM_CHECK(d.subject.has_value(), "no subject although not rejected");
    PM_CHECK(d.outcome == expected_outcome(d), "outcome %s, precedence gives %s",
             std::string(outcome_name(d.outcome)).c_str(),
             std::string(outcome_name(expected_outcome(d))).c_str());
    {
        // Who may name kNewProfile (check 5).
        const bool listed = std::any_of(d.changed_profiles.begin(), d.changed_profiles.end(),
                                        [](const Profile& p) { return p.id == kNewProfile; });
        std::size_t in_merges = 0;
        for (const Merge& m : d.merges) {
            PM_CHECK(m.survivor != kNewProfile, "the created profile survives a merge");
            in_merges += m.merged == kNewProfile;
        }
        if (!d.create_profile) {
            PM_CHECK(*d.subject != kNewProfile && !listed && in_merges == 0,
                     "no create_profile but kNewProfile is the subject, changed or merged");
            for (const Attach& a : d.attaches)
                PM_CHECK(a.profile != kNewProfile, "no create_profile but an attach to kNewProfile");
        } else if (d.merges.empty()) {
            PM_CHECK(*d.subject == kNewProfile && listed,
                     "create_profile without merges: subject %s, kNewProfile %s in changed_profiles",
                     pid(d.subject).c_str(), listed ? "listed" : "not listed");
        } else {
            // The created profile is the subject until it merges, and every
            // merge involves the subject: the first merge is its.
            PM_CHECK(d.merges[0].merged == kNewProfile && in_merges == 1,
                     "create_profile with merges: the first merges #%lld into #%lld, kNewProfile "
                     "merged %zu times",
                     static_cast<long long>(d.merges[0].merged),
                     static_cast<long long>(d.merges[0].survivor), in_merges);
            PM_CHECK(*d.subject != kNewProfile && !listed,
                     "created profile merged away but subject %s, %s in changed_profiles",
                     pid(d.subject).c_str(), listed ? "listed" : "not listed");
            for (const Attach& a : d.attaches)
                PM_CHECK(a.profile != kNewProfile, "attach to the created profile merged away");
        }
    }
    PM_CHECK(d.apply_properties == e.has_properties, "apply_properties=%d, properties given=%d",
             d.apply_properties, e.has_properties);

    const Logical after = replay_detail(e, ps, d, usable);

    // Check 3.
    for (Kind k : kStored)
        for (const std::string& v : kValues[slot(k)]) after.holder(k, v);  // aborts on two holders
    for (const auto& [id, p] : ps)
        PM_CHECK(after.active.count(after.resolve(id)), "profile #%lld lost",
                 static_cast<long long>(id));
    for (const auto& [merged, survivor] : after.merged_into) {
        PM_CHECK(!after.active.count(merged), "merged #%lld still active", static_cast<long long>(merged));
        PM_CHECK(d.subject != merged, "subject is the merged #%lld", static_cast<long long>(merged));
        for (const Attach& a : d.attaches) PM_CHECK(a.profile != merged, "attach to merged profile");
        for (const ConsentRecord& c : d.consents) PM_CHECK(c.profile != merged, "consent for merged profile");
        for (const Profile& p : d.changed_profiles) PM_CHECK(p.id != merged, "merged profile changed");
    }
    for (const UsableRef& u : usable) {
        if (u.kind == Kind::Profile) {
            PM_CHECK(after.resolve(*u.owner) == *d.subject ||
                         has_entry(d, Action::Conflict, Kind::Profile, u.value),
                     "the hint's profile #%lld is neither the subject nor a conflict",
                     static_cast<long long>(*u.owner));
            continue;
        }
        PM_CHECK(after.holder(u.kind, u.value) == d.subject ||
                     has_entry(d, Action::Conflict, u.kind, u.value),
                 "%s %s is neither held by the subject nor a conflict",
                 std::string(kind_name(u.kind)).c_str(), u.value.c_str());
        std::size_t entries = 0;
        for (const DetailEntry& x : d.detail)
            if (x.kind == kind_name(u.kind) && x.value == u.value &&
                (x.action == Action::Attached || x.action == Action::Overridden ||
                 x.action == Action::Merged || x.action == Action::Conflict))
                ++entries;
        PM_CHECK(entries <= 1, "%s %s resolved %zu times", std::string(kind_name(u.kind)).c_str(),
                 u.value.c_str(), entries);
    }

    check_steps_1_and_5(e, d, &after);
    apply_like_postgres(ps, d, after);
    if (d.create_profile) {
        // Check 4b: a created profile that survives holds an identifier; one
        // merged away (possibly empty) is a tombstone of an active profile.
        auto it = after.active.find(kNewProfile);
        if (it != after.active.end()) {
            const Profile& created = it->second;
            PM_CHECK(created.external_id || created.email || created.phone,
                     "the event creates a profile that holds no identifier");
        } else {
            PM_CHECK(after.merged_into.count(kNewProfile) &&
                         after.active.count(after.resolve(kNewProfile)),
                     "the created profile is neither active nor merged into an active one");
        }
    }
    if (replay) check_replay(e, d, after);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    pm::fuzz::describer() = describe;
    // PM_FUZZ_PRINT=1: print every decoded input and its decision (to read a
    // corpus file or a crash artifact: build/fuzz/fuzz_rules FILE).
    const char* print = std::getenv("PM_FUZZ_PRINT");
    g_print = print != nullptr && *print != '\0' && *print != '0';
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Input in = decode(data, size);
    g_event = &in.event;
    g_profiles = &in.profiles;
    g_decision = nullptr;

    const Decision d = decide_or_die(in.event, in.profiles);
    g_decision = &d;
    if (g_print) std::fprintf(stderr, "%s\n", describe().c_str());
    check(in.event, in.profiles, d, true);

    g_event = nullptr;
    g_profiles = nullptr;
    g_decision = nullptr;
    return 0;
}
