// Unit tests of the resolution rules (DESIGN.md sections 3 and 4), written
// from the contract rather than from src/core/rules.cpp. Every test builds the
// inputs the Postgres layer would load (the event with the owners of its
// identifiers, the touched profiles) and checks the Decision.
#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/rules.hpp"

namespace {

using namespace pm::core;

// ---------------------------------------------------------------------------
// The default rows of `sources` (DESIGN.md section 3), exactly as the table.

Policy make_policy(std::vector<Kind> identify_by, bool merges, std::vector<Kind> may_override,
                   std::vector<Kind> accepts) {
    Policy p;
    p.identify_by = std::move(identify_by);
    p.merges = merges;
    p.may_override = std::move(may_override);
    p.accepts = std::move(accepts);
    return p;
}

constexpr Kind kProf = Kind::Profile;
constexpr Kind kExt = Kind::ExternalId;
constexpr Kind kEmail = Kind::Email;
constexpr Kind kPhone = Kind::Phone;

Policy api() {
    return make_policy({kProf, kExt, kEmail, kPhone}, true, {kEmail, kPhone, kExt},
                       {kProf, kExt, kEmail, kPhone});
}
Policy form() {
    return make_policy({kProf, kEmail, kPhone}, true, {kPhone}, {kProf, kEmail, kPhone});
}
Policy checkout() {
    return make_policy({kExt, kEmail, kPhone}, false, {kPhone}, {kExt, kEmail, kPhone});
}
Policy import_() {
    return make_policy({kExt, kEmail, kPhone}, true, {kPhone}, {kExt, kEmail, kPhone});
}
Policy sms_keyword() { return make_policy({kPhone}, false, {}, {kPhone}); }
Policy click_to_text() { return make_policy({kPhone}, false, {}, {kPhone}); }
Policy sms_subscribe_link() { return make_policy({kPhone}, false, {}, {kPhone}); }

// Realistic normalized values.
const std::string kAna = "ana@example.com";
const std::string kBob = "bob@example.org";
const std::string kPhoneA = "+14155550132";
const std::string kPhoneB = "+14155550100";
const std::string kPhoneC = "+442079460958";
const std::string kCust1 = "cust-1001";
const std::string kCust2 = "cust-2002";

// ---------------------------------------------------------------------------
// Profiles.

using OptStr = std::optional<std::string>;

Profile prof(ProfileId id, std::int64_t created_at, OptStr external_id, OptStr email,
             OptStr phone) {
    Profile p;
    p.id = id;
    p.created_at = created_at;
    p.external_id = std::move(external_id);
    p.email = std::move(email);
    p.phone = std::move(phone);
    return p;
}

ProfileMap profiles(std::initializer_list<Profile> ps) {
    ProfileMap m;
    for (const Profile& p : ps) m[p.id] = p;
    return m;
}

// ---------------------------------------------------------------------------
// Events. Owners are filled in from the profile map, as the Postgres layer
// would (the active profile holding the normalized value), for every
// identifier that has a value, whether or not the source accepts it.

class Ev {
public:
    explicit Ev(Policy p) { e_.policy = std::move(p); }

    Ev& ext(std::string v) { return add(kExt, v, v, Validity::Usable); }
    Ev& email(std::string v) { return add(kEmail, v, v, Validity::Usable); }
    Ev& phone(std::string v) { return add(kPhone, v, v, Validity::Usable); }
    Ev& invalid(Kind k, std::string raw) {
        add(k, raw, "", Validity::Invalid);
        e_.identifiers.back().reason = "not a valid " + std::string(kind_name(k));
        return *this;
    }
    Ev& blocked(Kind k, std::string v) { return add(k, v, v, Validity::Blocked); }
    // The hint as typed, and the active survivor it leads to (nothing when it
    // names no profile of this account).
    Ev& hint(ProfileId raw, std::optional<ProfileId> resolved) {
        e_.hint_given = true;
        e_.hint_raw = raw;
        e_.hint_profile = resolved;
        return *this;
    }
    Ev& hint(ProfileId id) { return hint(id, id); }
    Ev& sms(bool v) {
        e_.sms_consent = v;
        return *this;
    }
    Ev& email_consent(bool v) {
        e_.email_consent = v;
        return *this;
    }
    Ev& props() {
        e_.has_properties = true;
        return *this;
    }

