// merge_profiles(): the manual merge of DESIGN.md section 5, through the same
// Store::merge the triggers use.
#include "pg/resolve/kinds.hpp"
#include "pg/resolve/resolve_event.hpp"
#include "pg/boundary/spi.hpp"
#include "pg/rows/shard_map.hpp"
#include "pg/store/table_store.hpp"

#include <algorithm>

namespace {

using namespace pm;
using namespace pm::pg;
using core::Kind;
using core::ProfileId;

std::int64_t int8_arg(FunctionCallInfo fcinfo, int n, const char* name) {
    if (PG_ARGISNULL(n)) invalid_parameter(std::string(name) + " must not be null");
    return PG_GETARG_INT64(n);
}

ProfileId active_profile(Store& store, std::int64_t account, ProfileId id) {
    auto survivor = store.resolve(id);
    if (!survivor)
        invalid_parameter("profile " + std::to_string(id) + " does not exist in account " +
                          std::to_string(account));
    return *survivor;
}

// The kinds whose values differ between the two (every limit at 1).
std::vector<Kind> clashing_columns(const core::Profile& survivor, const core::Profile& merged) {
    std::vector<Kind> clashes;
    for (Kind k : core::kStoredKinds)
        if (survivor.value(k) && merged.value(k) && survivor.value(k) != merged.value(k)) clashes.push_back(k);
    return clashes;
}

// The kinds whose distinct values together exceed the account's limit
// (DESIGN.md 4b), in the order of identifier_kinds.
std::vector<Kind> clashing_kinds(const core::Profile& survivor, const core::Profile& merged,
                                 std::int64_t account) {
    std::vector<Kind> clashes;
    for (const core::KindLimit& l : account_kinds(account).limits) {
        std::vector<const std::string*> values;
        for (const core::Profile* p : {&survivor, &merged})
            for (const core::HeldValue& h : p->held)
                if (h.kind == l.kind && std::none_of(values.begin(), values.end(),
                                                     [&](const std::string* v) { return *v == h.value; }))
                    values.push_back(&h.value);
        if (static_cast<int>(values.size()) > l.max_per_profile) clashes.push_back(l.kind);
    }
    return clashes;
}

}  // namespace

PM_FUNCTION(pm_merge_profiles) {
    const std::int64_t account = int8_arg(fcinfo, 0, "account_id");
    const ProfileId a = int8_arg(fcinfo, 1, "a"), b = int8_arg(fcinfo, 2, "b");
    // Every admin function refuses a NULL argument with 22023 naming it
    // (README, "Functions for admins"), rather than reading it as a default.
    if (PG_ARGISNULL(3)) invalid_parameter("reason must not be null");
    if (PG_ARGISNULL(4)) invalid_parameter("force must not be null");
    const std::string reason(text_arg(fcinfo, 3));
    const bool force = PG_GETARG_BOOL(4);

    std::int64_t merge_id = 0;
    {
        SpiScope spi;
        ShardScope shards(account, "merge_profiles");  // delegated by Citus: this node's shards
        TableStore store(account);
        for (int attempt = 0;; ++attempt) {
            const ProfileId pa = active_profile(store, account, a), pb = active_profile(store, account, b);
            if (pa == pb)
                invalid_parameter(a == b ? "cannot merge profile " + std::to_string(a) + " with itself"
                                         : "profiles " + std::to_string(a) + " and " + std::to_string(b) +
                                               " are already the same profile (" + std::to_string(pa) + ")");
            const bool held = account_kinds(account).needs_held;
            auto locked = store.lock({pa, pb}, held);
            if (locked.size() != 2 || !locked[0].active || !locked[1].active) {
                if (attempt < 10) continue;  // merged concurrently: resolve again
                throw SqlError(ERRCODE_T_R_SERIALIZATION_FAILURE, "profiles keep changing; retry");
            }
            const core::Profile& first = locked[0].profile;
            const core::Profile& second = locked[1].profile;
            const bool first_older = std::make_pair(first.created_at, first.id) <
                                     std::make_pair(second.created_at, second.id);
            const core::Profile& survivor = first_older ? first : second;
            const core::Profile& merged = first_older ? second : first;

            const std::vector<Kind> clashes = held ? clashing_kinds(survivor, merged, account)
                                                   : clashing_columns(survivor, merged);
            if (!clashes.empty() && !force) {
                std::string kinds;
                for (Kind k : clashes) kinds += (kinds.empty() ? "" : ", ") + std::string(core::kind_name(k));
                throw SqlError(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE,
                               "profiles " + std::to_string(survivor.id) + " and " +
                                   std::to_string(merged.id) + " are incompatible (different " + kinds + ")",
                               {}, "Pass force => true to detach the merged profile's clashing identifiers.");
            }
            merge_id = store.merge(survivor.id, merged.id, std::nullopt, reason, clashes);
            // The survivor's columns as the rules choose them from all its
            // values now (a merged value may be subscribed, or more recent).
            if (held) store.refresh_primaries(survivor.id);
            break;
        }
    }
    PG_RETURN_INT64(merge_id);
}
