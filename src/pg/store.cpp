#include "pg/store.hpp"

#include "pg/arrays.hpp"
#include "pg/attached_values.hpp"
#include "pg/datum.hpp"
#include "pg/direct_insert.hpp"
#include "pg/direct_update.hpp"
#include "pg/profile_lock.hpp"

#include <algorithm>

namespace pm::pg {

Param optional_int8(const std::optional<std::int64_t>& v) {
    return v ? Param::int8(*v) : Param::null();
}

namespace {

Datum properties_or_empty(Datum properties) {
    static Datum empty = 0;
    if (properties) return properties;
    if (!empty)
        empty = pg_call([] {
            MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
            Datum d = DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));
            MemoryContextSwitchTo(old);
            return d;
        });
    return empty;
}

ColumnValue int8_column(const char* name, std::int64_t v) { return {name, Int64GetDatum(v), false}; }

ColumnValue int8_column(const char* name, const std::optional<std::int64_t>& v) {
    return {name, v ? Int64GetDatum(*v) : (Datum) 0, !v};
}

ColumnValue text_column(const char* name, std::string_view v) { return {name, text_datum(v), false}; }

ColumnValue optional_text_column(const char* name, const std::optional<std::string>& v) {
    return {name, v ? text_datum(*v) : (Datum) 0, !v};
}

Plan merged_into_plan(
    "SELECT merged_into FROM profiles WHERE account_id = $1 AND profile_id = $2",
    {"bigint", "bigint"});

Plan delete_profile_plan("DELETE FROM profiles WHERE account_id = $1 AND profile_id = $2",
                         {"bigint", "bigint"});

Plan unclaim_plan("DELETE FROM identifiers WHERE account_id = $1 AND identifier_id = ANY ($2)",
                  {"bigint", "bigint[]"});

// One row: the merge's id and both profiles as they were (for unmerge).
Plan merge_snapshot_plan(
    "SELECT nextval('profile_merge.merges_merge_id_seq'), s.before, m.before,"
    "       m.external_id, m.email, m.phone, m.properties"
    "  FROM (SELECT jsonb_build_object('external_id', external_id, 'email', email, 'phone', phone,"
    "                                  'properties', properties, 'updated_at', updated_at) AS before"
    "          FROM profiles WHERE account_id = $1 AND profile_id = $2) s,"
    "       (SELECT jsonb_build_object('external_id', external_id, 'email', email, 'phone', phone,"
    "                                  'properties', properties, 'updated_at', updated_at) AS before,"
    "               external_id, email, phone, properties"
    "          FROM profiles WHERE account_id = $1 AND profile_id = $3) m",
    {"bigint", "bigint", "bigint"});





}  // namespace

std::vector<Owner> SpiStore::find_owners(const std::optional<std::string>& external_id,
                                      const std::optional<std::string>& email,
                                      const std::optional<std::string>& phone) {
    const std::array<AttachedProbe, 3> probes = {AttachedProbe{Kind::ExternalId, &external_id},
                                                 AttachedProbe{Kind::Email, &email},
                                                 AttachedProbe{Kind::Phone, &phone}};
    const auto holders = attached_owners(account_, probes);
    std::vector<Owner> owners;
    for (size_t i = 0; i < probes.size(); ++i)
        if (holders[i]) owners.push_back({probes[i].kind, **probes[i].value, *holders[i]});
    return owners;
}

std::optional<ProfileId> SpiStore::resolve(ProfileId id) {
    // Chains are short (each merge adds one link); the bound only guards
    // against a corrupted cycle.
    for (int hops = 0; hops < 10000; ++hops) {
        Rows rows = merged_into_plan.run({Param::int8(account_), Param::int8(id)});
        if (rows.empty()) return std::nullopt;
        if (rows.is_null(0, 0)) return id;
        id = rows.int8(0, 0);
    }
    throw SqlError(ERRCODE_DATA_CORRUPTED, "merged_into chain of profile " + std::to_string(id) +
                                               " does not end");
}

