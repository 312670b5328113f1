// Unit tests of DESIGN.md section 4b (kinds with more than one value), one
// rule each, written from the contract: limits, the least recently attached
// value overridden at the limit, the subject when the lead kind has several
// values, compatibility within limits, the primary by consent then recency,
// custom kinds. The inputs are what the Postgres layer loads for an account
// with a limit above 1: every attached value of a profile (held_loaded).
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "core/rules.hpp"

namespace {

using namespace pm::core;

constexpr Kind kProf = Kind::Profile;
constexpr Kind kExt = Kind::ExternalId;
constexpr Kind kEmail = Kind::Email;
constexpr Kind kPhone = Kind::Phone;

Policy make_policy(std::vector<Kind> identify_by, bool merges, std::vector<Kind> may_override,
                   std::vector<Kind> accepts, std::vector<KindLimit> limits) {
    Policy p;
    p.identify_by = std::move(identify_by);
    p.merges = merges;
    p.may_override = std::move(may_override);
    p.accepts = std::move(accepts);
    p.limits = std::move(limits);
    return p;
}

// The default api and form rows of `sources`, with the account's limits.
Policy api(std::vector<KindLimit> limits) {
    return make_policy({kProf, kExt, kEmail, kPhone}, true, {kEmail, kPhone, kExt},
                       {kProf, kExt, kEmail, kPhone}, std::move(limits));
}
Policy form(std::vector<KindLimit> limits) {
    return make_policy({kProf, kEmail, kPhone}, true, {kPhone}, {kProf, kEmail, kPhone}, std::move(limits));
}

std::vector<KindLimit> emails(int n) { return {{kEmail, n}}; }

// A stored profile and its attached values: (kind, value, attached_at,
// row id, subscribed). Its columns hold each kind's primary, as the
// tables do.
struct V {
    Kind kind;
    std::string value;
    std::int64_t at;
    std::int64_t row;
    bool subscribed = false;
};

Profile prof(ProfileId id, std::int64_t created_at, std::vector<V> values) {
    Profile p;
    p.id = id;
    p.created_at = created_at;
    p.held_loaded = true;
    for (const V& v : values) p.held.push_back({v.kind, v.value, v.at, v.row, v.subscribed});
    for (Kind k : kStoredKinds) p.value(k) = primary_value(p.held, k);
    return p;
}

ProfileMap profiles(std::vector<Profile> ps) {
    ProfileMap m;
    for (Profile& p : ps) m[p.id] = std::move(p);
    return m;
}

// An event whose values' owners are read from the profiles, as the Postgres
// layer reads them (the profile holding the value among all it holds).
struct Ev {
    Event e;
    explicit Ev(Policy p) { e.policy = std::move(p); }
    Ev& add(Kind k, std::string v) {
        EventIdentifier id;
        id.kind = k;
        id.raw = v;
        id.value = std::move(v);
        e.identifiers.push_back(std::move(id));
        return *this;
    }
    Ev& hint(ProfileId id) {
        e.hint_given = true;
        e.hint_raw = id;
        e.hint_profile = id;
        return *this;
    }
    Ev& email_consent(bool v) {
        e.email_consent = v;
        return *this;
    }
};

Decision run(Ev ev, const ProfileMap& ps) {
    for (EventIdentifier& id : ev.e.identifiers)
        for (const auto& [pid, p] : ps)
            for (const HeldValue& h : p.held)
                if (h.kind == id.kind && h.value == id.value) id.owner = pid;
    return decide(ev.e, ps);
}

std::vector<std::string> attaches(const Decision& d) {
    std::vector<std::string> out;
    for (const Attach& a : d.attaches)
        out.push_back(std::string(kind_name(a.kind)) + " " + a.value + " -> " + std::to_string(a.profile));
    return out;
}

std::vector<std::string> detaches(const Decision& d) {
    std::vector<std::string> out;
    for (const Detach& x : d.detaches)
        out.push_back(std::string(kind_name(x.kind)) + " " + x.value + " from " + std::to_string(x.profile));
    return out;
}

const DetailEntry* entry(const Decision& d, Action a) {
    for (const DetailEntry& e : d.detail)
        if (e.action == a) return &e;
    return nullptr;
}

const Profile* changed(const Decision& d, ProfileId id) {
    for (const Profile& p : d.changed_profiles)
        if (p.id == id) return &p;
    return nullptr;
}

using Strings = std::vector<std::string>;

// ---------------------------------------------------------------------------

TEST(Limits, RepeatedValueInAnEventCountsOnce) {
    const ProfileMap ps = profiles({prof(1, 10, {{kEmail, "a@x.example", 1, 1}})});
    const Decision d = run(Ev(form(emails(3))).hint(1).add(kEmail, "b@x.example").add(kEmail, "b@x.example"), ps);
    EXPECT_EQ(attaches(d), (Strings{"email b@x.example -> 1"}));
    EXPECT_EQ(d.outcome, Outcome::Updated);
}

TEST(Limits, NewValuesAttachedWhileBelowTheLimit) {
    const ProfileMap ps = profiles({prof(1, 10, {{kEmail, "a@x.example", 1, 1}})});
    const Decision d =
        run(Ev(form(emails(3))).hint(1).add(kEmail, "b@x.example").add(kEmail, "c@x.example"), ps);
    EXPECT_EQ(attaches(d), (Strings{"email b@x.example -> 1", "email c@x.example -> 1"}));
    EXPECT_TRUE(detaches(d).empty());
    EXPECT_EQ(entry(d, Action::Conflict), nullptr);
}

TEST(Limits, AtTheLimitMayOverrideReplacesTheLeastRecentlyAttached) {
    // b and c were attached at the same time, before a; c has the lower id.
    const ProfileMap ps = profiles({prof(1, 10, {{kEmail, "a@x.example", 30, 2},
                                                 {kEmail, "b@x.example", 20, 9},
                                                 {kEmail, "c@x.example", 20, 7}})});
    const Decision d = run(Ev(api(emails(3))).hint(1).add(kEmail, "d@x.example"), ps);
    EXPECT_EQ(detaches(d), (Strings{"email c@x.example from 1"}));
    EXPECT_EQ(attaches(d), (Strings{"email d@x.example -> 1"}));
    const DetailEntry* e = entry(d, Action::Overridden);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->value, std::optional<std::string>("d@x.example"));
    EXPECT_EQ(e->old_value, std::optional<std::string>("c@x.example"));
}