    Event with(const ProfileMap& ps) const {
        Event e = e_;
        for (EventIdentifier& id : e.identifiers) {
            if (id.value.empty()) continue;
            for (const auto& [pid, p] : ps)
                if (p.value(id.kind) && *p.value(id.kind) == id.value) id.owner = pid;
        }
        return e;
    }

private:
    Ev& add(Kind k, std::string raw, std::string value, Validity v) {
        EventIdentifier id;
        id.kind = k;
        id.raw = std::move(raw);
        id.value = std::move(value);
        id.validity = v;
        e_.identifiers.push_back(std::move(id));
        return *this;
    }
    Event e_;
};

Decision run(const Ev& ev, const ProfileMap& ps) { return decide(ev.with(ps), ps); }

// ---------------------------------------------------------------------------
// Printing and comparing the Decision (as strings, so that failures are
// readable and no operator== is added to pm::core).

std::string oname(Outcome o) {
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

std::string aname(Action a) {
    switch (a) {
        case Action::Attached: return "attached";
        case Action::Overridden: return "overridden";
        case Action::Merged: return "merged";
        case Action::Conflict: return "conflict";
        case Action::Invalid: return "invalid";
        case Action::Blocked: return "blocked";
        case Action::Ignored: return "ignored";
    }
    return "?";
}

std::string kname(Kind k) { return std::string(kind_name(k)); }

std::string pid(std::optional<ProfileId> p) { return p ? "#" + std::to_string(*p) : "-"; }

std::string A(Kind k, const std::string& v, ProfileId p) {
    return "attach " + kname(k) + " " + v + " -> #" + std::to_string(p);
}
std::string D(Kind k, const std::string& v, ProfileId p) {
    return "detach " + kname(k) + " " + v + " from #" + std::to_string(p);
}
std::string M(ProfileId survivor, ProfileId merged) {
    return "merge #" + std::to_string(merged) + " into #" + std::to_string(survivor);
}
std::string C(Kind k, const std::string& v, bool subscribed, std::optional<ProfileId> p) {
    return std::string(k == Kind::Phone ? "sms " : k == Kind::Email ? "email " : "?? ") + v +
           (subscribed ? " subscribed" : " unsubscribed") + " for " + pid(p);
}
std::string P(ProfileId id, OptStr ext, OptStr email, OptStr phone) {
    return "#" + std::to_string(id) + " external_id=" + ext.value_or("-") +
           " email=" + email.value_or("-") + " phone=" + phone.value_or("-");
}

std::vector<std::string> attaches(const Decision& d) {
    std::vector<std::string> out;
    for (const Attach& a : d.attaches) out.push_back(A(a.kind, a.value, a.profile));
    return out;
}
std::vector<std::string> detaches(const Decision& d) {
    std::vector<std::string> out;
    for (const Detach& x : d.detaches) out.push_back(D(x.kind, x.value, x.profile));
    return out;
}
std::vector<std::string> merges(const Decision& d) {
    std::vector<std::string> out;
    for (const Merge& m : d.merges) out.push_back(M(m.survivor, m.merged));
    return out;
}
// Sorted: the contract does not order the sms and the email ledger rows.
std::vector<std::string> consents(const Decision& d) {
    std::vector<std::string> out;
    for (const ConsentRecord& c : d.consents) out.push_back(C(c.kind, c.value, c.subscribed, c.profile));
    std::sort(out.begin(), out.end());
    return out;
}
// Sorted by id: the order of write-backs is not part of the contract.
std::vector<std::string> changed(const Decision& d) {
    std::vector<Profile> ps = d.changed_profiles;
    std::sort(ps.begin(), ps.end(), [](const Profile& a, const Profile& b) { return a.id < b.id; });
    std::vector<std::string> out;
    for (const Profile& p : ps) out.push_back(P(p.id, p.external_id, p.email, p.phone));
    return out;
}

std::string entry_str(const DetailEntry& e) {
    std::string s = aname(e.action) + " " + e.kind + " " + e.value.value_or("null") + " other=" +
                    pid(e.other_profile);
    if (e.old_value) s += " old=" + *e.old_value;
    return s;
}

std::string describe(const Decision& d) {
    std::ostringstream os;
    os << "\n  outcome=" << oname(d.outcome) << " subject=" << pid(d.subject)
       << " create_profile=" << d.create_profile << " apply_properties=" << d.apply_properties;
    for (auto& s : attaches(d)) os << "\n  " << s;
    for (auto& s : detaches(d)) os << "\n  " << s;
    for (auto& s : merges(d)) os << "\n  " << s;
    for (auto& s : consents(d)) os << "\n  consent " << s;
    for (auto& s : changed(d)) os << "\n  changed " << s;
    for (const DetailEntry& e : d.detail) os << "\n  detail: " << entry_str(e);
    return os.str();
}

// An expected detail entry. `loose` ones compare the action and kind only
// (the contract does not fix what value a hint or a consent entry carries).
struct Want {
    Action action;
    std::string kind;
    std::optional<std::string> value;
    std::optional<ProfileId> other;
    bool loose = false;
    std::optional<std::string> old_value = std::nullopt;
};
Want W(Action a, Kind k, std::string v, std::optional<ProfileId> other = std::nullopt) {
    return Want{a, kname(k), std::move(v), other, false};
}
Want Loose(Action a, const std::string& kind) { return Want{a, kind, std::nullopt, std::nullopt, true}; }
Want Over(Kind k, std::string v, std::string old) {
    Want w{Action::Overridden, kname(k), std::move(v), std::nullopt, false};
    w.old_value = std::move(old);
    return w;
}

::testing::AssertionResult detail_is(const Decision& d, const std::vector<Want>& want) {
    bool ok = d.detail.size() == want.size();
    for (size_t i = 0; ok && i < want.size(); ++i) {
        const DetailEntry& e = d.detail[i];
        const Want& w = want[i];
        if (e.action != w.action || e.kind != w.kind) ok = false;
        else if (!w.loose && (e.value != w.value || e.other_profile != w.other)) ok = false;
        else if (w.old_value && e.old_value != w.old_value) ok = false;
    }
    if (ok) return ::testing::AssertionSuccess();
    std::ostringstream os;
    os << "detail differs\n expected:";
    for (const Want& w : want)
        os << "\n  " << aname(w.action) << " " << w.kind
           << (w.loose ? " (any value)" : " " + w.value.value_or("null") + " other=" + pid(w.other))
           << (w.old_value ? " old=" + *w.old_value : "");
    os << "\n actual:" << describe(d);
    return ::testing::AssertionFailure() << os.str();
}

// The decision of an event that changes nothing but the ledger/properties.
void expect_nothing_written(const Decision& d) {
    EXPECT_FALSE(d.create_profile) << describe(d);
    EXPECT_TRUE(d.attaches.empty()) << describe(d);
    EXPECT_TRUE(d.detaches.empty()) << describe(d);
    EXPECT_TRUE(d.merges.empty()) << describe(d);
    EXPECT_TRUE(d.changed_profiles.empty()) << describe(d);
}

void expect_rejected(const Decision& d) {
    EXPECT_EQ(oname(d.outcome), "rejected") << describe(d);
    EXPECT_FALSE(d.subject.has_value()) << describe(d);
    EXPECT_FALSE(d.apply_properties) << describe(d);
    EXPECT_TRUE(d.consents.empty()) << describe(d);
    expect_nothing_written(d);
}

using V = std::vector<std::string>;

// ===========================================================================
// Policy helpers

TEST(RulesPolicy, AcceptsAndMayOverrideFollowTheLists) {
    Policy p = checkout();
    EXPECT_TRUE(p.accepts_kind(kExt));
    EXPECT_TRUE(p.accepts_kind(kEmail));
    EXPECT_TRUE(p.accepts_kind(kPhone));
    EXPECT_FALSE(p.accepts_kind(kProf));
    EXPECT_TRUE(p.may_override_kind(kPhone));
    EXPECT_FALSE(p.may_override_kind(kEmail));
    EXPECT_FALSE(p.may_override_kind(kExt));
    Policy s = sms_keyword();
    EXPECT_FALSE(s.accepts_kind(kEmail));
    EXPECT_FALSE(s.may_override_kind(kPhone));
}

// ===========================================================================
// Step 1: dropping identifiers; rejection

TEST(RulesReject, EventWithNothingIsRejected) {
    ProfileMap ps;
    Decision d = run(Ev(api()).sms(true).email_consent(true).props(), ps);
    expect_rejected(d);
}

TEST(RulesReject, OnlyInvalidIdentifiersRejectWithInvalidDetailCarryingRawValue) {
    ProfileMap ps;
    Decision d = run(Ev(form()).invalid(kEmail, "ana@@example").props(), ps);
    expect_rejected(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Invalid, kEmail, "ana@@example")}));
}

TEST(RulesReject, OnlyBlockedIdentifiersRejectWithBlockedDetail) {
    ProfileMap ps;
    Decision d = run(Ev(checkout()).blocked(kEmail, "test@test.com"), ps);
    expect_rejected(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Blocked, kEmail, "test@test.com")}));
}

TEST(RulesReject, OnlyUnacceptedKindsRejectWithIgnoredDetail) {
    // The email is even held by a profile: a source that does not accept
    // emails must not use it.
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {})});
    Decision d = run(Ev(sms_keyword()).email(kAna), ps);
    expect_rejected(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Ignored, kEmail, kAna)}));
}

TEST(RulesReject, ConsentWithoutAnyUsableIdentifierRecordsNothing) {
    ProfileMap ps;
    Decision d = run(Ev(sms_keyword()).invalid(kPhone, "555-CALL-NOW").sms(true), ps);
    expect_rejected(d);
    ASSERT_FALSE(d.detail.empty()) << describe(d);
    EXPECT_EQ(d.detail.front().action, Action::Invalid) << describe(d);
    EXPECT_EQ(d.detail.front().kind, "phone") << describe(d);
    EXPECT_EQ(d.detail.front().value, OptStr("555-CALL-NOW")) << describe(d);
}

TEST(RulesReject, UnknownHintAloneIsRejected) {
    ProfileMap ps;
    Decision d = run(Ev(api()).hint(424242, std::nullopt).props(), ps);
    expect_rejected(d);
    EXPECT_TRUE(detail_is(d, {Loose(Action::Ignored, "profile")}));
}

TEST(RulesReject, HintNotAcceptedBySourceAloneIsRejected) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {})});
    Decision d = run(Ev(sms_subscribe_link()).hint(1), ps);
    expect_rejected(d);
    EXPECT_TRUE(detail_is(d, {Loose(Action::Ignored, "profile")}));
}

TEST(RulesReject, UnacceptedInvalidIdentifierIsIgnoredWithRawValue) {
    // Not accepted comes first in step 1; its value could not be normalized,
    // so the detail carries the raw value.
    ProfileMap ps;
    Decision d = run(Ev(sms_keyword()).invalid(kEmail, "not an email"), ps);
    expect_rejected(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Ignored, kEmail, "not an email")}));
}