std::vector<LockedProfile> SpiStore::lock(std::vector<ProfileId> ids) {
    std::vector<LockedProfile> out;
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (ProfileId id : ids) {  // in id order: the lock order of DESIGN.md 6
        std::optional<LockedProfileRow> row = lock_profile_row(account_, id);
        if (!row) continue;
        LockedProfile lp;
        lp.profile.id = row->id;
        lp.profile.external_id = std::move(row->external_id);
        lp.profile.email = std::move(row->email);
        lp.profile.phone = std::move(row->phone);
        lp.active = row->active;
        lp.profile.created_at = row->created_at_us;
        out.push_back(std::move(lp));
    }
    return out;
}

// The one-row writes of every event go in without SQL (direct_insert.hpp).
ProfileId SpiStore::create_profile(const core::Profile& c, Datum properties) {
    const ColumnValue columns[] = {
        int8_column("account_id", account_),
        {"profile_id", 0, true},  // filled in below
        optional_text_column("external_id", c.external_id),
        optional_text_column("email", c.email),
        optional_text_column("phone", c.phone),
        {"properties", properties_or_empty(properties), false},
        {"created_at", TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()), false},
        {"updated_at", TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()), false},
        {"merged_into", 0, true},
    };
    return pg_call([&] {
        ColumnValue row[std::size(columns)];
        std::copy(std::begin(columns), std::end(columns), row);
        row[1] = {"profile_id", Int64GetDatum(next_identity("profiles_profile_id_seq")), false};
        return insert_row("profiles", row, static_cast<int>(std::size(row)), "profile_id");
    });
}

void SpiStore::delete_profile(ProfileId id) {
    delete_profile_plan.run({Param::int8(account_), Param::int8(id)});
}

std::optional<std::int64_t> SpiStore::claim(Kind kind, const std::string& value, ProfileId profile,
                                            const std::string& source,
                                            std::optional<std::int64_t> event_id) {
    const std::vector<std::int64_t> claimed =
        claim_all({core::Attach{kind, value, profile}}, source, event_id);
    if (claimed.empty()) return std::nullopt;
    return claimed.front();
}

std::vector<std::int64_t> Store::claim_all(const std::vector<core::Attach>& claims,
                                           const std::string& source,
                                           std::optional<std::int64_t> event_id) {
    std::vector<std::int64_t> claimed;
    for (const core::Attach& a : claims) {
        auto row = claim(a.kind, a.value, a.profile, source, event_id);
        if (!row) break;
        claimed.push_back(*row);
    }
    return claimed;
}

// A claim is an insert into identifiers that yields to a row already
// attached with the same value (the unique index identifiers_attached_value,
// as ON CONFLICT DO NOTHING). A lost claim does not stop the others: the
// later values are still claimed (in order, so no new wait can close a
// cycle) and the caller undoes or rolls back all of them.
std::vector<std::int64_t> SpiStore::claim_all(const std::vector<core::Attach>& claims,
                                              const std::string& source,
                                              std::optional<std::int64_t> event_id) {
    if (claims.empty()) return {};
    constexpr int kColumns = 12;
    const Datum attached_at = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
    std::vector<std::array<ColumnValue, kColumns>> rows;
    for (const core::Attach& a : claims)
        rows.push_back({int8_column("account_id", account_),
                        {"identifier_id", 0, true},  // filled in below
                        text_column("kind", core::kind_name(a.kind)), text_column("value", a.value),
                        int8_column("profile_id", a.profile), text_column("source", source),
                        int8_column("event_id", event_id), {"merge_id", 0, true},
                        {"attached_at", attached_at, false}, {"detached_at", 0, true},
                        {"detach_reason", 0, true}, {"detached_by_event", 0, true}});
    std::vector<std::int64_t> ids(rows.size());
    std::vector<char> inserted(rows.size());
    pg_call([&] {
        WriteTarget* t = open_write_target("identifiers", "identifiers_attached_value");
        for (size_t i = 0; i < rows.size(); ++i) {
            // Taken before the conflict check, as the column default is.
            rows[i][1].value = Int64GetDatum(next_identity("identifiers_identifier_id_seq"));
            rows[i][1].isnull = false;
            inserted[i] = insert_into(t, rows[i].data(), kColumns, "identifier_id", &ids[i]);
        }
        close_write_target(t);
    });
    std::vector<std::int64_t> claimed;
    for (size_t i = 0; i < rows.size(); ++i)
        if (inserted[i]) claimed.push_back(ids[i]);
    return claimed;
}