TEST(Limits, AtTheLimitWithoutMayOverrideIsAConflictNamingTheLimit) {
    const ProfileMap ps = profiles({prof(1, 10, {{kEmail, "a@x.example", 1, 1}, {kEmail, "b@x.example", 2, 2}})});
    const Decision d = run(Ev(form(emails(2))).hint(1).add(kEmail, "c@x.example"), ps);
    EXPECT_EQ(d.outcome, Outcome::Conflict);
    EXPECT_TRUE(attaches(d).empty());
    EXPECT_TRUE(detaches(d).empty());
    const DetailEntry* e = entry(d, Action::Conflict);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->reason, "profile already holds 2 values of email, its limit");
}

TEST(Limits, AtLimitOneTheMessageOfSectionFourIsKept) {
    const ProfileMap ps = profiles({prof(1, 10, {{kEmail, "a@x.example", 1, 1}})});
    const Decision d = run(Ev(form({})).hint(1).add(kEmail, "b@x.example"), ps);
    const DetailEntry* e = entry(d, Action::Conflict);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->reason, "profile already has a different email");
}

TEST(Limits, TwoNewValuesAtLimitOneOverrideInTurn) {
    // An api event with two e-mails for a profile that may hold one: the
    // first replaces the held one, the second the first (never stored).
    const ProfileMap ps = profiles({prof(1, 10, {{kEmail, "a@x.example", 1, 1}})});
    const Decision d = run(Ev(api({})).hint(1).add(kEmail, "b@x.example").add(kEmail, "c@x.example"), ps);
    EXPECT_EQ(detaches(d), (Strings{"email a@x.example from 1"}));
    EXPECT_EQ(attaches(d), (Strings{"email c@x.example -> 1"}));
    ASSERT_NE(changed(d, 1), nullptr);
    EXPECT_EQ(changed(d, 1)->email, std::optional<std::string>("c@x.example"));
}

