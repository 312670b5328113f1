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

// Detaches go by primary key: the rows are found attached in the indexes
// first (attached_values.hpp), under the lock of the profile that holds
// them, so nothing else can detach them meanwhile. No "detached_at IS NULL"
// here on purpose: that condition lets the planner pick a partial index led
// by account_id alone over the primary key when the table has no statistics
// (seen: a scan of the whole account per detach).
Plan detach_plan(
    "UPDATE identifiers SET detached_at = now(), detach_reason = $3, detached_by_event = $4"
    " WHERE account_id = $1 AND identifier_id = $2"
    " RETURNING identifier_id, kind, value, source, event_id",
    {"bigint", "bigint", "text", "bigint"});

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

Plan move_in_plan(
    "INSERT INTO identifiers (account_id, kind, value, profile_id, source, event_id, merge_id)"
    " SELECT $1, k, v, $2, s, e, $3"
    "   FROM unnest($4::text[], $5::text[], $6::text[], $7::bigint[]) AS m(k, v, s, e)"
    " RETURNING identifier_id",
    {"bigint", "bigint", "bigint", "text[]", "text[]", "text[]", "bigint[]"});

Plan log_merge_plan(
    "INSERT INTO merges (merge_id, account_id, survivor_id, merged_id, event_id, reason,"
    "                    survivor_before, merged_before, moved_identifiers, added_identifiers)"
    " VALUES ($2, $1, $3, $4, $5, $6, $7, $8, $9, $10)",
    {"bigint", "bigint", "bigint", "bigint", "bigint", "text", "jsonb", "jsonb", "bigint[]",
     "bigint[]"});

Plan absorb_plan(
    "UPDATE profiles SET external_id = coalesce(external_id, $3), email = coalesce(email, $4),"
    "       phone = coalesce(phone, $5), properties = $6 || properties, updated_at = now()"
    " WHERE account_id = $1 AND profile_id = $2",
    {"bigint", "bigint", "text", "text", "text", "jsonb"});

Plan tombstone_plan(
    "UPDATE profiles SET merged_into = $3, external_id = NULL, email = NULL, phone = NULL,"
    "       updated_at = now()"
    " WHERE account_id = $1 AND profile_id = $2",
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

void SpiStore::detach(Kind kind, const std::string& value, const char* reason,
                      std::optional<std::int64_t> event_id) {
    if (auto id = attached_identifier(account_, kind, value))
        detach_plan.run({Param::int8(account_), Param::int8(*id), Param::text(reason), optional_int8(event_id)});
}

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
    // not copied to the survivor nor filled into its columns.
    std::vector<std::int64_t> moved;
    ArrayBuilder kinds = ArrayBuilder::text(), values = ArrayBuilder::text(),
                 sources = ArrayBuilder::text(), event_ids = ArrayBuilder::int8();
    std::optional<std::string> m_value[3] = {m_external_id, m_email, m_phone};
    for (Kind k : forced) {
        const size_t slot = k == Kind::ExternalId ? 0 : k == Kind::Email ? 1 : 2;
        if (!m_value[slot]) continue;
        if (auto id = attached_identifier(account_, k, *m_value[slot])) {
            Rows r = detach_plan.run({Param::int8(account_), Param::int8(*id), Param::text("forced"),
                                      optional_int8(event_id)});
            for (std::uint64_t i = 0; i < r.size(); ++i) moved.push_back(r.int8(i, 0));
        }
        m_value[slot].reset();
    }

    // The rest moves: detached here, copied to the survivor below, in
    // identifier id order so that ids are the same as the bulk path's.
    for (std::int64_t id : attached_identifiers_of(account_, merged)) {
        Rows out = detach_plan.run({Param::int8(account_), Param::int8(id), Param::text("merged"),
                                    optional_int8(event_id)});
        if (out.empty()) continue;
        moved.push_back(out.int8(0, 0));
        kinds.push(out.text(0, 1));
        values.push(out.text(0, 2));
        sources.push(out.text(0, 3));
        event_ids.push(out.is_null(0, 4) ? std::nullopt : std::optional<std::int64_t>(out.int8(0, 4)));
    }
    std::vector<std::int64_t> added;
    if (kinds.size() > 0) {
        Rows in = move_in_plan.run({Param::int8(account_), Param::int8(survivor), Param::int8(merge_id),
                                    Param::datum(kinds.build()), Param::datum(values.build()),
                                    Param::datum(sources.build()), Param::datum(event_ids.build())});
        for (std::uint64_t i = 0; i < in.size(); ++i) added.push_back(in.int8(i, 0));
    }
    tombstone_plan.run({Param::int8(account_), Param::int8(merged), Param::int8(survivor)});
    absorb_plan.run({Param::int8(account_), Param::int8(survivor), Param::text(m_value[0]),
                     Param::text(m_value[1]), Param::text(m_value[2]), Param::datum(m_properties)});
    log_merge_plan.run({Param::int8(account_), Param::int8(merge_id), Param::int8(survivor),
                        Param::int8(merged), optional_int8(event_id), Param::text(reason),
                        Param::datum(survivor_before), Param::datum(merged_before),
                        Param::datum(int8_array(moved)), Param::datum(int8_array(added))});
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