TEST(RulesDrop, InvalidEmailDoesNotStopAUsablePhone) {
    ProfileMap ps = profiles({prof(2, 100, {}, {}, kPhoneA)});
    Decision d = run(Ev(checkout()).invalid(kEmail, "ana at example.com").phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "matched") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(2)) << describe(d);
    expect_nothing_written(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Invalid, kEmail, "ana at example.com")}));
}

TEST(RulesDrop, BlockedEmailIsNeverUsedToFindOrGlueProfiles) {
    // test@test.com is held by profile 1 (junk from before it was blocked):
    // the event must neither match nor merge through it.
    ProfileMap ps = profiles({prof(1, 100, {}, "test@test.com", {})});
    Decision d = run(Ev(form()).blocked(kEmail, "test@test.com").phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "created") << describe(d);
    EXPECT_TRUE(d.create_profile) << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(kNewProfile)) << describe(d);
    EXPECT_EQ(attaches(d), V{A(kPhone, kPhoneA, kNewProfile)}) << describe(d);
    EXPECT_TRUE(d.merges.empty()) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Blocked, kEmail, "test@test.com"),
                              W(Action::Attached, kPhone, kPhoneA)}));
}

TEST(RulesDrop, IgnoredKindIsNeitherAttachedNorUsedToMatch) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {}), prof(2, 200, {}, {}, kPhoneA)});
    Decision d = run(Ev(sms_keyword()).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "matched") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(2)) << describe(d);
    expect_nothing_written(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Ignored, kEmail, kAna)}));
}

// ===========================================================================
// Step 3: the subject

TEST(RulesSubject, OwnerOfFirstCarriedKindIsSubject) {
    // checkout identifies by external_id first: the owner of the external_id
    // wins although the email (later in identify_by) is held by someone else.
    ProfileMap ps = profiles({prof(1, 100, kCust1, {}, {}), prof(2, 50, {}, kAna, {})});
    Decision d = run(Ev(checkout()).ext(kCust1).email(kAna), ps);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(1)) << describe(d);
    EXPECT_EQ(oname(d.outcome), "conflict") << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Conflict, kEmail, kAna, 2)}));
    expect_nothing_written(d);
}

TEST(RulesSubject, FirstKindUnownedFallsBackToOwnerOfLaterIdentifier) {
    // Email is new; the phone's owner holds no email: it is the subject and
    // the email is attached to it.
    ProfileMap ps = profiles({prof(2, 100, {}, {}, kPhoneA)});
    Decision d = run(Ev(form()).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "updated") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(2)) << describe(d);
    EXPECT_FALSE(d.create_profile) << describe(d);
    EXPECT_EQ(attaches(d), V{A(kEmail, kAna, 2)}) << describe(d);
    EXPECT_TRUE(d.merges.empty()) << describe(d);
    EXPECT_TRUE(d.detaches.empty()) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Attached, kEmail, kAna)}));
    EXPECT_EQ(changed(d), V{P(2, {}, kAna, kPhoneA)}) << describe(d);
}

TEST(RulesSubject, AcceptedKindOutsideIdentifyByNeverChoosesTheSubject) {
    // An SMS-only account's api: identifies by phone alone but accepts email.
    // The number is new, the email is Ana's: step 3 looks only at
    // identify_by, so a new profile holds the number, and the email (not a
    // merging source) is a conflict with Ana's profile.
    Policy sms_only = make_policy({kPhone}, false, {}, {kPhone, kEmail});
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {})});
    Decision d = run(Ev(sms_only).email(kAna).phone(kPhoneA), ps);
    EXPECT_TRUE(d.create_profile) << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(kNewProfile)) << describe(d);
    EXPECT_EQ(attaches(d), V{A(kPhone, kPhoneA, kNewProfile)}) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Attached, kPhone, kPhoneA), W(Action::Conflict, kEmail, kAna, 1)}));
    EXPECT_EQ(oname(d.outcome), "conflict") << describe(d);
}

TEST(RulesSubject, OnlyAcceptedKindsOutsideIdentifyByMakeANewProfile) {
    Policy sms_only = make_policy({kPhone}, false, {}, {kPhone, kEmail});
    Decision d = run(Ev(sms_only).email(kBob), profiles({}));
    EXPECT_TRUE(d.create_profile) << describe(d);
    EXPECT_EQ(attaches(d), V{A(kEmail, kBob, kNewProfile)}) << describe(d);
    EXPECT_EQ(oname(d.outcome), "created") << describe(d);
}

TEST(RulesSubject, SecondaryKindChoosesWhenNoIdentifyingKindIsCarried) {
    // identify_by {external_id}, accepts {external_id, email}: an event with
    // the email alone finds its owner instead of making an empty profile.
    Policy p = make_policy({kExt}, false, {}, {kExt, kEmail});
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {})});
    Decision d = run(Ev(p).email(kAna), ps);
    EXPECT_FALSE(d.create_profile) << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(1)) << describe(d);
    EXPECT_EQ(oname(d.outcome), "matched") << describe(d);
}

TEST(RulesMerge, NewProfileMergesIntoTheOwnerOfASecondaryKind) {
    // identify_by {external_id}, merging source: the external id is new, the
    // email belongs to #1, which has no external id. The new profile is
    // compatible with #1 and merges into it (the older survives): the same
    // event sent again changes nothing.
    Policy p = make_policy({kExt}, true, {}, {kExt, kEmail});
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {})});
    Decision d = run(Ev(p).ext(kCust1).email(kAna), ps);
    EXPECT_TRUE(d.create_profile) << describe(d);
    EXPECT_EQ(merges(d), V{M(1, kNewProfile)}) << describe(d);
    EXPECT_EQ(attaches(d), V{A(kExt, kCust1, 1)}) << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(1)) << describe(d);
    EXPECT_EQ(oname(d.outcome), "merged") << describe(d);
    EXPECT_EQ(changed(d), V{P(1, kCust1, kAna, {})}) << describe(d);

    ProfileMap after = profiles({prof(1, 100, kCust1, kAna, {})});
    Decision again = run(Ev(p).ext(kCust1).email(kAna), after);
    EXPECT_EQ(oname(again.outcome), "matched") << describe(again);
}

TEST(RulesOverride, ValueThatArrivedByAMergeInTheSameEventIsDetached) {
    // api: hint names Carla's email profile (older); the external id is held
    // by her phone profile, which merges in and brings its phone; then the
    // event's new phone replaces it. The detach names the merged value, which
    // the Postgres layer finds wherever the merge put it.
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {}), prof(2, 200, kCust1, {}, kPhoneA)});
    Decision d = run(Ev(api()).hint(1).ext(kCust1).email(kAna).phone(kPhoneB), ps);
    EXPECT_EQ(merges(d), V{M(1, 2)}) << describe(d);
    EXPECT_EQ(detaches(d), V{D(kPhone, kPhoneA, 1)}) << describe(d);
    EXPECT_EQ(attaches(d), V{A(kPhone, kPhoneB, 1)}) << describe(d);
    EXPECT_EQ(changed(d), V{P(1, kCust1, kAna, kPhoneB)}) << describe(d);
}

TEST(RulesSubject, LaterOwnerHoldingAValueOfTheFirstKindIsSkipped) {
    // External id is new. The email's owner (1) already has another external
    // id, so it cannot be the subject; the phone's owner (2) has none.
    ProfileMap ps = profiles({prof(1, 100, kCust2, kAna, {}), prof(2, 200, {}, {}, kPhoneA)});
    Decision d = run(Ev(checkout()).ext(kCust1).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(2)) << describe(d);
    EXPECT_FALSE(d.create_profile) << describe(d);
    EXPECT_EQ(oname(d.outcome), "conflict") << describe(d);
    EXPECT_EQ(attaches(d), V{A(kExt, kCust1, 2)}) << describe(d);
    EXPECT_TRUE(d.merges.empty()) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Attached, kExt, kCust1), W(Action::Conflict, kEmail, kAna, 1)}));
    EXPECT_EQ(changed(d), V{P(2, kCust1, {}, kPhoneA)}) << describe(d);
}