TEST(Subject, TheFirstValueOfTheLeadKindThatHasAnOwner) {
    // The first e-mail is new, the second is Q's: Q is the subject and gets
    // the new one.
    const ProfileMap ps = profiles({prof(2, 20, {{kEmail, "q@x.example", 1, 1}})});
    const Decision d = run(Ev(form(emails(3))).add(kEmail, "new@x.example").add(kEmail, "q@x.example"), ps);
    EXPECT_EQ(d.subject, std::optional<ProfileId>(2));
    EXPECT_FALSE(d.create_profile);
    EXPECT_EQ(attaches(d), (Strings{"email new@x.example -> 2"}));
}

TEST(Subject, ALaterIdentifiersOwnerWhenItsRoomTakesTheNewValues) {
    const ProfileMap ps = profiles({prof(1, 10, {{kEmail, "a@x.example", 1, 1},
                                                 {kEmail, "b@x.example", 2, 2},
                                                 {kPhone, "+14155550101", 3, 3}})});
    // 2 held + 1 new fit a limit of 3: the phone's owner is the subject
    const Decision fits = run(Ev(form(emails(3))).add(kEmail, "c@x.example").add(kPhone, "+14155550101"), ps);
    EXPECT_EQ(fits.subject, std::optional<ProfileId>(1));
    EXPECT_FALSE(fits.create_profile);
    EXPECT_EQ(attaches(fits), (Strings{"email c@x.example -> 1"}));
    // 2 held + 2 new do not: a new profile, which cannot merge with it
    const Decision full = run(Ev(form(emails(3)))
                                  .add(kEmail, "c@x.example")
                                  .add(kEmail, "d@x.example")
                                  .add(kPhone, "+14155550101"),
                              ps);
    EXPECT_TRUE(full.create_profile);
    EXPECT_EQ(full.outcome, Outcome::Conflict);
    const DetailEntry* e = entry(full, Action::Conflict);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->other_profile, std::optional<ProfileId>(1));
}

TEST(Compatibility, DistinctValuesTogetherWithinTheLimitMerge) {
    const ProfileMap ps = profiles({prof(1, 10, {{kEmail, "a@x.example", 1, 1}, {kEmail, "b@x.example", 2, 2}}),
                                    prof(2, 20, {{kEmail, "c@x.example", 3, 3},
                                                 {kEmail, "d@x.example", 4, 4},
                                                 {kPhone, "+14155550102", 5, 5}})});
    const Decision d = run(Ev(form(emails(5))).add(kEmail, "a@x.example").add(kPhone, "+14155550102"), ps);
    EXPECT_EQ(d.outcome, Outcome::Merged);
    ASSERT_EQ(d.merges.size(), 1u);
    EXPECT_EQ(d.merges[0].survivor, 1);  // the older
    EXPECT_EQ(d.merges[0].merged, 2);
    // the survivor's e-mail is now the most recently attached: one that
    // the merge moved (moved values are attached anew)
    const Profile* s = changed(d, 1);
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(s->email == std::optional<std::string>("c@x.example") ||
                s->email == std::optional<std::string>("d@x.example"));
    EXPECT_EQ(s->phone, std::optional<std::string>("+14155550102"));
}

TEST(Compatibility, DistinctValuesBeyondTheLimitConflict) {
    const ProfileMap ps = profiles({prof(1, 10, {{kEmail, "a@x.example", 1, 1}, {kEmail, "b@x.example", 2, 2}}),
                                    prof(2, 20, {{kEmail, "c@x.example", 3, 3},
                                                 {kEmail, "d@x.example", 4, 4},
                                                 {kPhone, "+14155550102", 5, 5}})});
    const Decision d = run(Ev(form(emails(3))).add(kEmail, "a@x.example").add(kPhone, "+14155550102"), ps);
    EXPECT_EQ(d.outcome, Outcome::Conflict);
    EXPECT_TRUE(d.merges.empty());
    const DetailEntry* e = entry(d, Action::Conflict);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->reason, "profiles are incompatible");
}

TEST(Primary, SubscribedFirstThenMostRecentThenHighestRowId) {
    std::vector<HeldValue> held = {{kEmail, "old@x.example", 1, 1, true},
                                   {kEmail, "new@x.example", 5, 2, false}};
    EXPECT_EQ(primary_value(held, kEmail), std::optional<std::string>("old@x.example"));
    held[0].subscribed = false;
    EXPECT_EQ(primary_value(held, kEmail), std::optional<std::string>("new@x.example"));
    held.push_back({kEmail, "tie@x.example", 5, 3, false});
    EXPECT_EQ(primary_value(held, kEmail), std::optional<std::string>("tie@x.example"));
    EXPECT_EQ(primary_value(held, kPhone), std::nullopt);
}

