#include "pg/store/memory_store.hpp"
#include "pg/store/saved_state.hpp"
#include "pg/rows/latest_consent.hpp"
#include "pg/resolve/kinds.hpp"
#include "pg/rows/catalog.hpp"

#include "pg/boundary/arrays.hpp"
#include "pg/rows/attached_values.hpp"
#include "pg/rows/cells.hpp"
#include "pg/rows/row_batch.hpp"

#include <algorithm>

namespace pm::pg {

namespace {

// Batch reads. Values and attached identifiers are read from their indexes
// in C (attached_values.hpp), one probe per key: as joins over unnest'ed
// keys the planner chose, on tables without statistics, whole-account scans
// or hash joins that made ingest() slow down as the tables grew. Profiles
// by primary key: each key probed on its own (the LIMIT keeps the LATERAL
// subquery from being pulled up into such a join).
Plan profiles_plan(
    "SELECT p.account_id, p.profile_id, p.external_id, p.email, p.phone, p.merged_into,"
    "       (extract(epoch FROM p.created_at) * 1000000)::bigint, p.properties, p.updated_at"
    "  FROM unnest($1::bigint[], $2::bigint[]) AS q(a, id)"
    " CROSS JOIN LATERAL (SELECT * FROM profiles"
    "                      WHERE account_id = q.a AND profile_id = q.id LIMIT 1) p",
    {"bigint[]", "bigint[]"});

// The merge log, written with SQL (write_merges).
Plan insert_merges_plan(
    "INSERT INTO merges (account_id, merge_id, survivor_id, merged_id, event_id, reason,"
    "                    survivor_before, merged_before, moved_identifiers, added_identifiers)"
    " SELECT a, id, s, m, e, r, " PM_SAVED_STATE_SQL("s_") ", " PM_SAVED_STATE_SQL("m_") ","
    "        moved::bigint[], added::bigint[]"
    "   FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[],"
    "               $7::text[], $8::text[], $9::text[], $10::jsonb[], $11::timestamptz[],"
    "               $12::text[], $13::text[], $14::text[], $15::jsonb[], $16::timestamptz[],"
    "               $17::text[], $18::text[])"
    "        AS u(a, id, s, m, e, r, s_external_id, s_email, s_phone, s_properties, s_updated_at,"
    "             m_external_id, m_email, m_phone, m_properties, m_updated_at, moved, added)"
    "  ORDER BY id",
    {"bigint[]", "bigint[]", "bigint[]", "bigint[]", "bigint[]", "text[]", "text[]", "text[]",
     "text[]", "jsonb[]", "timestamptz[]", "text[]", "text[]", "text[]", "jsonb[]",
     "timestamptz[]", "text[]", "text[]"});

std::string int8_list(const std::vector<std::int64_t>& v) {
    std::string s = "{";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s + "}";
}

}  // namespace

MemoryStore::MemoryStore(IdCounters& ids, std::int64_t now_us, Datum now, MemoryContext batch_context,
                         MemoryContext store_context, std::size_t budget_bytes)
    : ids_(ids),
      now_us_(now_us),
      now_(now),
      batch_context_(batch_context),
      store_context_(store_context),
      budget_bytes_(budget_bytes) {}

// The account's 8 bytes, the kind, the value: written into one buffer
// reused for every look-up, so that asking costs no allocation (it was a
// tenth of ingest()'s time in malloc, free and to_string); the maps copy
// it only to keep it.
const std::string& MemoryStore::value_key(std::int64_t account, Kind kind, const std::string& value) const {
    key_buffer_.assign(reinterpret_cast<const char*>(&account), sizeof account);
    const auto k = static_cast<std::uint16_t>(kind);  // custom kinds go past 255
    key_buffer_.push_back(static_cast<char>(k & 0xff));
    key_buffer_.push_back(static_cast<char>(k >> 8));
    key_buffer_.append(value);
    return key_buffer_;
}

MemoryStore::Profile* MemoryStore::find(ProfileId id) {
    auto it = profiles_.find({account_, id});
    return it == profiles_.end() ? nullptr : &it->second;
}

MemoryStore::Profile& MemoryStore::get(ProfileId id) {
    Profile* p = find(id);
    if (!p) throw SqlError(ERRCODE_INTERNAL_ERROR, "ingest: profile " + std::to_string(id) + " was not loaded");
    return *p;
}

Datum MemoryStore::concat(Datum a, Datum b) const {
    return pg_call([&] {
        MemoryContext old = MemoryContextSwitchTo(batch_context_);
        Datum d = DirectFunctionCall2(jsonb_concat, a, b);
        MemoryContextSwitchTo(old);
        return d;
    });
}

// A profile owns its properties: a copy in the store's context, freed when
// replaced (profiles outlive the batch whose event gave them).
void MemoryStore::set_properties(Profile& p, Datum properties) {
    if (properties == p.properties) return;
    pg_call([&] {
        MemoryContext old = MemoryContextSwitchTo(store_context_);
        Datum copy = PointerGetDatum(DatumGetJsonbPCopy(properties));
        MemoryContextSwitchTo(old);
        if (p.properties) pfree(DatumGetPointer(p.properties));
        p.properties = copy;
    });
}

void MemoryStore::mark_changed(const ProfileKey& key, Profile& p) {
    if (p.changed) return;
    p.changed = true;
    changed_profiles_.push_back(key);
}

void MemoryStore::mark_changed(std::size_t identifier) {
    Identifier& row = identifiers_[identifier];
    if (row.changed) return;
    row.changed = true;
    changed_identifiers_.push_back(identifier);
}

// ---- loading ---------------------------------------------------------------

std::vector<MemoryStore::ProfileKey> MemoryStore::load_profiles(std::vector<ProfileKey> keys) {
    // Follows merged_into until every profile reached is loaded.
    std::vector<ProfileKey> loaded;
    while (!keys.empty()) {
        ArrayBuilder accounts = ArrayBuilder::int8(), ids = ArrayBuilder::int8();
        for (const ProfileKey& k : keys) {
            accounts.push(Int64GetDatum(k.first));
            ids.push(Int64GetDatum(k.second));
        }
        Rows rows = profiles_plan.run({Param::datum(accounts.build()), Param::datum(ids.build())});
        std::vector<ProfileKey> next;
        for (std::uint64_t i = 0; i < rows.size(); ++i) {
            ProfileKey key{rows.int8(i, 0), rows.int8(i, 1)};
            Profile p;
            p.columns.id = key.second;
            p.columns.external_id = rows.text(i, 2);
            p.columns.email = rows.text(i, 3);
            p.columns.phone = rows.text(i, 4);
            if (!rows.is_null(i, 5)) p.merged_into = rows.int8(i, 5);
            p.columns.created_at = rows.int8(i, 6);
            set_properties(p, rows.datum(i, 7));
            p.updated_at = rows.datum(i, 8);
            p.stored = true;
            if (p.merged_into && !profiles_.count({key.first, *p.merged_into}))
                next.push_back({key.first, *p.merged_into});
            if (profiles_.emplace(key, std::move(p)).second) loaded.push_back(key);
        }
        std::sort(next.begin(), next.end());
        next.erase(std::unique(next.begin(), next.end()), next.end());
        keys = std::move(next);
    }
    return loaded;
}

void MemoryStore::load_identifiers_of(const std::vector<ProfileKey>& keys) {
    if (keys.empty()) return;
    std::vector<Holder> profiles;
    profiles.reserve(keys.size());
    for (const ProfileKey& k : keys) profiles.push_back({k.first, k.second});
    for (AttachedRow& r : attached_rows_of(profiles)) {
        Identifier row;
        row.account = r.account;
        row.id = r.identifier_id;
        row.kind = r.kind;
        row.value = std::move(r.value);
        row.profile = r.profile;
        row.source = std::move(r.source);
        row.event_id = r.event_id;
        row.merge_id = r.merge_id;
        row.attached_at_us = r.attached_at_us;
        row.stored = true;
        attach_row(std::move(row));
    }
}

void MemoryStore::load(const std::vector<BatchKey>& values,
                       const std::vector<std::pair<std::int64_t, ProfileId>>& hints) {
    // Every active profile the store holds comes with all its attached
    // identifiers, so a value it does not hold attached is either known
    // to be absent or new to it: only those are looked up.
    std::vector<ProfileKey> wanted;
    for (const ProfileKey& h : hints)
        if (!profiles_.count(h)) wanted.push_back(h);
    std::vector<BatchKey> unknown;
    std::unordered_set<std::string> asked;
    for (const BatchKey& v : values) {
        const std::string& key = value_key(v.account, v.kind, v.value);
        if (attached_.count(key) || absent_.count(key)) continue;
        if (asked.insert(key).second) unknown.push_back(v);
    }
    if (!unknown.empty()) {
        for (const Holder& h : attached_holders(unknown))
            if (!profiles_.count({h.account, h.profile})) wanted.push_back({h.account, h.profile});
    }
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    std::vector<ProfileKey> active;
    for (const ProfileKey& key : load_profiles(wanted))
        if (!profiles_.at(key).merged_into) active.push_back(key);
    load_identifiers_of(active);
    for (const std::string& key : asked)
        if (!attached_.count(key)) absent_.insert(key);
}

// ---- the Store interface ---------------------------------------------------

std::size_t MemoryStore::attach_row(Identifier row) {
    std::size_t index = identifiers_.size();
    if (free_slots_.empty()) {
        identifiers_.push_back(std::move(row));
    } else {
        index = free_slots_.back();
        free_slots_.pop_back();
        identifiers_[index] = std::move(row);
    }
    const Identifier& stored = identifiers_[index];
    const std::string& key = value_key(stored.account, stored.kind, stored.value);
    absent_.erase(key);
    attached_[key] = index;
    auto it = profiles_.find({stored.account, stored.profile});
    if (it != profiles_.end()) it->second.attached.push_back(index);
    return index;
}

void MemoryStore::detach_row(std::size_t index, const char* reason, std::optional<std::int64_t> event_id) {
    Identifier& row = identifiers_[index];
    row.detached = true;
    row.detach_reason = reason;
    row.detached_by_event = event_id;
    mark_changed(index);
    const std::string& key = value_key(row.account, row.kind, row.value);
    attached_.erase(key);
    absent_.insert(key);
    auto& list = profiles_.at({row.account, row.profile}).attached;
    list.erase(std::remove(list.begin(), list.end(), index), list.end());
}

std::vector<Owner> MemoryStore::find_owners(const std::vector<ValueRef>& values) {
    std::vector<Owner> owners;
    for (const ValueRef& v : values) {
        auto it = attached_.find(value_key(account_, v.kind, *v.value));
        if (it != attached_.end()) owners.push_back({v.kind, *v.value, identifiers_[it->second].profile});
    }
    return owners;
}

bool MemoryStore::subscribed(Kind kind, const std::string& value) {
    const std::string& key = value_key(account_, kind, value);
    auto it = subscribed_.find(key);
    if (it != subscribed_.end()) return it->second;
    std::vector<ConsentProbe> probe = {{kind, &value, false}};
    read_latest_consents(account_, probe);
    const bool status = probe.front().subscribed;
    subscribed_.emplace(value_key(account_, kind, value), status);
    return status;
}

std::optional<ProfileId> MemoryStore::resolve(ProfileId id) {
    return follow_merged_into(account_, id, [&](ProfileId at) -> std::optional<std::optional<ProfileId>> {
        const Profile* p = find(at);
        if (!p) return std::nullopt;
        return p->merged_into;
    });
}

std::vector<LockedProfile> MemoryStore::lock(std::vector<ProfileId> ids, bool held) {
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    std::vector<LockedProfile> out;
    for (ProfileId id : ids) {
        Profile* p = find(id);
        if (!p) continue;
        out.push_back({p->columns, !p->merged_into});
        if (!held || p->merged_into) continue;
        // The identifier rows are the values (`columns` keeps the profile's
        // columns only).
        core::Profile& locked = out.back().profile;
        locked.held_loaded = true;
        const AccountKinds& kinds = account_kinds(account_);
        for (std::size_t index : p->attached) {
            const Identifier& row = identifiers_[index];
            core::HeldValue h{row.kind, row.value, row.attached_at_us, row.id, false};
            // The consent orders the values only where a profile may hold several.
            if ((row.kind == Kind::Email || row.kind == Kind::Phone) && kinds_limit(kinds, row.kind) > 1)
                h.subscribed = subscribed(row.kind, row.value);
            locked.held.push_back(std::move(h));
        }
    }
    return out;
}

ProfileId MemoryStore::create_profile(const core::Profile& columns, Datum properties) {
    Profile p;
    p.columns = columns;
    p.columns.held.clear();  // the values are the identifier rows
    p.columns.held_loaded = false;
    p.columns.id = ids_.profile++;
    p.columns.created_at = now_us_;
    set_properties(p, properties ? properties : pg_call([] {
        return DirectFunctionCall1(jsonb_in, CStringGetDatum("{}"));
    }));
    p.updated_at = now_;
    const ProfileId id = p.columns.id;
    const ProfileKey key{account_, id};
    mark_changed(key, profiles_.emplace(key, std::move(p)).first->second);
    return id;
}

void MemoryStore::delete_profile(ProfileId) {
    throw SqlError(ERRCODE_INTERNAL_ERROR, "ingest: a claim cannot be lost in memory");
}

// Nothing else writes meanwhile (ingest() holds the tables), so a claim is
// lost only to a value this load attached already; the first such ends
// the claims, as the caller then retries the event.
std::vector<std::int64_t> MemoryStore::claim_all(const std::vector<core::Attach>& claims,
                                                 const std::string& source,
                                                 std::optional<std::int64_t> event_id) {
    std::vector<std::int64_t> claimed;
    for (const core::Attach& a : claims) {
        if (attached_.count(value_key(account_, a.kind, a.value))) break;
        Identifier row;
        row.account = account_;
        row.id = ids_.identifier++;
        row.kind = a.kind;
        row.value = a.value;
        row.profile = a.profile;
        row.source = source;
        row.event_id = event_id;
        row.attached_at_us = now_us_;
        claimed.push_back(row.id);
        mark_changed(attach_row(std::move(row)));
    }
    return claimed;
}

void MemoryStore::unclaim(const std::vector<std::int64_t>&) {
    throw SqlError(ERRCODE_INTERNAL_ERROR, "ingest: a claim cannot be lost in memory");
}

void MemoryStore::detach(Kind kind, const std::string& value, const char* reason,
                         std::optional<std::int64_t> event_id) {
    auto it = attached_.find(value_key(account_, kind, value));
    if (it != attached_.end()) detach_row(it->second, reason, event_id);
}

// Properties copied into the batch: the profile's own may be replaced
// before the merge row is written.
MemoryStore::Snapshot MemoryStore::snapshot(const Profile& p) const {
    Datum properties = pg_call([&] {
        MemoryContext old = MemoryContextSwitchTo(batch_context_);
        Datum d = PointerGetDatum(DatumGetJsonbPCopy(p.properties));
        MemoryContextSwitchTo(old);
        return d;
    });
    return {{p.columns.external_id, p.columns.email, p.columns.phone}, properties, p.updated_at};
}

std::int64_t MemoryStore::merge(ProfileId survivor_id, ProfileId merged_id,
                                std::optional<std::int64_t> event_id, const std::string& reason,
                                const std::vector<Kind>& forced) {
    if (!forced.empty()) throw SqlError(ERRCODE_INTERNAL_ERROR, "ingest: forced merges are manual only");
    Profile& survivor = get(survivor_id);
    Profile& merged = get(merged_id);
    MergeRow row{account_, ids_.merge++, survivor_id, merged_id, event_id, reason,
                 snapshot(survivor), snapshot(merged), {}, {}};

    std::vector<std::size_t> moving = merged.attached;
    std::sort(moving.begin(), moving.end(),
              [&](std::size_t a, std::size_t b) { return identifiers_[a].id < identifiers_[b].id; });
    for (std::size_t index : moving) {
        Identifier copy = identifiers_[index];
        detach_row(index, "merged", event_id);
        row.moved.push_back(copy.id);
        copy.id = ids_.identifier++;
        copy.profile = survivor_id;
        copy.merge_id = row.merge_id;
        copy.attached_at_us = now_us_;
        copy.detached = false;
        copy.detach_reason.clear();
        copy.detached_by_event.reset();
        copy.stored = false;
        copy.changed = false;
        row.added.push_back(copy.id);
        mark_changed(attach_row(std::move(copy)));
    }
    for (Kind k : core::kStoredKinds)
        if (!survivor.columns.value(k)) survivor.columns.value(k) = merged.columns.value(k);
    set_properties(survivor, concat(merged.properties, survivor.properties));
    survivor.updated_at = now_;
    mark_changed({account_, survivor_id}, survivor);
    for (Kind k : core::kStoredKinds) merged.columns.value(k).reset();
    merged.merged_into = survivor_id;
    merged.updated_at = now_;
    mark_changed({account_, merged_id}, merged);
    merges_.push_back(std::move(row));
    return merges_.back().merge_id;
}

bool MemoryStore::update_profile(const core::Profile& columns, Datum properties) {
    Profile& p = get(columns.id);
    Datum props = properties ? concat(p.properties, properties) : p.properties;
    bool changed = false;
    for (Kind k : core::kStoredKinds)
        if (p.columns.value(k) != columns.value(k)) changed = true;
    if (!changed && properties)
        changed = pg_call([&] { return DatumGetBool(DirectFunctionCall2(jsonb_ne, props, p.properties)); });
    if (!changed) return false;
    for (Kind k : core::kStoredKinds) p.columns.value(k) = columns.value(k);
    set_properties(p, props);
    p.updated_at = now_;
    mark_changed({account_, columns.id}, p);
    return true;
}

void MemoryStore::record_consent(Kind kind, const std::string& value, bool subscribed,
                                 const std::string& source, const char* method, Datum recorded_at,
                                 std::optional<std::int64_t> event_id, std::optional<ProfileId> profile) {
    // Kept for the accounts whose profiles hold several values: the rows
    // reach the table only at the flush.
    if (account_kinds(account_).needs_held) subscribed_[value_key(account_, kind, value)] = subscribed;
    consents_.push_back({account_, ids_.consent++, kind == Kind::Phone ? "sms" : "email", value,
                         subscribed ? "subscribed" : "unsubscribed", source, method, recorded_at,
                         event_id, profile});
}

// ---- writing ---------------------------------------------------------------

void MemoryStore::flush() {
    write_changes();
    for (const ProfileKey& key : changed_profiles_) {
        Profile& p = profiles_.at(key);
        p.stored = true;
        p.changed = false;
    }
    for (std::size_t index : changed_identifiers_) {
        Identifier& row = identifiers_[index];
        row.stored = true;
        row.changed = false;
        // Written, and no longer reachable from any key: the slot is free.
        if (row.detached) free_slots_.push_back(index);
    }
    changed_profiles_.clear();
    changed_identifiers_.clear();
    merges_.clear();
    consents_.clear();
    // Said once, as a NOTICE with what to do about it (as pgvector says when
    // an index build outgrows maintenance_work_mem); each later time at
    // DEBUG1.
    if (estimated_bytes() > budget_bytes_) {
        const std::size_t values = known_values();
        const bool first = !outgrown_;
        outgrown_ = true;
        pg_call([&] {
            if (first)
                ereport(NOTICE,
                        (errmsg("ingest: the %zu values loaded so far no longer fit into "
                                "maintenance_work_mem; from here on they are read again as "
                                "batches need them", values),
                         errhint("Raise maintenance_work_mem for a faster ingest: 1GB holds "
                                 "about 1.5 million identifiers with their profiles.")));
            else
                ereport(DEBUG1, (errmsg("ingest: the %zu values loaded no longer fit into "
                                        "maintenance_work_mem again", values)));
        });
        forget_all();
    }
}

// What the store holds, on the safe side: the C++ containers with their
// strings, nodes and spare capacity (bench/bulk's 1,000,000 events left
// 313,000 attached identifiers and 180,000 profiles in a store that grew
// the backend by about 190 MB: some 600 bytes per identifier with its share
// of profiles), and the profiles' properties.
std::size_t MemoryStore::estimated_bytes() const {
    return identifiers_.size() * 400 + profiles_.size() * 350 + absent_.size() * 150 +
           subscribed_.size() * 150 +
           MemoryContextMemAllocated(store_context_, true);
}

void MemoryStore::forget_all() {
    profiles_ = {};
    identifiers_ = {};
    attached_ = {};
    absent_ = {};
    free_slots_ = {};
    subscribed_ = {};
    pg_call([&] { MemoryContextReset(store_context_); });
}

// The batch's rows, in an order the constraints accept: profiles before
// the identifiers and merges that name them, detaches before the copies
// that take the detached values' places under the unique index.
void MemoryStore::write_changes() {
    BatchRows new_profiles, profile_changes, new_identifiers, detaches, new_consents;
    std::vector<RowKey> changed_keys, detached_keys;
    for (const ProfileKey& key : changed_profiles_) {
        const Profile& p = profiles_.at(key);
        if (p.stored) {
            changed_keys.push_back({key.first, key.second});
            add_profile_change(profile_changes, p);
        } else {
            add_new_profile(new_profiles, key, p);
        }
    }
    for (std::size_t index : changed_identifiers_) {
        const Identifier& row = identifiers_[index];
        if (row.stored) {
            detached_keys.push_back({row.account, row.id});
            add_detach(detaches, row);
        } else {
            add_new_identifier(new_identifiers, row);
        }
    }
    for (const ConsentRow& c : consents_) add_new_consent(new_consents, c);

    pg_call([&] {
        insert_batch(catalog::kProfiles, new_profiles);
        update_batch(catalog::kProfiles, catalog::kProfilesPkey, changed_keys, profile_changes);
        update_batch(catalog::kIdentifiers, catalog::kIdentifiersPkey, detached_keys, detaches);
        insert_batch(catalog::kIdentifiers, new_identifiers);
    });
    write_merges();
    pg_call([&] { insert_batch(catalog::kConsents, new_consents); });
}

// The columns of a profile that a batch may change.
void MemoryStore::add_profile_change(BatchRows& rows, const Profile& p) const {
    const ColumnValue cells[] = {
        optional_text_cell("email", p.columns.email),
        optional_text_cell("phone", p.columns.phone),
        optional_text_cell("external_id", p.columns.external_id),
        datum_cell("properties", p.properties),
        datum_cell("updated_at", p.updated_at),
        int8_cell("merged_into", p.merged_into),
    };
    rows.add(cells);
}

void MemoryStore::add_new_profile(BatchRows& rows, const ProfileKey& key, const Profile& p) const {
    const ColumnValue cells[] = {
        int8_cell("account_id", key.first),
        int8_cell("profile_id", key.second),
        optional_text_cell("email", p.columns.email),
        optional_text_cell("phone", p.columns.phone),
        optional_text_cell("external_id", p.columns.external_id),
        datum_cell("properties", p.properties),
        datum_cell("created_at", now_),
        datum_cell("updated_at", p.updated_at),
        int8_cell("merged_into", p.merged_into),
    };
    rows.add(cells);
}

// The detach columns of an identifier row: what a stored row's update
// sets, and the last columns of a new row.
void MemoryStore::add_detach(BatchRows& rows, const Identifier& row) const {
    const DetachCells cells = detach_cells(row);
    rows.add(cells.cells);
}

MemoryStore::DetachCells MemoryStore::detach_cells(const Identifier& row) const {
    return {{
        row.detached ? datum_cell("detached_at", now_) : null_cell("detached_at"),
        row.detached ? text_cell("detach_reason", row.detach_reason) : null_cell("detach_reason"),
        int8_cell("detached_by_event", row.detached_by_event),
    }};
}

void MemoryStore::add_new_identifier(BatchRows& rows, const Identifier& row) const {
    const ColumnValue cells[] = {
        int8_cell("account_id", row.account),
        int8_cell("identifier_id", row.id),
        text_cell("kind", core::kind_name(row.kind)),
        text_cell("value", row.value),
        int8_cell("profile_id", row.profile),
        optional_text_cell("source", row.source),
        int8_cell("event_id", row.event_id),
        int8_cell("merge_id", row.merge_id),
        datum_cell("attached_at", now_),
    };
    rows.add(cells, detach_cells(row).cells);
}

void MemoryStore::add_new_consent(BatchRows& rows, const ConsentRow& c) const {
    const ColumnValue cells[] = {
        int8_cell("consent_id", c.id),
        int8_cell("account_id", c.account),
        text_cell("channel", c.channel),
        text_cell("value", c.value),
        text_cell("status", c.status),
        text_cell("source", c.source),
        text_cell("method", c.method),
        datum_cell("recorded_at", c.recorded_at ? c.recorded_at : now_),
        int8_cell("event_id", c.event_id),
        int8_cell("profile_id", c.profile),
    };
    rows.add(cells);
}

// The merge log keeps its SQL: its before-images are JSON objects that
// jsonb_build_object renders, and merges are rare next to the other rows.
void MemoryStore::write_merges() {
    auto run = [](Plan& plan, ArrayBuilder* b, int n) {
        if (b[0].size() == 0) return;
        std::vector<Param> params;
        for (int i = 0; i < n; ++i) params.push_back(Param::datum(b[i].build()));
        plan.run(params);
    };
        ArrayBuilder mg[18] = {ArrayBuilder::int8(), ArrayBuilder::int8(), ArrayBuilder::int8(),
                               ArrayBuilder::int8(), ArrayBuilder::int8(), ArrayBuilder::text(),
                               ArrayBuilder::text(), ArrayBuilder::text(), ArrayBuilder::text(),
                               ArrayBuilder::jsonb(), ArrayBuilder::timestamptz(), ArrayBuilder::text(),
                               ArrayBuilder::text(), ArrayBuilder::text(), ArrayBuilder::jsonb(),
                               ArrayBuilder::timestamptz(), ArrayBuilder::text(), ArrayBuilder::text()};
        for (const MergeRow& m : merges_) {
            mg[0].push(Int64GetDatum(m.account));
            mg[1].push(Int64GetDatum(m.merge_id));
            mg[2].push(Int64GetDatum(m.survivor));
            mg[3].push(Int64GetDatum(m.merged));
            mg[4].push(m.event_id);
            mg[5].push_text(m.reason);
            for (int i = 0; i < 3; ++i) mg[6 + i].push(m.survivor_before.columns[i]);
            mg[9].push(m.survivor_before.properties);
            mg[10].push(m.survivor_before.updated_at);
            for (int i = 0; i < 3; ++i) mg[11 + i].push(m.merged_before.columns[i]);
            mg[14].push(m.merged_before.properties);
            mg[15].push(m.merged_before.updated_at);
            mg[16].push_text(int8_list(m.moved));
            mg[17].push_text(int8_list(m.added));
        }
        run(insert_merges_plan, mg, 18);

}

}  // namespace pm::pg