TEST(RulesSubject, FirstEligibleLaterOwnerInIdentifyByOrder) {
    // Both later owners hold no external id: the email's owner comes first in
    // identify_by; the phone's owner then conflicts (checkout never merges).
    ProfileMap ps = profiles({prof(1, 300, {}, kAna, {}), prof(2, 100, {}, {}, kPhoneA)});
    Decision d = run(Ev(checkout()).ext(kCust1).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(1)) << describe(d);
    EXPECT_EQ(oname(d.outcome), "conflict") << describe(d);
    EXPECT_EQ(attaches(d), V{A(kExt, kCust1, 1)}) << describe(d);
    EXPECT_TRUE(d.merges.empty()) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Attached, kExt, kCust1), W(Action::Conflict, kPhone, kPhoneA, 2)}));
    EXPECT_EQ(changed(d), V{P(1, kCust1, kAna, {})}) << describe(d);
}

TEST(RulesSubject, NoEligibleOwnerCreatesNewProfile) {
    // Email is new; the phone's owner already has another email: a new
    // profile, and the phone stays with its owner (conflict beats created).
    ProfileMap ps = profiles({prof(2, 100, {}, kBob, kPhoneA)});
    Decision d = run(Ev(form()).email(kAna).phone(kPhoneA), ps);
    EXPECT_TRUE(d.create_profile) << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(kNewProfile)) << describe(d);
    EXPECT_EQ(oname(d.outcome), "conflict") << describe(d);
    EXPECT_EQ(attaches(d), V{A(kEmail, kAna, kNewProfile)}) << describe(d);
    EXPECT_TRUE(d.merges.empty()) << describe(d);
    EXPECT_TRUE(d.detaches.empty()) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Attached, kEmail, kAna), W(Action::Conflict, kPhone, kPhoneA, 2)}));
    EXPECT_EQ(changed(d), V{P(kNewProfile, {}, kAna, {})}) << describe(d);
}

TEST(RulesSubject, AllNewIdentifiersCreateOneProfileHoldingThemAll) {
    ProfileMap ps;
    Decision d = run(Ev(api()).ext(kCust1).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "created") << describe(d);
    EXPECT_TRUE(d.create_profile) << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(kNewProfile)) << describe(d);
    EXPECT_EQ(attaches(d), (V{A(kExt, kCust1, kNewProfile), A(kEmail, kAna, kNewProfile),
                              A(kPhone, kPhoneA, kNewProfile)}))
        << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Attached, kExt, kCust1), W(Action::Attached, kEmail, kAna),
                              W(Action::Attached, kPhone, kPhoneA)}));
    EXPECT_EQ(changed(d), V{P(kNewProfile, kCust1, kAna, kPhoneA)}) << describe(d);
    EXPECT_TRUE(d.merges.empty());
    EXPECT_TRUE(d.detaches.empty());
    EXPECT_TRUE(d.consents.empty());
}

TEST(RulesSubject, AcceptedHintIsTheSubject) {
    // The hint comes first in api's identify_by: it is the subject and gets
    // the new email.
    ProfileMap ps = profiles({prof(7, 100, {}, {}, kPhoneA)});
    Decision d = run(Ev(api()).hint(7).email(kAna), ps);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(7)) << describe(d);
    EXPECT_EQ(oname(d.outcome), "updated") << describe(d);
    EXPECT_EQ(attaches(d), V{A(kEmail, kAna, 7)}) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Attached, kEmail, kAna)}));
    EXPECT_EQ(changed(d), V{P(7, {}, kAna, kPhoneA)}) << describe(d);
}

TEST(RulesSubject, HintFollowedToItsSurvivor) {
    // hint_raw names a tombstone; hint_profile is its active survivor.
    ProfileMap ps = profiles({prof(9, 100, {}, kAna, {})});
    Decision d = run(Ev(form()).hint(4, 9).email(kAna), ps);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(9)) << describe(d);
    EXPECT_EQ(oname(d.outcome), "matched") << describe(d);
    expect_nothing_written(d);
    EXPECT_TRUE(d.detail.empty()) << describe(d);
}

TEST(RulesSubject, HintAloneMatches) {
    ProfileMap ps = profiles({prof(4, 100, {}, kAna, {})});
    Decision d = run(Ev(api()).hint(4), ps);
    EXPECT_EQ(oname(d.outcome), "matched") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(4)) << describe(d);
    EXPECT_FALSE(d.apply_properties) << describe(d);
    expect_nothing_written(d);
    EXPECT_TRUE(d.detail.empty()) << describe(d);
}

TEST(RulesSubject, UnknownHintIsIgnoredAndIdentifiersDecide) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {})});
    Decision d = run(Ev(api()).hint(999, std::nullopt).email(kAna), ps);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(1)) << describe(d);
    EXPECT_EQ(oname(d.outcome), "matched") << describe(d);
    expect_nothing_written(d);
    EXPECT_TRUE(detail_is(d, {Loose(Action::Ignored, "profile")}));
}

TEST(RulesSubject, HintNotAcceptedIsIgnoredAndIdentifiersDecide) {
    // checkout does not accept `profile`: the hint (profile 1) is ignored and
    // the phone's owner is the subject; no merge with the hinted profile.
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {}), prof(2, 200, {}, {}, kPhoneA)});
    Decision d = run(Ev(checkout()).hint(1).phone(kPhoneA), ps);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(2)) << describe(d);
    EXPECT_EQ(oname(d.outcome), "matched") << describe(d);
    expect_nothing_written(d);
    EXPECT_TRUE(detail_is(d, {Loose(Action::Ignored, "profile")}));
}

// ===========================================================================
// Step 4: attach, override, conflict

TEST(RulesAttach, UnheldValueOfAMissingKindIsAttached) {
    ProfileMap ps = profiles({prof(3, 100, kCust1, {}, {})});
    Decision d = run(Ev(import_()).ext(kCust1).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "updated") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(3)) << describe(d);
    EXPECT_FALSE(d.create_profile) << describe(d);
    EXPECT_EQ(attaches(d), (V{A(kEmail, kAna, 3), A(kPhone, kPhoneA, 3)})) << describe(d);
    EXPECT_TRUE(d.detaches.empty()) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Attached, kEmail, kAna), W(Action::Attached, kPhone, kPhoneA)}));
    EXPECT_EQ(changed(d), V{P(3, kCust1, kAna, kPhoneA)}) << describe(d);
}

TEST(RulesOverride, AllowedKindReplacesOldValue) {
    // api may override emails.
    ProfileMap ps = profiles({prof(5, 100, kCust1, kBob, {})});
    Decision d = run(Ev(api()).ext(kCust1).email(kAna), ps);
    EXPECT_EQ(oname(d.outcome), "updated") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(5)) << describe(d);
    EXPECT_EQ(detaches(d), V{D(kEmail, kBob, 5)}) << describe(d);
    EXPECT_EQ(attaches(d), V{A(kEmail, kAna, 5)}) << describe(d);
    EXPECT_TRUE(detail_is(d, {Over(kEmail, kAna, kBob)}));
    EXPECT_EQ(changed(d), V{P(5, kCust1, kAna, {})}) << describe(d);
}

TEST(RulesOverride, RefusedKindIsAConflictAndNothingIsAttached) {
    // form may override phones only: a new email for a profile that has one
    // is a conflict; the profile keeps its email.
    ProfileMap ps = profiles({prof(5, 100, {}, kBob, kPhoneA)});
    Decision d = run(Ev(form()).hint(5).email(kAna), ps);
    EXPECT_EQ(oname(d.outcome), "conflict") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(5)) << describe(d);
    expect_nothing_written(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Conflict, kEmail, kAna)}));
}

