// The triggers' Store: the tables of one account. It reads through the
// indexes in C (attached_values, profile_lock), writes rows through the
// executor's row-level routines (write_target) and keeps a few SQL
// statements (a merge's snapshot, the undo of a lost claim); every look-up
// is keyed by the account (DESIGN.md section 8). Must be used inside an
// SpiScope.
#pragma once

#include "pg/store/store.hpp"

namespace pm::pg {

class TableStore final : public Store {
public:
    explicit TableStore(std::int64_t account) : account_(account) {}

    bool concurrent() const override { return true; }

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

    // A consent about to be recorded for `value`.
    struct PendingConsent {
        Kind kind;
        std::string value;
        bool subscribed;
    };
    // Chooses the profile's primaries again (a manual merge, a consent row
    // written directly) and writes the columns when they changed.
    void refresh_primaries(ProfileId profile, const PendingConsent* pending = nullptr);

private:
    void load_held(std::vector<LockedProfile>& locked);

    std::int64_t account_;
};

}  // namespace pm::pg