TEST(Primary, AnAttachedValueBecomesThePrimaryUnlessAnotherIsSubscribed) {
    const ProfileMap plain = profiles({prof(1, 10, {{kEmail, "a@x.example", 1, 1}})});
    const Decision d = run(Ev(form(emails(3))).hint(1).add(kEmail, "b@x.example"), plain);
    ASSERT_NE(changed(d, 1), nullptr);
    EXPECT_EQ(changed(d, 1)->email, std::optional<std::string>("b@x.example"));

    const ProfileMap subscribed = profiles({prof(1, 10, {{kEmail, "a@x.example", 1, 1, true}})});
    const Decision s = run(Ev(form(emails(3))).hint(1).add(kEmail, "b@x.example"), subscribed);
    EXPECT_EQ(attaches(s), (Strings{"email b@x.example -> 1"}));
    EXPECT_EQ(changed(s, 1), nullptr);  // the column keeps the subscribed one
}

TEST(Primary, ConsentInTheEventMakesThatValueThePrimary) {
    const ProfileMap ps = profiles({prof(1, 10, {{kEmail, "a@x.example", 1, 1}, {kEmail, "b@x.example", 2, 2}})});
    ASSERT_EQ(ps.at(1).email, std::optional<std::string>("b@x.example"));
    const Decision d = run(Ev(form(emails(3))).add(kEmail, "a@x.example").email_consent(true), ps);
    EXPECT_EQ(d.outcome, Outcome::Matched);  // consent does not change the outcome
    ASSERT_EQ(d.consents.size(), 1u);
    EXPECT_EQ(d.consents[0].value, "a@x.example");
    ASSERT_NE(changed(d, 1), nullptr);
    EXPECT_EQ(changed(d, 1)->email, std::optional<std::string>("a@x.example"));
}

TEST(CustomKinds, IgnoredUnlessTheSourceAcceptsThem) {
    const Kind anon = intern_kind("anonymous_id");
    const Decision d = run(Ev(form({})).add(anon, "a1f3").add(kEmail, "eve@x.example"), {});
    const DetailEntry* e = entry(d, Action::Ignored);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->kind, "anonymous_id");
    EXPECT_EQ(e->reason, "source does not accept anonymous_id");
    EXPECT_EQ(attaches(d), (Strings{"email eve@x.example -> 0"}));
}

TEST(CustomKinds, AnAnonymousVisitorIsStitchedWhenSheSignsUp) {
    const Kind anon = intern_kind("anonymous_id");
    const Policy web = make_policy({kProf, anon, kEmail}, true, {}, {kProf, anon, kEmail}, {{anon, 3}});
    // she browsed: a profile holding only her anonymous id
    const Decision browsed = run(Ev(web).add(anon, "a1f3"), {});
    EXPECT_TRUE(browsed.create_profile);
    EXPECT_EQ(attaches(browsed), (Strings{"anonymous_id a1f3 -> 0"}));
    // she signs up: the anonymous id finds that profile, which gets her address
    const ProfileMap ps = profiles({prof(7, 70, {{anon, "a1f3", 1, 1}})});
    const Decision signup = run(Ev(web).add(kEmail, "eve@x.example").add(anon, "a1f3"), ps);
    EXPECT_EQ(signup.subject, std::optional<ProfileId>(7));
    EXPECT_FALSE(signup.create_profile);
    EXPECT_EQ(attaches(signup), (Strings{"email eve@x.example -> 7"}));
    ASSERT_NE(changed(signup, 7), nullptr);
    EXPECT_EQ(changed(signup, 7)->email, std::optional<std::string>("eve@x.example"));
    // on another device: a second anonymous id with her address joins her
    const ProfileMap later = profiles({prof(7, 70, {{anon, "a1f3", 1, 1}, {kEmail, "eve@x.example", 2, 2}})});
    const Decision device = run(Ev(web).add(anon, "b7c9").add(kEmail, "eve@x.example"), later);
    EXPECT_EQ(device.subject, std::optional<ProfileId>(7));
    EXPECT_EQ(attaches(device), (Strings{"anonymous_id b7c9 -> 7"}));
}

}  // namespace