TEST(RulesSubject, NewFirstKindValueNeverReplacesTheLaterOwnersValue) {
    // checkout: the external id is new and the email's owner holds another
    // external id, so it is not eligible: a new profile; the email stays with
    // its owner (checkout does not merge, and they are incompatible anyway).
    ProfileMap ps = profiles({prof(5, 100, kCust2, kAna, {})});
    Decision d = run(Ev(checkout()).ext(kCust1).email(kAna), ps);
    EXPECT_TRUE(d.create_profile) << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(kNewProfile)) << describe(d);
    EXPECT_EQ(oname(d.outcome), "conflict") << describe(d);
    EXPECT_EQ(attaches(d), V{A(kExt, kCust1, kNewProfile)}) << describe(d);
    EXPECT_TRUE(d.detaches.empty()) << describe(d);
    EXPECT_TRUE(d.merges.empty()) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Attached, kExt, kCust1), W(Action::Conflict, kEmail, kAna, 5)}));
    EXPECT_EQ(changed(d), V{P(kNewProfile, kCust1, {}, {})}) << describe(d);
}

TEST(RulesOverride, ApiOverridesExternalIdOfTheHintedProfile) {
    ProfileMap ps = profiles({prof(5, 100, kCust2, kAna, {})});
    Decision d = run(Ev(api()).hint(5).ext(kCust1), ps);
    EXPECT_EQ(oname(d.outcome), "updated") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(5)) << describe(d);
    EXPECT_EQ(detaches(d), V{D(kExt, kCust2, 5)}) << describe(d);
    EXPECT_EQ(attaches(d), V{A(kExt, kCust1, 5)}) << describe(d);
    EXPECT_TRUE(detail_is(d, {Over(kExt, kCust1, kCust2)}));
    EXPECT_EQ(changed(d), V{P(5, kCust1, kAna, {})}) << describe(d);
}

// ===========================================================================
// Step 4: held by another profile

TEST(RulesMerge, CompatibleProfilesMergeOlderSurvives) {
    // Subject 1 (email, newer) and Q=2 (phone, older): 2 survives and becomes
    // the subject.
    ProfileMap ps = profiles({prof(1, 500, {}, kAna, {}), prof(2, 100, {}, {}, kPhoneA)});
    Decision d = run(Ev(form()).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "merged") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(2)) << describe(d);
    EXPECT_EQ(merges(d), V{M(2, 1)}) << describe(d);
    EXPECT_FALSE(d.create_profile) << describe(d);
    EXPECT_TRUE(d.attaches.empty()) << describe(d);
    EXPECT_TRUE(d.detaches.empty()) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Merged, kPhone, kPhoneA, 2)}));
    ASSERT_EQ(d.detail.size(), 1u);
    EXPECT_EQ(d.detail[0].merge_index, 0) << describe(d);
    EXPECT_EQ(changed(d), V{P(2, {}, kAna, kPhoneA)}) << describe(d);
}

TEST(RulesMerge, SameCreatedAtSmallerIdSurvives) {
    ProfileMap ps = profiles({prof(8, 100, {}, kAna, {}), prof(3, 100, {}, {}, kPhoneA)});
    Decision d = run(Ev(form()).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "merged") << describe(d);
    EXPECT_EQ(merges(d), V{M(3, 8)}) << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(3)) << describe(d);
    EXPECT_EQ(changed(d), V{P(3, {}, kAna, kPhoneA)}) << describe(d);
}

TEST(RulesMerge, CreatedAtComesBeforeId) {
    // Larger id but older: it survives (ids are not ordered by age, DESIGN 8).
    ProfileMap ps = profiles({prof(3, 900, {}, kAna, {}), prof(8, 100, {}, {}, kPhoneA)});
    Decision d = run(Ev(form()).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(merges(d), V{M(8, 3)}) << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(8)) << describe(d);
}

TEST(RulesMerge, SubjectOlderSurvives) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {}), prof(2, 200, {}, {}, kPhoneA)});
    Decision d = run(Ev(import_()).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "merged") << describe(d);
    EXPECT_EQ(merges(d), V{M(1, 2)}) << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(1)) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Merged, kPhone, kPhoneA, 2)}));
    EXPECT_EQ(changed(d), V{P(1, {}, kAna, kPhoneA)}) << describe(d);
}

TEST(RulesMerge, IncompatibleProfilesConflictAndQKeepsTheValue) {
    // Both have a phone, different: no merge even though form merges.
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, kPhoneB), prof(2, 200, {}, {}, kPhoneA)});
    Decision d = run(Ev(form()).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "conflict") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(1)) << describe(d);
    expect_nothing_written(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Conflict, kPhone, kPhoneA, 2)}));
}

TEST(RulesMerge, SourceThatDoesNotMergeConflicts) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {}), prof(2, 200, {}, {}, kPhoneA)});
    Decision d = run(Ev(checkout()).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "conflict") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(1)) << describe(d);
    expect_nothing_written(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Conflict, kPhone, kPhoneA, 2)}));
}

TEST(RulesMerge, CompatibilityCountsValuesAttachedEarlierInTheEvent) {
    // Subject 1 (external id only) gets the new email first; then the phone's
    // owner 2 has another email: incompatible now, so a conflict (a merge
    // would leave one profile with two emails).
    ProfileMap ps = profiles({prof(1, 100, kCust1, {}, {}), prof(2, 200, {}, kBob, kPhoneA)});
    Decision d = run(Ev(api()).ext(kCust1).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "conflict") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(1)) << describe(d);
    EXPECT_TRUE(d.merges.empty()) << describe(d);
    EXPECT_EQ(attaches(d), V{A(kEmail, kAna, 1)}) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Attached, kEmail, kAna), W(Action::Conflict, kPhone, kPhoneA, 2)}));
    EXPECT_EQ(changed(d), V{P(1, kCust1, kAna, {})}) << describe(d);
}

TEST(RulesMerge, AttachBeforeMergeGoesToTheFinalOwner) {
    // Hint 7 (newer) gets the new email, then merges with the phone's older
    // owner 2: the email's final owner is the survivor 2.
    ProfileMap ps = profiles({prof(7, 300, kCust1, {}, {}), prof(2, 100, {}, {}, kPhoneA)});
    Decision d = run(Ev(api()).hint(7).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "merged") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(2)) << describe(d);
    EXPECT_EQ(merges(d), V{M(2, 7)}) << describe(d);
    EXPECT_EQ(attaches(d), V{A(kEmail, kAna, 2)}) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Attached, kEmail, kAna), W(Action::Merged, kPhone, kPhoneA, 2)}));
    EXPECT_EQ(changed(d), V{P(2, kCust1, kAna, kPhoneA)}) << describe(d);
}

TEST(RulesMerge, TwoMergesChainThroughTheSurvivor) {
    // Hint 5 (newest), email held by 1 (oldest), phone held by 3: 1 absorbs
    // 5, then 3; the subject is 1 throughout after the first merge.
    ProfileMap ps = profiles({prof(5, 300, kCust1, {}, {}), prof(1, 100, {}, kAna, {}),
                              prof(3, 200, {}, {}, kPhoneA)});
    Decision d = run(Ev(api()).hint(5).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "merged") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(1)) << describe(d);
    EXPECT_EQ(merges(d), (V{M(1, 5), M(1, 3)})) << describe(d);
    EXPECT_TRUE(d.attaches.empty()) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Merged, kEmail, kAna, 1), W(Action::Merged, kPhone, kPhoneA, 3)}));
    ASSERT_EQ(d.detail.size(), 2u);
    EXPECT_EQ(d.detail[0].merge_index, 0);
    EXPECT_EQ(d.detail[1].merge_index, 1);
    EXPECT_EQ(changed(d), V{P(1, kCust1, kAna, kPhoneA)}) << describe(d);
}