void SpiStore::unclaim(const std::vector<std::int64_t>& ids) {
    if (ids.empty()) return;
    unclaim_plan.run({Param::int8(account_), Param::datum(int8_array(ids))});
}

// Detaches go by primary key (direct_update.hpp): the rows are found
// attached in the indexes first (attached_values.hpp), under the lock of
// the profile that holds them, so nothing else can detach them meanwhile.
void SpiStore::detach(Kind kind, const std::string& value, const char* reason,
                      std::optional<std::int64_t> event_id) {
    if (auto id = attached_identifier(account_, kind, value))
        pg_call([&] {
            WriteTarget* t = open_write_target("identifiers", NULL);
            DetachedRow row;
            detach_identifier_row(t, account_, *id, reason, event_id ? &*event_id : NULL, &row);
            close_write_target(t);
        });
}

namespace {

// The identifier rows a merge moves: detached from the merged profile
// (reason 'forced' or 'merged'), in the order given; each as it was, or
// nothing when it was gone.
struct MoveOut {
    std::int64_t id;
    const char* reason;
};

std::vector<std::optional<DetachedRow>> detach_for_merge(std::int64_t account,
                                                         const std::vector<MoveOut>& rows,
                                                         std::optional<std::int64_t> event_id) {
    std::vector<DetachedRow> out(rows.size());
    std::vector<char> found(rows.size());
    pg_call([&] {
        WriteTarget* t = open_write_target("identifiers", NULL);
        for (size_t i = 0; i < rows.size(); ++i)
            found[i] = detach_identifier_row(t, account, rows[i].id, rows[i].reason,
                                             event_id ? &*event_id : NULL, &out[i]);
        close_write_target(t);
    });
    std::vector<std::optional<DetachedRow>> detached(rows.size());
    for (size_t i = 0; i < rows.size(); ++i)
        if (found[i]) detached[i] = out[i];
    return detached;
}

// The copies of the moved rows on the survivor; their new ids.
std::vector<std::int64_t> copy_to_survivor(std::vector<std::array<ColumnValue, 12>>& copies) {
    std::vector<std::int64_t> added(copies.size());
    if (copies.empty()) return added;
    pg_call([&] {
        CommandCounterIncrement();  // after the detaches, as a separate statement would be
        WriteTarget* t = open_write_target("identifiers", NULL);
        for (size_t i = 0; i < copies.size(); ++i) {
            copies[i][1].value = Int64GetDatum(next_identity("identifiers_identifier_id_seq"));
            copies[i][1].isnull = false;
            insert_into(t, copies[i].data(), static_cast<int>(copies[i].size()), "identifier_id",
                        &added[i]);
        }
        close_write_target(t);
    });
    return added;
}

}  // namespace

