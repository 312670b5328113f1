// The Store of profile_merge.ingest(): the profiles and identifiers one batch
// of staged events touches, loaded from the tables up front, changed in
// memory by the same resolve_event the triggers run, and written back in
// bulk. Ids come from the tables' own sequences, in the order the triggers
// would draw them, so the result is the same as feeding the events one by
// one (the ingest holds the tables locked against other writers).
#pragma once

#include "pg/attached_values.hpp"
#include "pg/store.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
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
    MemoryStore(IdCounters& ids, std::int64_t now_us, Datum now, MemoryContext batch_context);

    void set_account(std::int64_t account) { account_ = account; }

    // The tables are locked against other writers for the whole ingest.
    bool concurrent() const override { return false; }

    // Loads what the batch's events can reach: the owners of their values,
    // the profiles their hints lead to, and every attached identifier of
    // those profiles.
    void load(const std::vector<BatchKey>& values,
              const std::vector<std::pair<std::int64_t, ProfileId>>& hints);

    // Writes the batch's changes (inserts and updates of profiles,
    // identifiers, merges and consents) and forgets everything.
    void flush();

    std::vector<Owner> find_owners(const std::optional<std::string>& external_id,
                                   const std::optional<std::string>& email,
                                   const std::optional<std::string>& phone) override;
    std::optional<ProfileId> resolve(ProfileId id) override;
    std::vector<LockedProfile> lock(std::vector<ProfileId> ids) override;
    ProfileId create_profile(const core::Profile& columns, Datum properties) override;
    void delete_profile(ProfileId id) override;
    std::optional<std::int64_t> claim(Kind kind, const std::string& value, ProfileId profile,
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
    static std::string value_key(std::int64_t account, Kind kind, const std::string& value);

    Profile* find(ProfileId id);
    Profile& get(ProfileId id);
    Snapshot snapshot(const Profile& p) const;
    Datum concat(Datum a, Datum b) const;  // a || b, in the batch context
    void attach_row(Identifier row);
    void detach_row(std::size_t index, const char* reason, std::optional<std::int64_t> event_id);
    void load_profiles(std::vector<ProfileKey> keys);
    void load_identifiers_of(const std::vector<ProfileKey>& keys);

    IdCounters& ids_;
    const std::int64_t now_us_;
    const Datum now_;
    MemoryContext batch_context_;
    std::int64_t account_ = 0;

    std::map<ProfileKey, Profile> profiles_;
    std::vector<Identifier> identifiers_;
    std::unordered_map<std::string, std::size_t> attached_;  // value key -> identifiers_ index
    std::vector<MergeRow> merges_;
    std::vector<ConsentRow> consents_;
};

}  // namespace pm::pg