TEST(RulesMerge, SecondIdentifierOfAMergedProfileIsAlreadyHeld) {
    // Q holds both the email and the phone: one merge, then the phone is
    // held by the subject (nothing to do).
    ProfileMap ps = profiles({prof(6, 300, kCust1, {}, {}), prof(2, 100, {}, kAna, kPhoneA)});
    Decision d = run(Ev(api()).hint(6).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "merged") << describe(d);
    EXPECT_EQ(merges(d), V{M(2, 6)}) << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(2)) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Merged, kEmail, kAna, 2)}));
    EXPECT_EQ(changed(d), V{P(2, kCust1, kAna, kPhoneA)}) << describe(d);
}

// ===========================================================================
// Outcome precedence

TEST(RulesOutcome, MergedBeatsConflict) {
    // Hint 1 merges with the email's owner 2; the phone's owner 3 has another
    // email: conflict. The outcome is merged.
    ProfileMap ps = profiles({prof(1, 100, kCust1, {}, {}), prof(2, 200, {}, kAna, {}),
                              prof(3, 300, {}, kBob, kPhoneA)});
    Decision d = run(Ev(api()).hint(1).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "merged") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(1)) << describe(d);
    EXPECT_EQ(merges(d), V{M(1, 2)}) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Merged, kEmail, kAna, 2), W(Action::Conflict, kPhone, kPhoneA, 3)}));
}

TEST(RulesOutcome, ConflictBeatsUpdated) {
    // The email is attached (updated) and the phone conflicts.
    ProfileMap ps = profiles({prof(1, 100, kCust1, {}, {}), prof(2, 200, {}, {}, kPhoneA)});
    Decision d = run(Ev(checkout()).ext(kCust1).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "conflict") << describe(d);
    EXPECT_EQ(attaches(d), V{A(kEmail, kAna, 1)}) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Attached, kEmail, kAna), W(Action::Conflict, kPhone, kPhoneA, 2)}));
}

TEST(RulesOutcome, CreatedBeatsUpdated) {
    ProfileMap ps;
    Decision d = run(Ev(form()).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "created") << describe(d);
    EXPECT_TRUE(d.create_profile);
    EXPECT_EQ(attaches(d), (V{A(kEmail, kAna, kNewProfile), A(kPhone, kPhoneA, kNewProfile)})) << describe(d);
}

TEST(RulesOutcome, UpdatedBeatsMatched) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {})});
    Decision d = run(Ev(form()).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "updated") << describe(d);
}

TEST(RulesOutcome, MatchedWhenEverythingIsAlreadyHeldBySubject) {
    ProfileMap ps = profiles({prof(1, 100, kCust1, kAna, kPhoneA)});
    Decision d = run(Ev(api()).hint(1).ext(kCust1).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "matched") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(1)) << describe(d);
    expect_nothing_written(d);
    EXPECT_TRUE(d.detail.empty()) << describe(d);
    EXPECT_TRUE(d.consents.empty()) << describe(d);
}

TEST(RulesOutcome, RejectedBeatsEverything) {
    // Bad and blocked identifiers, consent and properties: still rejected.
    ProfileMap ps;
    Decision d = run(Ev(form()).invalid(kEmail, "ana@").blocked(kPhone, "+10000000000").sms(true).props(), ps);
    expect_rejected(d);
    ASSERT_GE(d.detail.size(), 2u) << describe(d);
    EXPECT_TRUE(std::any_of(d.detail.begin(), d.detail.end(), [](const DetailEntry& e) {
        return e.action == Action::Invalid && e.kind == "email" && e.value == OptStr("ana@");
    })) << describe(d);
    EXPECT_TRUE(std::any_of(d.detail.begin(), d.detail.end(), [](const DetailEntry& e) {
        return e.action == Action::Blocked && e.kind == "phone" && e.value == OptStr("+10000000000");
    })) << describe(d);
}

// ===========================================================================
// Step 5: consent

TEST(RulesConsent, SmsAndEmailConsentRecordedForTheSubject) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, kPhoneA)});
    Decision d = run(Ev(form()).email(kAna).phone(kPhoneA).sms(true).email_consent(false), ps);
    EXPECT_EQ(oname(d.outcome), "matched") << describe(d);  // consent never changes the outcome
    EXPECT_EQ(consents(d), (V{C(kEmail, kAna, false, 1), C(kPhone, kPhoneA, true, 1)})) << describe(d);
    EXPECT_TRUE(d.detail.empty()) << describe(d);
    expect_nothing_written(d);
}

TEST(RulesConsent, ConsentOnNewProfileNamesTheNewProfile) {
    ProfileMap ps;
    Decision d = run(Ev(sms_keyword()).phone(kPhoneA).sms(true), ps);
    EXPECT_EQ(oname(d.outcome), "created") << describe(d);
    EXPECT_EQ(consents(d), V{C(kPhone, kPhoneA, true, kNewProfile)}) << describe(d);
}

TEST(RulesConsent, ConsentAfterMergeNamesTheSurvivor) {
    ProfileMap ps = profiles({prof(1, 500, {}, kAna, {}), prof(2, 100, {}, {}, kPhoneA)});
    Decision d = run(Ev(form()).email(kAna).phone(kPhoneA).sms(true).email_consent(true), ps);
    EXPECT_EQ(oname(d.outcome), "merged") << describe(d);
    EXPECT_EQ(consents(d), (V{C(kEmail, kAna, true, 2), C(kPhone, kPhoneA, true, 2)})) << describe(d);
}

TEST(RulesConsent, ConsentAfterConflictNamesTheHolder) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {}), prof(2, 200, {}, {}, kPhoneA)});
    Decision d = run(Ev(checkout()).email(kAna).phone(kPhoneA).sms(false).email_consent(true), ps);
    EXPECT_EQ(oname(d.outcome), "conflict") << describe(d);
    EXPECT_EQ(consents(d), (V{C(kEmail, kAna, true, 1), C(kPhone, kPhoneA, false, 2)})) << describe(d);
}

TEST(RulesConsent, ConsentForValueNobodyHoldsAfterRefusedOverride) {
    // form may not override emails: the new email stays unattached, its
    // consent is still a ledger row for the value, held by nobody.
    ProfileMap ps = profiles({prof(5, 100, {}, kBob, {})});
    Decision d = run(Ev(form()).hint(5).email(kAna).email_consent(true), ps);
    EXPECT_EQ(oname(d.outcome), "conflict") << describe(d);
    EXPECT_EQ(consents(d), V{C(kEmail, kAna, true, std::nullopt)}) << describe(d);
}

TEST(RulesConsent, SmsConsentWithoutPhoneIsIgnored) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {})});
    Decision d = run(Ev(form()).email(kAna).sms(true), ps);
    EXPECT_EQ(oname(d.outcome), "matched") << describe(d);
    EXPECT_TRUE(d.consents.empty()) << describe(d);
    EXPECT_TRUE(detail_is(d, {Loose(Action::Ignored, "phone")}));
}

TEST(RulesConsent, EmailConsentWithInvalidEmailIsIgnored) {
    ProfileMap ps = profiles({prof(2, 100, {}, {}, kPhoneA)});
    Decision d = run(Ev(form()).invalid(kEmail, "ana@example").phone(kPhoneA).email_consent(true).sms(true), ps);
    EXPECT_EQ(oname(d.outcome), "matched") << describe(d);
    EXPECT_EQ(consents(d), V{C(kPhone, kPhoneA, true, 2)}) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Invalid, kEmail, "ana@example"), Loose(Action::Ignored, "email")}));
}