std::int64_t SpiStore::merge(ProfileId survivor, ProfileId merged, std::optional<std::int64_t> event_id,
                             const std::string& reason, const std::vector<Kind>& forced) {
    Rows snap = merge_snapshot_plan.run(
        {Param::int8(account_), Param::int8(survivor), Param::int8(merged)});
    if (snap.size() != 1) throw SqlError(ERRCODE_INTERNAL_ERROR, "profiles to merge not found");
    const std::int64_t merge_id = snap.int8(0, 0);
    const Datum survivor_before = snap.datum(0, 1), merged_before = snap.datum(0, 2);
    const auto m_external_id = snap.text(0, 3), m_email = snap.text(0, 4), m_phone = snap.text(0, 5);
    const Datum m_properties = snap.datum(0, 6);

    // Forced away: detached, listed as moved (unmerge restores them), and
    // not copied to the survivor nor filled into its columns. The rest
    // moves: detached here, copied to the survivor, in identifier id order
    // so that ids are the same as the bulk path's.
    std::vector<MoveOut> out;
    std::optional<std::string> m_value[3] = {m_external_id, m_email, m_phone};
    for (Kind k : forced) {
        const size_t slot = k == Kind::ExternalId ? 0 : k == Kind::Email ? 1 : 2;
        if (!m_value[slot]) continue;
        if (auto id = attached_identifier(account_, k, *m_value[slot])) out.push_back({*id, "forced"});
        m_value[slot].reset();
    }
    const size_t nforced = out.size();
    for (std::int64_t id : attached_identifiers_of(account_, merged))
        if (std::none_of(out.begin(), out.begin() + nforced, [&](const MoveOut& m) { return m.id == id; }))
            out.push_back({id, "merged"});
    const std::vector<std::optional<DetachedRow>> detached = detach_for_merge(account_, out, event_id);

    std::vector<std::int64_t> moved;
    std::vector<std::array<ColumnValue, 12>> copies;
    const Datum attached_at = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
    for (size_t i = 0; i < detached.size(); ++i) {
        if (!detached[i]) continue;
        const DetachedRow& d = *detached[i];
        moved.push_back(d.identifier_id);
        if (i < nforced) continue;
        copies.push_back({int8_column("account_id", account_), {"identifier_id", 0, true},
                          text_column("kind", d.kind), text_column("value", d.value),
                          int8_column("profile_id", survivor),
                          {"source", d.source ? text_datum(d.source) : (Datum) 0, d.source == nullptr},
                          int8_column("event_id", d.has_event_id ? std::optional<std::int64_t>(d.event_id)
                                                                 : std::nullopt),
                          int8_column("merge_id", merge_id), {"attached_at", attached_at, false},
                          {"detached_at", 0, true}, {"detach_reason", 0, true},
                          {"detached_by_event", 0, true}});
    }
    const std::vector<std::int64_t> added = copy_to_survivor(copies);

    const ColumnValue fill[3] = {optional_text_column("external_id", m_value[0]),
                                 optional_text_column("email", m_value[1]),
                                 optional_text_column("phone", m_value[2])};
    const ColumnValue log[] = {
        int8_column("merge_id", merge_id),
        int8_column("account_id", account_),
        int8_column("survivor_id", survivor),
        int8_column("merged_id", merged),
        int8_column("event_id", event_id),
        text_column("reason", reason),
        {"merged_at", TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()), false},
        {"unmerged_at", 0, true},
        {"survivor_before", survivor_before, false},
        {"merged_before", merged_before, false},
        {"moved_identifiers", int8_array(moved), false},
        {"added_identifiers", int8_array(added), false},
    };
    pg_call([&] {
        tombstone_profile_row(account_, merged, survivor);
        absorb_profile_row(account_, survivor, fill, m_properties);
        insert_row("merges", log, static_cast<int>(std::size(log)), NULL);
    });
    return merge_id;
}

bool SpiStore::update_profile(const core::Profile& c, Datum properties) {
    const ProfileChange change = {optional_text_column("external_id", c.external_id),
                                  optional_text_column("email", c.email),
                                  optional_text_column("phone", c.phone), properties};
    return pg_call([&] { return update_profile_row(account_, c.id, change); });
}

void SpiStore::record_consent(Kind kind, const std::string& value, bool subscribed,
                              const std::string& source, const char* method, Datum recorded_at,
                              std::optional<std::int64_t> event_id, std::optional<ProfileId> profile) {
    const ColumnValue columns[] = {
        {"consent_id", 0, true},  // filled in below
        int8_column("account_id", account_),
        text_column("channel", kind == Kind::Phone ? "sms" : "email"),
        text_column("value", value),
        text_column("status", subscribed ? "subscribed" : "unsubscribed"),
        text_column("source", source),
        {"method", method ? text_datum(method) : (Datum) 0, method == nullptr},
        {"recorded_at",
         recorded_at ? recorded_at : TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()), false},
        int8_column("event_id", event_id),
        int8_column("profile_id", profile),
    };
    pg_call([&] {
        ColumnValue row[std::size(columns)];
        std::copy(std::begin(columns), std::end(columns), row);
        row[0] = {"consent_id", Int64GetDatum(next_identity("consents_consent_id_seq")), false};
        insert_row("consents", row, static_cast<int>(std::size(row)), NULL);
    });
}

}  // namespace pm::pg
