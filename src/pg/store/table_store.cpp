#include "pg/store/table_store.hpp"
#include "pg/rows/latest_consent.hpp"
#include "pg/resolve/kinds.hpp"
#include "pg/store/saved_state.hpp"
#include "pg/rows/catalog.hpp"

#include "pg/boundary/arrays.hpp"
#include "pg/rows/attached_values.hpp"
#include "pg/rows/cells.hpp"
#include "pg/boundary/datum.hpp"
#include "pg/rows/direct_insert.hpp"
#include "pg/rows/direct_update.hpp"
#include "pg/rows/profile_lock.hpp"

#include <algorithm>

namespace pm::pg {

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

// Rows of one table, each `ncolumns` cells in table order, whose identity
// column (cell `identity`, given as NULL) is drawn from `sequence`.
struct IdentityRows {
    const char* table;
    const char* sequence;
    int ncolumns;
    int identity;
    std::vector<ColumnValue> cells;
};

// Inserts the rows (skipping those whose key `arbiter` already holds, when
// given) and returns, per row, its identity, or nothing when it was skipped.
std::vector<std::optional<std::int64_t>> insert_rows(IdentityRows& rows, const char* arbiter = NULL) {
    const size_t n = rows.cells.size() / rows.ncolumns;
    std::vector<std::int64_t> ids(n);
    std::vector<char> inserted(n);
    const char* returning = rows.cells[rows.identity].name;
    pg_call([&] {
        WriteTarget* t = open_write_target(rows.table, arbiter);
        leave_out_engine_triggers(t, NULL);  // resolved already: not the consents trigger's
        for (size_t i = 0; i < n; ++i)
            inserted[i] = insert_with_identity(t, &rows.cells[i * rows.ncolumns], rows.ncolumns,
                                               rows.identity, rows.sequence, returning, &ids[i]);
        close_write_target(t);
    });
    std::vector<std::optional<std::int64_t>> out(n);
    for (size_t i = 0; i < n; ++i)
        if (inserted[i]) out[i] = ids[i];
    return out;
}

// The identity of a row that must have gone in: only a BEFORE trigger an
// admin added can have skipped it, and the rows would then disagree.
std::int64_t required(const std::optional<std::int64_t>& id, const char* table) {
    if (!id)
        throw SqlError(ERRCODE_TRIGGERED_ACTION_EXCEPTION,
                       std::string("a BEFORE INSERT trigger on profile_merge.") + table +
                           " skipped a row the extension must write");
    return *id;
}

// An identifier row attached now: the cells of IdentityRows for identifiers.
constexpr int kIdentifierColumns = 12;

void add_identifier_row(IdentityRows& rows, std::int64_t account, ColumnValue kind,
                        ColumnValue value, std::int64_t profile, ColumnValue source,
                        std::optional<std::int64_t> event_id, std::optional<std::int64_t> merge_id) {
    const ColumnValue cells[kIdentifierColumns] = {
        int8_cell("account_id", account),
        {"identifier_id", 0, true},  // the identity, drawn when inserted
        kind, value,
        int8_cell("profile_id", profile),
        source,
        int8_cell("event_id", event_id),
        int8_cell("merge_id", merge_id),
        {"attached_at", TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()), false},
        {"detached_at", 0, true},
        {"detach_reason", 0, true},
        {"detached_by_event", 0, true},
    };
    rows.cells.insert(rows.cells.end(), std::begin(cells), std::end(cells));
}

IdentityRows identifier_rows() {
    return {catalog::kIdentifiers, catalog::kIdentifiersIdSequence, kIdentifierColumns, 1, {}};
}

// One row whose cells are all the columns given.
IdentityRows identity_row(const char* table, const char* sequence, int identity,
                          std::vector<ColumnValue> cells) {
    const int ncolumns = static_cast<int>(cells.size());
    return {table, sequence, ncolumns, identity, std::move(cells)};
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
    "SELECT nextval('profile_merge.merges_merge_id_seq'), " PM_SAVED_STATE_SQL("s.") ", "
    PM_SAVED_STATE_SQL("m.") ", m.external_id, m.email, m.phone, m.properties"
    // CROSS JOIN, not a comma: on a Citus shard the statement is rewritten
    // to the shards by the word before each table name (rows/shard_map.cpp).
    "  FROM profiles s CROSS JOIN profiles m"
    " WHERE s.account_id = $1 AND s.profile_id = $2 AND m.account_id = $1 AND m.profile_id = $3",
    {"bigint", "bigint", "bigint"});





}  // namespace