TEST(RulesConsent, EmailConsentWithUnacceptedEmailIsIgnored) {
    ProfileMap ps;
    Decision d = run(Ev(sms_keyword()).email(kAna).phone(kPhoneA).email_consent(true), ps);
    EXPECT_EQ(oname(d.outcome), "created") << describe(d);
    EXPECT_TRUE(d.consents.empty()) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Ignored, kEmail, kAna), W(Action::Attached, kPhone, kPhoneA),
                              Loose(Action::Ignored, "email")}));
}

TEST(RulesConsent, SmsConsentWithBlockedPhoneIsIgnored) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {})});
    Decision d = run(Ev(form()).email(kAna).blocked(kPhone, "+10000000000").sms(true), ps);
    EXPECT_EQ(oname(d.outcome), "matched") << describe(d);
    EXPECT_TRUE(d.consents.empty()) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Blocked, kPhone, "+10000000000"), Loose(Action::Ignored, "phone")}));
}

// ===========================================================================
// Step 6: properties

TEST(RulesProperties, AppliedWhenThereIsASubject) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {})});
    Decision d = run(Ev(form()).email(kAna).props(), ps);
    EXPECT_TRUE(d.apply_properties) << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(1)) << describe(d);
    // Whether new properties make it `updated` depends on their values, which
    // the core does not see: matched or updated, nothing else.
    EXPECT_TRUE(d.outcome == Outcome::Matched || d.outcome == Outcome::Updated) << describe(d);
    EXPECT_TRUE(d.attaches.empty() && d.merges.empty() && !d.create_profile) << describe(d);
}

TEST(RulesProperties, AppliedToACreatedProfile) {
    ProfileMap ps;
    Decision d = run(Ev(checkout()).email(kAna).props(), ps);
    EXPECT_EQ(oname(d.outcome), "created") << describe(d);
    EXPECT_TRUE(d.apply_properties) << describe(d);
}

TEST(RulesProperties, AppliedToTheSurvivorOfAMerge) {
    ProfileMap ps = profiles({prof(1, 500, {}, kAna, {}), prof(2, 100, {}, {}, kPhoneA)});
    Decision d = run(Ev(form()).email(kAna).phone(kPhoneA).props(), ps);
    EXPECT_EQ(oname(d.outcome), "merged") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(2)) << describe(d);
    EXPECT_TRUE(d.apply_properties) << describe(d);
}

TEST(RulesProperties, NotAppliedWithoutProperties) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {})});
    Decision d = run(Ev(form()).email(kAna), ps);
    EXPECT_FALSE(d.apply_properties) << describe(d);
    EXPECT_EQ(oname(d.outcome), "matched") << describe(d);
}

TEST(RulesProperties, NotAppliedWhenRejected) {
    ProfileMap ps;
    Decision d = run(Ev(form()).invalid(kPhone, "12").props(), ps);
    expect_rejected(d);
}

// ===========================================================================
// changed_profiles

TEST(RulesChangedProfiles, ConflictAloneChangesNoProfile) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {}), prof(2, 200, {}, {}, kPhoneA)});
    Decision d = run(Ev(checkout()).email(kAna).phone(kPhoneA), ps);
    EXPECT_TRUE(d.changed_profiles.empty()) << describe(d);
}

TEST(RulesChangedProfiles, MergedAwayProfileIsNotWrittenBack) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {}), prof(2, 200, kCust2, {}, kPhoneA)});
    Decision d = run(Ev(form()).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(merges(d), V{M(1, 2)}) << describe(d);
    EXPECT_EQ(changed(d), V{P(1, kCust2, kAna, kPhoneA)}) << describe(d);
}

// ===========================================================================
// DESIGN.md section 4, the nine behaviours

// 1. An email subscriber who later gives a phone number gets it on the same
//    profile; no duplicate.
TEST(RulesBehaviour, B1_EmailSubscriberGivesPhoneSameProfile) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {})});
    Decision d = run(Ev(form()).email(kAna).phone(kPhoneA).sms(true), ps);
    EXPECT_EQ(oname(d.outcome), "updated") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(1)) << describe(d);
    EXPECT_FALSE(d.create_profile) << describe(d);
    EXPECT_TRUE(d.merges.empty()) << describe(d);
    EXPECT_TRUE(d.detaches.empty()) << describe(d);
    EXPECT_EQ(attaches(d), V{A(kPhone, kPhoneA, 1)}) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Attached, kPhone, kPhoneA)}));
    EXPECT_EQ(consents(d), V{C(kPhone, kPhoneA, true, 1)}) << describe(d);
    EXPECT_EQ(changed(d), V{P(1, {}, kAna, kPhoneA)}) << describe(d);
}

// 2. A phone-only profile and an email-only profile are merged by an event
//    that connects the email and the number: a form with both...
TEST(RulesBehaviour, B2_FormWithEmailAndPhoneMergesTheTwoProfiles) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {}), prof(2, 200, {}, {}, kPhoneA)});
    Decision d = run(Ev(form()).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "merged") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(1)) << describe(d);
    EXPECT_EQ(merges(d), V{M(1, 2)}) << describe(d);
    EXPECT_FALSE(d.create_profile) << describe(d);
    EXPECT_TRUE(d.attaches.empty()) << describe(d);
    EXPECT_TRUE(d.detaches.empty()) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Merged, kPhone, kPhoneA, 2)}));
    EXPECT_EQ(changed(d), V{P(1, {}, kAna, kPhoneA)}) << describe(d);
}

// ...or an api event whose profile_hint is the phone-only profile.
TEST(RulesBehaviour, B2_ApiHintOfPhoneProfileWithEmailMerges) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {}), prof(2, 200, {}, {}, kPhoneA)});
    Decision d = run(Ev(api()).hint(2).email(kAna), ps);
    EXPECT_EQ(oname(d.outcome), "merged") << describe(d);
    // The hint is the subject, then the older email profile survives.
    EXPECT_EQ(merges(d), V{M(1, 2)}) << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(1)) << describe(d);
    EXPECT_TRUE(d.attaches.empty()) << describe(d);
    EXPECT_TRUE(detail_is(d, {W(Action::Merged, kEmail, kAna, 1)}));
    EXPECT_EQ(changed(d), V{P(1, {}, kAna, kPhoneA)}) << describe(d);
}

// 3. An SMS-only account identifies profiles by phone alone.
TEST(RulesBehaviour, B3_SmsOnlyAccountIdentifiesByPhoneAlone) {
    ProfileMap ps = profiles({prof(5, 100, {}, {}, kPhoneA)});
    for (const Policy& p : {sms_keyword(), click_to_text(), sms_subscribe_link(), api(), form(),
                            checkout(), import_()}) {
        Decision d = run(Ev(p).phone(kPhoneA).sms(true), ps);
        EXPECT_EQ(oname(d.outcome), "matched") << describe(d);
        EXPECT_EQ(d.subject, std::optional<ProfileId>(5)) << describe(d);
        expect_nothing_written(d);
        EXPECT_TRUE(d.detail.empty()) << describe(d);
        EXPECT_EQ(consents(d), V{C(kPhone, kPhoneA, true, 5)}) << describe(d);
    }
    // A second number is a second person.
    Decision d = run(Ev(sms_keyword()).phone(kPhoneB), ps);
    EXPECT_EQ(oname(d.outcome), "created") << describe(d);
    EXPECT_EQ(changed(d), V{P(kNewProfile, {}, {}, kPhoneB)}) << describe(d);
}

