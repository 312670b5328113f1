// The Store of profile_merge.ingest(): the profiles and identifiers the
// staged events touch, loaded from the tables as batches need them, changed
// in memory by the same resolve_event the triggers run, and written back in
// bulk after each batch. Ids come from the tables' own sequences, in the
// order the triggers would draw them, so the result is the same as feeding
// the events one by one.
//
// What it has loaded or written stays known across batches (within a
// memory budget): the ingest holds the tables locked against other
// writers, so after a flush the tables and the store agree on everything
// the store holds, and the next batch reads only values and profiles it
// has not met yet. A backfill meets the same persons again and again; as a
// reload per batch, reading them back was about a sixth of the ingest's
// time (bench/README.md, bulk).
#pragma once

#include "pg/rows/attached_values.hpp"
#include "pg/rows/row_batch.hpp"
#include "pg/store/store.hpp"

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace pm::pg {

// Next values of the extension's id sequences.
struct IdCounters {
    std::int64_t event = 0, profile = 0, identifier = 0, merge = 0, consent = 0;
};

// A key of the batch: an identifier value whose holder is loaded.
using BatchKey = ValueKey;

class MemoryStore final : public Store {
public:
    // Rows' jsonb values live in `store_context` (profiles' properties) and
    // `batch_context` (the rest; reset by the caller after each flush).
    // `budget_bytes` bounds what is kept across batches.
    MemoryStore(IdCounters& ids, std::int64_t now_us, Datum now, MemoryContext batch_context,
                MemoryContext store_context, std::size_t budget_bytes);

    void set_account(std::int64_t account) { account_ = account; }

    // The tables are locked against other writers for the whole ingest.
    bool concurrent() const override { return false; }

    // Loads what the batch's events can reach and the store does not know
    // yet: the owners of their values, the profiles their hints lead to,
    // and every attached identifier of those profiles.
    void load(const std::vector<BatchKey>& values,
              const std::vector<std::pair<std::int64_t, ProfileId>>& hints);

    // Writes the batch's changes (inserts and updates of profiles,
    // identifiers, merges and consents). What is known stays, unless it
    // has grown past the budget: then everything is forgotten.
    void flush();

    // What the store holds now, for the progress report.
    std::size_t known_values() const { return attached_.size() + absent_.size(); }

    std::vector<Owner> find_owners(const std::vector<ValueRef>& values) override;
    std::optional<ProfileId> resolve(ProfileId id) override;
    std::vector<LockedProfile> lock(std::vector<ProfileId> ids, bool held) override;
    ProfileId create_profile(const core::Profile& columns, Datum properties) override;
    void delete_profile(ProfileId id) override;
    std::vector<std::int64_t> claim_all(const std::vector<core::Attach>& claims,
                                        const std::string& source,
                                        std::optional<std::int64_t> event_id) override;
    void unclaim(const std::vector<std::int64_t>& identifier_ids) override;
    void detach(Kind kind, const std::string& value, const char* reason,
                std::optional<std::int64_t> event_id) override;
    std::int64_t merge(ProfileId survivor, ProfileId merged, std::optional<std::int64_t> event_id,
                       const std::string& reason, const std::vector<Kind>& forced = {}) override;
    bool update_profile(const core::Profile& columns, Datum properties) override;
    void record_consent(Kind kind, const std::string& value, bool subscribed,
                        const std::string& source, const char* method, Datum recorded_at,
                        std::optional<std::int64_t> event_id,
                        std::optional<ProfileId> profile) override;

private:
    struct Profile {
        core::Profile columns;
        std::optional<ProfileId> merged_into;
        Datum properties = 0;  // jsonb in the batch context
        Datum updated_at = 0;
        bool stored = false;   // already a row in the table
        bool changed = false;  // needs an insert (new) or an update (stored)
        std::vector<std::size_t> attached;  // indexes into identifiers_
    };
    struct Identifier {
        std::int64_t account, id;
        Kind kind;
        std::string value;
        ProfileId profile;
        std::optional<std::string> source;
        std::optional<std::int64_t> event_id, merge_id;
        std::int64_t attached_at_us = 0;
        bool detached = false;
        std::string detach_reason;
        std::optional<std::int64_t> detached_by_event;
        bool stored = false, changed = false;
    };
    struct Snapshot {
        std::optional<std::string> columns[3];
        Datum properties, updated_at;
    };
    struct MergeRow {
        std::int64_t account, merge_id;
        ProfileId survivor, merged;
        std::optional<std::int64_t> event_id;
        std::string reason;
        Snapshot survivor_before, merged_before;
        std::vector<std::int64_t> moved, added;
    };
    struct ConsentRow {
        std::int64_t account, id;
        std::string channel, value, status, source, method;
        Datum recorded_at;
        std::optional<std::int64_t> event_id;
        std::optional<ProfileId> profile;
    };

    using ProfileKey = std::pair<std::int64_t, ProfileId>;
    struct ProfileKeyHash {
        std::size_t operator()(const ProfileKey& k) const {
            return std::hash<std::int64_t>()(k.first * 1000003 ^ k.second);
        }
    };
    // Valid until the next call.
    const std::string& value_key(std::int64_t account, Kind kind, const std::string& value) const;

    Profile* find(ProfileId id);
    Profile& get(ProfileId id);
    Snapshot snapshot(const Profile& p) const;
    Datum concat(Datum a, Datum b) const;  // a || b, in the batch context
    void set_properties(Profile& p, Datum properties);
    void mark_changed(const ProfileKey& key, Profile& p);
    void mark_changed(std::size_t identifier);
    std::size_t attach_row(Identifier row);  // its index in identifiers_
    void detach_row(std::size_t index, const char* reason, std::optional<std::int64_t> event_id);
    std::vector<ProfileKey> load_profiles(std::vector<ProfileKey> keys);
    void load_identifiers_of(const std::vector<ProfileKey>& keys);
    void write_changes();
    void add_profile_change(BatchRows& rows, const Profile& p) const;
    void add_new_profile(BatchRows& rows, const ProfileKey& key, const Profile& p) const;
    void add_detach(BatchRows& rows, const Identifier& row) const;
    struct DetachCells {
        ColumnValue cells[3];
    };
    DetachCells detach_cells(const Identifier& row) const;
    void add_new_identifier(BatchRows& rows, const Identifier& row) const;
    void add_new_consent(BatchRows& rows, const ConsentRow& c) const;
    void write_merges();
    void forget_all();
    std::size_t estimated_bytes() const;

    IdCounters& ids_;
    const std::int64_t now_us_;
    const Datum now_;
    MemoryContext batch_context_;
    MemoryContext store_context_;
    const std::size_t budget_bytes_;
    std::int64_t account_ = 0;
    mutable std::string key_buffer_;
    bool outgrown_ = false;  // the budget was exceeded once already
    // The latest consent status of e-mail and phone values, by value key:
    // read from the table once, then kept by record_consent (for profiles
    // holding several values of a kind, DESIGN.md 4b).
    std::unordered_map<std::string, bool> subscribed_;
    bool subscribed(Kind kind, const std::string& value);

    std::unordered_map<ProfileKey, Profile, ProfileKeyHash> profiles_;
    // Rows detached in an earlier batch leave free slots for new ones:
    // indexes of rows stay valid as long as the rows are reachable.
    std::vector<Identifier> identifiers_;
    std::vector<std::size_t> free_slots_;
    std::unordered_map<std::string, std::size_t> attached_;  // value key -> identifiers_ index
    std::unordered_set<std::string> absent_;  // value keys known to be attached nowhere
    // Changed since the last flush, in the order they changed (new rows in
    // id order).
    std::vector<ProfileKey> changed_profiles_;
    std::vector<std::size_t> changed_identifiers_;
    std::vector<MergeRow> merges_;
    std::vector<ConsentRow> consents_;
};

}  // namespace pm::pg