std::vector<Owner> TableStore::find_owners(const std::vector<ValueRef>& values) {
    std::vector<AttachedProbe> probes;
    probes.reserve(values.size());
    for (const ValueRef& v : values) probes.push_back({v.kind, v.value});
    const auto holders = attached_owners(account_, probes);
    std::vector<Owner> owners;
    for (size_t i = 0; i < probes.size(); ++i)
        if (holders[i]) owners.push_back({values[i].kind, *values[i].value, *holders[i]});
    return owners;
}

std::optional<ProfileId> TableStore::resolve(ProfileId id) {
    return follow_merged_into(account_, id, [&](ProfileId p) -> std::optional<std::optional<ProfileId>> {
        Rows rows = merged_into_plan.run({Param::int8(account_), Param::int8(p)});
        std::optional<std::optional<ProfileId>> link;
        if (!rows.empty()) link = rows.optional_int8(0, 0);
        // SPI keeps every result until SPI_finish: a long chain must not
        // pile them up.
        pg_call([] { SPI_freetuptable(SPI_tuptable); });
        return link;
    });
}

// Every attached value of the active profiles, with what orders them: when
// attached, the row id, and, for e-mail and phone values of a kind whose
// limit is above 1, the consent status (one index scan for all of them).
void TableStore::load_held(std::vector<LockedProfile>& locked) {
    std::vector<Holder> holders;
    for (const LockedProfile& lp : locked)
        if (lp.active) holders.push_back({account_, lp.profile.id});
    if (holders.empty()) return;
    const std::vector<AttachedRow> rows = attached_rows_of(holders);
    const AccountKinds& kinds = account_kinds(account_);
    const bool email_ranked = kinds_limit(kinds, Kind::Email) > 1, phone_ranked = kinds_limit(kinds, Kind::Phone) > 1;
    for (LockedProfile& lp : locked) {
        if (!lp.active) continue;
        lp.profile.held_loaded = true;
        for (const AttachedRow& r : rows)
            if (r.profile == lp.profile.id)
                lp.profile.held.push_back({r.kind, r.value, r.attached_at_us, r.identifier_id, false});
    }
    std::vector<ConsentProbe> probes;
    std::vector<core::HeldValue*> targets;
    for (LockedProfile& lp : locked)
        for (core::HeldValue& h : lp.profile.held)
            if ((h.kind == Kind::Email && email_ranked) || (h.kind == Kind::Phone && phone_ranked)) {
                probes.push_back({h.kind, &h.value, false});
                targets.push_back(&h);
            }
    read_latest_consents(account_, probes);
    for (size_t i = 0; i < probes.size(); ++i) targets[i]->subscribed = probes[i].subscribed;
}

std::vector<LockedProfile> TableStore::lock(std::vector<ProfileId> ids, bool held) {
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
    if (held) load_held(out);
    return out;
}

// The primaries of the profile's columns chosen again from its attached
// values (DESIGN.md 4b), `pending` counted as its latest consent (a row
// the consents trigger is about to let in). The caller holds the lock.
void TableStore::refresh_primaries(ProfileId profile, const PendingConsent* pending) {
    std::vector<LockedProfile> locked = lock({profile}, true);
    if (locked.empty() || !locked.front().active) return;
    core::Profile& p = locked.front().profile;
    if (pending)
        for (core::HeldValue& h : p.held)
            if (h.kind == pending->kind && h.value == pending->value) h.subscribed = pending->subscribed;
    core::Profile columns = p;
    for (Kind k : core::kStoredKinds) columns.value(k) = core::primary_value(p.held, k);
    if (columns.external_id != p.external_id || columns.email != p.email || columns.phone != p.phone)
        update_profile(columns, 0);
}

