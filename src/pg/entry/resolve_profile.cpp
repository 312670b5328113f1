// resolve_profile(account_id, profile_id): the active survivor of any id
// (DESIGN.md section 5), through the same chain walk the triggers use
// (follow_merged_into), so every path gives up on the same bound.
#include "pg/boundary/spi.hpp"
#include "pg/store/table_store.hpp"

PM_FUNCTION(pm_resolve_profile) {
    using namespace pm::pg;
    // STRICT in SQL: both arguments are there.
    const std::int64_t account = PG_GETARG_INT64(0);
    const ProfileId id = PG_GETARG_INT64(1);
    std::optional<ProfileId> survivor;
    {
        SpiScope spi;
        TableStore store(account);
        survivor = store.resolve(id);
    }
    if (!survivor)
        invalid_parameter("profile " + std::to_string(id) + " does not exist in account " +
                          std::to_string(account));
    PG_RETURN_INT64(*survivor);
}
