// What the rules read and write for one account: the Store interface.
// TableStore (table_store.hpp) is the triggers' and works on the tables;
// MemoryStore (memory_store.hpp) is the bulk path's.
//
// Locking convention (DESIGN.md section 6): a profile's identifier rows are
// only changed by a transaction holding that profile's row lock, and profile
// rows are locked in id order. New values are claimed through the unique
// index on attached identifiers.
#pragma once

#include "core/rules.hpp"
#include "pg/boundary/spi.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace pm::pg {

using core::Kind;
using core::ProfileId;

struct Owner {
    Kind kind;
    std::string value;
    ProfileId profile;
};

// A value to look up (it outlives the call).
struct ValueRef {
    Kind kind;
    const std::string* value;
};

// The active end of the merged_into chain that starts at `id`. `link(id)`
// reads one profile: nothing when the account has no such profile, else its
// merged_into (itself nothing when the profile is active). An endless
// chain is ERROR XX001.
template <class Link>
std::optional<ProfileId> follow_merged_into(std::int64_t account, ProfileId id, Link link) {
    const ProfileId start = id;
    // A cycle is found when it comes round (chains are short, so the set
    // stays small); the bound holds for whatever else could run long.
    std::unordered_set<ProfileId> seen;
    for (int hops = 0; hops < core::kMaxMergedIntoHops && seen.insert(id).second; ++hops) {
        const std::optional<std::optional<ProfileId>> next = link(id);
        if (!next) return std::nullopt;
        if (!*next) return id;
        id = **next;
    }
    throw SqlError(ERRCODE_DATA_CORRUPTED, "merged_into chain of profile " + std::to_string(start) +
                                               " in account " + std::to_string(account) + " does not end",
                   {}, "An UPDATE of profiles.merged_into made a cycle; set merged_into of one of its "
                       "profiles to NULL.");
}

struct LockedProfile {
    core::Profile profile;
    bool active = false;
};

// What the rules need to read and write. TableStore works on the tables
// (the triggers); MemoryStore works on an in-memory copy
// and writes in bulk at the end (profile_merge.ingest). resolve_event runs
// the same code against either, so both give the same results.
class Store {
public:
    virtual ~Store() = default;

    // True when other transactions may change the rows meanwhile (attempts
    // can fail and be retried).
    virtual bool concurrent() const = 0;

    // Active owners of the given values (those held by nobody are left out).
    virtual std::vector<Owner> find_owners(const std::vector<ValueRef>& values) = 0;

    // The active survivor `id` leads to through merged_into, or nothing when
    // no profile of this account has that id.
    virtual std::optional<ProfileId> resolve(ProfileId id) = 0;

    // Locks the rows FOR UPDATE in id order and returns them (a profile of
    // another account or a missing one is simply absent). With `held`,
    // each active profile comes with every attached value (Profile::held),
    // which the rules need when the account has a limit above 1 or a
    // custom kind.
    virtual std::vector<LockedProfile> lock(std::vector<ProfileId> ids, bool held) = 0;

    // Inserts a profile holding `columns`, with `properties` (jsonb datum or
    // 0 for '{}'); returns its id.
    virtual ProfileId create_profile(const core::Profile& columns, Datum properties) = 0;
    virtual void delete_profile(ProfileId id) = 0;

    // Claims attached (kind, value)s for their profiles (real ids), in the
    // order given ((kind, value) order, DESIGN.md 6), and returns the ids of
    // the rows claimed: all of them, or fewer when another transaction holds
    // a value (after waiting for it to finish). unclaim() removes them.
    virtual std::vector<std::int64_t> claim_all(const std::vector<core::Attach>& claims,
                                                const std::string& source,
                                                std::optional<std::int64_t> event_id) = 0;
    virtual void unclaim(const std::vector<std::int64_t>& identifier_ids) = 0;

    // Detaches the attached (kind, value), whoever holds it (the caller
    // holds that profile's lock).
    virtual void detach(Kind kind, const std::string& value, const char* reason,
                        std::optional<std::int64_t> event_id) = 0;

    // Makes `merged` a tombstone of `survivor`: moves its identifiers (in
    // identifier id order), combines properties (survivor's keys win), fills
    // the survivor's empty identifier columns, and logs a merges row. Returns
    // the merge_id. The values of the `forced` kinds (a forced manual merge)
    // are detached from the merged profile first instead of moving; unmerge
    // gives them back.
    virtual std::int64_t merge(ProfileId survivor, ProfileId merged,
                               std::optional<std::int64_t> event_id, const std::string& reason,
                               const std::vector<Kind>& forced = {}) = 0;

    // Writes identifier columns and merges `properties` (jsonb or 0) into
    // the profile; true when the row changed.
    virtual bool update_profile(const core::Profile& columns, Datum properties) = 0;

    virtual void record_consent(Kind kind, const std::string& value, bool subscribed,
                                const std::string& source, const char* method, Datum recorded_at,
                                std::optional<std::int64_t> event_id,
                                std::optional<ProfileId> profile) = 0;
};

}  // namespace pm::pg