// The rows of every event go in without SQL (direct_insert.hpp).
ProfileId TableStore::create_profile(const core::Profile& c, Datum properties) {
    IdentityRows row = identity_row(catalog::kProfiles, catalog::kProfilesIdSequence, 1, {
        int8_cell("account_id", account_),
        {"profile_id", 0, true},
        optional_text_cell("external_id", c.external_id),
        optional_text_cell("email", c.email),
        optional_text_cell("phone", c.phone),
        {"properties", properties_or_empty(properties), false},
        {"created_at", TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()), false},
        {"updated_at", TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()), false},
        {"merged_into", 0, true},
    });
    return required(insert_rows(row).front(), catalog::kProfiles);
}

void TableStore::delete_profile(ProfileId id) {
    delete_profile_plan.run({Param::int8(account_), Param::int8(id)});
}

// A claim is an insert into identifiers that yields to a row already
// attached with the same value (the unique index identifiers_attached_value,
// as ON CONFLICT DO NOTHING). A lost claim does not stop the others: the
// later values are still claimed (in order, so no new wait can close a
// cycle) and the caller undoes or rolls back all of them.
std::vector<std::int64_t> TableStore::claim_all(const std::vector<core::Attach>& claims,
                                              const std::string& source,
                                              std::optional<std::int64_t> event_id) {
    if (claims.empty()) return {};
    IdentityRows rows = identifier_rows();
    for (const core::Attach& a : claims)
        add_identifier_row(rows, account_, text_cell("kind", core::kind_name(a.kind)),
                           text_cell("value", a.value), a.profile, text_cell("source", source),
                           event_id, std::nullopt);
    std::vector<std::int64_t> claimed;
    for (const auto& id : insert_rows(rows, catalog::kIdentifiersAttachedValue))
        if (id) claimed.push_back(*id);
    return claimed;
}

void TableStore::unclaim(const std::vector<std::int64_t>& ids) {
    if (ids.empty()) return;
    unclaim_plan.run({Param::int8(account_), Param::datum(int8_array(ids))});
}