// 4. An SMS opt-in with a new number and no email (sms_keyword, or any
//    source with a phone alone) creates a new phone-only profile, even if that
//    person is an email subscriber.
TEST(RulesBehaviour, B4_SmsOptInWithNewNumberCreatesPhoneOnlyProfile) {
    // Profile 1 (ana, email subscriber, no phone) is this person, but nothing
    // in the event leads to it, so the layer loads no profile.
    ProfileMap ps;
    for (const Policy& p : {sms_keyword(), api(), form(), checkout(), import_(), click_to_text(),
                            sms_subscribe_link()}) {
        Decision d = run(Ev(p).phone(kPhoneA).sms(true), ps);
        EXPECT_EQ(oname(d.outcome), "created") << describe(d);
        EXPECT_TRUE(d.create_profile) << describe(d);
        EXPECT_EQ(d.subject, std::optional<ProfileId>(kNewProfile)) << describe(d);
        EXPECT_EQ(attaches(d), V{A(kPhone, kPhoneA, kNewProfile)}) << describe(d);
        EXPECT_TRUE(d.merges.empty()) << describe(d);
        EXPECT_TRUE(detail_is(d, {W(Action::Attached, kPhone, kPhoneA)}));
        EXPECT_EQ(consents(d), V{C(kPhone, kPhoneA, true, kNewProfile)}) << describe(d);
        EXPECT_EQ(changed(d), V{P(kNewProfile, {}, {}, kPhoneA)}) << describe(d);
    }
}

// 5. Then a checkout with the existing email and the same number, SMS consent
//    given, does not merge the two: conflict, two active profiles, and the
//    number's consent is recorded for the number.
TEST(RulesBehaviour, B5_CheckoutConnectingEmailAndSmsProfileConflicts) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {}), prof(2, 200, {}, {}, kPhoneA)});
    Decision d = run(Ev(checkout()).email(kAna).phone(kPhoneA).sms(true), ps);
    EXPECT_EQ(oname(d.outcome), "conflict") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(1)) << describe(d);
    expect_nothing_written(d);  // no merge: both stay active
    EXPECT_TRUE(detail_is(d, {W(Action::Conflict, kPhone, kPhoneA, 2)}));
    EXPECT_EQ(consents(d), V{C(kPhone, kPhoneA, true, 2)}) << describe(d);
}

// 6. A subscribed customer who checks out with a different number: the new
//    number replaces the old on the profile; the old number is detached.
TEST(RulesBehaviour, B6_CheckoutWithDifferentNumberReplacesIt) {
    ProfileMap ps = profiles({prof(3, 100, {}, kAna, kPhoneB)});
    Decision d = run(Ev(checkout()).email(kAna).phone(kPhoneA).sms(true), ps);
    EXPECT_EQ(oname(d.outcome), "updated") << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(3)) << describe(d);
    EXPECT_FALSE(d.create_profile) << describe(d);
    EXPECT_TRUE(d.merges.empty()) << describe(d);
    EXPECT_EQ(detaches(d), V{D(kPhone, kPhoneB, 3)}) << describe(d);
    EXPECT_EQ(attaches(d), V{A(kPhone, kPhoneA, 3)}) << describe(d);
    EXPECT_TRUE(detail_is(d, {Over(kPhone, kPhoneA, kPhoneB)}));
    EXPECT_EQ(consents(d), V{C(kPhone, kPhoneA, true, 3)}) << describe(d);
    EXPECT_EQ(changed(d), V{P(3, {}, kAna, kPhoneA)}) << describe(d);
}

// 7. With no consent for the new number, the profile's sms_status is no longer
//    subscribed (it follows the number it holds now); the old number's ledger
//    rows are kept: the core writes no consent row at all, for either number.
TEST(RulesBehaviour, B7_NewNumberWithoutConsentWritesNoConsent) {
    ProfileMap ps = profiles({prof(3, 100, {}, kAna, kPhoneB)});
    Decision d = run(Ev(checkout()).email(kAna).phone(kPhoneA), ps);
    EXPECT_EQ(oname(d.outcome), "updated") << describe(d);
    EXPECT_TRUE(d.consents.empty()) << describe(d);
    EXPECT_EQ(detaches(d), V{D(kPhone, kPhoneB, 3)}) << describe(d);
    EXPECT_EQ(attaches(d), V{A(kPhone, kPhoneA, 3)}) << describe(d);
    EXPECT_TRUE(detail_is(d, {Over(kPhone, kPhoneA, kPhoneB)}));
    EXPECT_EQ(changed(d), V{P(3, {}, kAna, kPhoneA)}) << describe(d);
}

// 8. A number added by an SMS keyword or a click-to-text banner makes its own
//    profile when the number is new, and never merges with an email profile.
TEST(RulesBehaviour, B8_KeywordOrClickToTextNeverMergesWithEmailProfile) {
    for (const Policy& p : {sms_keyword(), click_to_text()}) {
        // New number, email of an existing subscriber: ignored, new profile.
        ProfileMap ps = profiles({prof(1, 100, {}, kAna, {})});
        Decision d = run(Ev(p).email(kAna).phone(kPhoneA).sms(true), ps);
        EXPECT_EQ(oname(d.outcome), "created") << describe(d);
        EXPECT_TRUE(d.create_profile) << describe(d);
        EXPECT_EQ(d.subject, std::optional<ProfileId>(kNewProfile)) << describe(d);
        EXPECT_EQ(attaches(d), V{A(kPhone, kPhoneA, kNewProfile)}) << describe(d);
        EXPECT_TRUE(d.merges.empty()) << describe(d);
        EXPECT_TRUE(detail_is(d, {W(Action::Ignored, kEmail, kAna), W(Action::Attached, kPhone, kPhoneA)}));
        EXPECT_EQ(consents(d), V{C(kPhone, kPhoneA, true, kNewProfile)}) << describe(d);
        EXPECT_EQ(changed(d), V{P(kNewProfile, {}, {}, kPhoneA)}) << describe(d);

        // Known number, email of another profile: matched, still no merge.
        ProfileMap ps2 = profiles({prof(1, 100, {}, kAna, {}), prof(2, 200, {}, {}, kPhoneA)});
        Decision d2 = run(Ev(p).email(kAna).phone(kPhoneA), ps2);
        EXPECT_EQ(oname(d2.outcome), "matched") << describe(d2);
        EXPECT_EQ(d2.subject, std::optional<ProfileId>(2)) << describe(d2);
        expect_nothing_written(d2);
        EXPECT_TRUE(detail_is(d2, {W(Action::Ignored, kEmail, kAna)}));
    }
}

// 9. An SMS subscribe link from a campaign makes a new profile even when the
//    event carries the clicking profile as its hint.
TEST(RulesBehaviour, B9_SubscribeLinkIgnoresHintAndCreatesProfile) {
    ProfileMap ps = profiles({prof(1, 100, {}, kAna, {})});
    Decision d = run(Ev(sms_subscribe_link()).hint(1).phone(kPhoneC).sms(true), ps);
    EXPECT_EQ(oname(d.outcome), "created") << describe(d);
    EXPECT_TRUE(d.create_profile) << describe(d);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(kNewProfile)) << describe(d);
    EXPECT_EQ(attaches(d), V{A(kPhone, kPhoneC, kNewProfile)}) << describe(d);
    EXPECT_TRUE(d.merges.empty()) << describe(d);
    EXPECT_TRUE(d.detaches.empty()) << describe(d);
    EXPECT_TRUE(detail_is(d, {Loose(Action::Ignored, "profile"), W(Action::Attached, kPhone, kPhoneC)}));
    EXPECT_EQ(consents(d), V{C(kPhone, kPhoneC, true, kNewProfile)}) << describe(d);
    EXPECT_EQ(changed(d), V{P(kNewProfile, {}, {}, kPhoneC)}) << describe(d);
}

}  // namespace