// Detaches go by primary key (direct_update.hpp): the rows are found
// attached in the indexes first (attached_values.hpp), under the lock of
// the profile that holds them, so nothing else can detach them meanwhile.
void TableStore::detach(Kind kind, const std::string& value, const char* reason,
                      std::optional<std::int64_t> event_id) {
    if (auto id = attached_identifier(account_, kind, value))
        pg_call([&] {
            WriteTarget* t = open_write_target(catalog::kIdentifiers, NULL);
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
        WriteTarget* t = open_write_target(catalog::kIdentifiers, NULL);
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

// The merged profile's attached rows in the order they leave it: every
// value of the forced kinds first, kind by kind (detached as 'forced': not
// copied to the survivor, and cleared from `values` so they do not fill
// its columns), then the rest in identifier id order (as 'merged'), so
// that ids come out as the bulk path's. Returns them with the number of
// forced ones.
std::pair<std::vector<MoveOut>, size_t> rows_leaving(std::int64_t account, ProfileId merged,
                                                     const std::vector<Kind>& forced,
                                                     std::optional<std::string> (&values)[3]) {
    std::vector<MoveOut> out;
    if (forced.empty()) {
        for (std::int64_t id : attached_identifiers_of(account, merged)) out.push_back({id, "merged"});
        return {out, 0};
    }
    const std::vector<AttachedRow> rows = attached_rows_of({Holder{account, merged}});
    for (Kind k : forced) {
        for (const AttachedRow& r : rows)
            if (r.kind == k) out.push_back({r.identifier_id, "forced"});
        if (core::has_column(k)) values[k == Kind::ExternalId ? 0 : k == Kind::Email ? 1 : 2].reset();
    }
    const size_t nforced = out.size();
    for (const AttachedRow& r : rows)
        if (std::find(forced.begin(), forced.end(), r.kind) == forced.end()) out.push_back({r.identifier_id, "merged"});
    return {out, nforced};
}

// The survivor's copies of the detached rows past the first `nforced`
// (forced rows stay detached), as rows of this merge; their ids.
std::vector<std::int64_t> copy_to_survivor(std::int64_t account,
                                           const std::vector<std::optional<DetachedRow>>& detached,
                                           size_t nforced, ProfileId survivor, std::int64_t merge_id) {
    IdentityRows copies = identifier_rows();
    for (size_t i = nforced; i < detached.size(); ++i) {
        if (!detached[i]) continue;
        const DetachedRow& d = *detached[i];
        add_identifier_row(copies, account, text_cell("kind", d.kind), text_cell("value", d.value),
                           survivor, {"source", d.source ? text_datum(d.source) : (Datum) 0, d.source == nullptr},
                           d.has_event_id ? std::optional<std::int64_t>(d.event_id) : std::nullopt,
                           merge_id);
    }
    std::vector<std::int64_t> added;
    if (copies.cells.empty()) return added;
    // The copies go in after the detaches, as a separate statement would
    // (hence the new command id first).
    pg_call([] { CommandCounterIncrement(); });
    for (const auto& id : insert_rows(copies)) added.push_back(required(id, catalog::kIdentifiers));
    return added;
}

}  // namespace

// A merge in four steps: the saved states for unmerge, the merged
// profile's rows detached, their copies attached to the survivor, then the
// two profile rows and the merges row.
std::int64_t TableStore::merge(ProfileId survivor, ProfileId merged, std::optional<std::int64_t> event_id,
                               const std::string& reason, const std::vector<Kind>& forced) {
    Rows snap = merge_snapshot_plan.run(
        {Param::int8(account_), Param::int8(survivor), Param::int8(merged)});
    if (snap.size() != 1) throw SqlError(ERRCODE_INTERNAL_ERROR, "profiles to merge not found");
    const std::int64_t merge_id = snap.int8(0, 0);
    const Datum survivor_before = snap.datum(0, 1), merged_before = snap.datum(0, 2);
    std::optional<std::string> m_value[3] = {snap.text(0, 3), snap.text(0, 4), snap.text(0, 5)};
    const Datum m_properties = snap.datum(0, 6);

    const auto [leaving, nforced] = rows_leaving(account_, merged, forced, m_value);
    const std::vector<std::optional<DetachedRow>> detached = detach_for_merge(account_, leaving, event_id);
    std::vector<std::int64_t> moved;
    for (const auto& d : detached)
        if (d) moved.push_back(d->identifier_id);
    const std::vector<std::int64_t> added = copy_to_survivor(account_, detached, nforced, survivor, merge_id);

    const ColumnValue fill[3] = {optional_text_cell("external_id", m_value[0]),
                                 optional_text_cell("email", m_value[1]),
                                 optional_text_cell("phone", m_value[2])};
    const ColumnValue log[] = {
        int8_cell("merge_id", merge_id),
        int8_cell("account_id", account_),
        int8_cell("survivor_id", survivor),
        int8_cell("merged_id", merged),
        int8_cell("event_id", event_id),
        text_cell("reason", reason),
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
        insert_row(catalog::kMerges, log, static_cast<int>(std::size(log)), NULL);
    });
    return merge_id;
}


bool TableStore::update_profile(const core::Profile& c, Datum properties) {
    const ProfileChange change = {optional_text_cell("external_id", c.external_id),
                                  optional_text_cell("email", c.email),
                                  optional_text_cell("phone", c.phone), properties};
    return pg_call([&] { return update_profile_row(account_, c.id, change); });
}

void TableStore::record_consent(Kind kind, const std::string& value, bool subscribed,
                              const std::string& source, const char* method, Datum recorded_at,
                              std::optional<std::int64_t> event_id, std::optional<ProfileId> profile) {
    IdentityRows row = identity_row(catalog::kConsents, catalog::kConsentsIdSequence, 0, {
        {"consent_id", 0, true},
        int8_cell("account_id", account_),
        text_cell("channel", kind == Kind::Phone ? "sms" : "email"),
        text_cell("value", value),
        text_cell("status", subscribed ? "subscribed" : "unsubscribed"),
        text_cell("source", source),
        {"method", method ? text_datum(method) : (Datum) 0, method == nullptr},
        {"recorded_at",
         recorded_at ? recorded_at : TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()), false},
        int8_cell("event_id", event_id),
        int8_cell("profile_id", profile),
    });
    insert_rows(row);
}

}  // namespace pm::pg
