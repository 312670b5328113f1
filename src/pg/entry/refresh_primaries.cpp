// profile_columns_follow_identifiers(account, profile_ids): each profile's
// email, phone and external_id columns chosen again from its attached
// values by the rule of DESIGN.md 4b (subscribed first, then the most
// recently attached), the rule the triggers apply. unmerge() calls it
// after giving the values back; the caller holds the profiles' locks.
#include "pg/boundary/arrays.hpp"
#include "pg/boundary/spi.hpp"
#include "pg/rows/shard_map.hpp"
#include "pg/store/table_store.hpp"

namespace {

using namespace pm;
using namespace pm::pg;

}  // namespace

PM_FUNCTION(pm_refresh_primaries) {
    if (PG_ARGISNULL(0)) invalid_parameter("account must not be null");
    if (PG_ARGISNULL(1)) invalid_parameter("profile_ids must not be null");
    const std::int64_t account = PG_GETARG_INT64(0);
    const std::vector<std::int64_t> ids = int8_array_values(PG_GETARG_DATUM(1));
    {
        SpiScope spi;
        ShardScope shards(account, "profile_columns_follow_identifiers");
        TableStore store(account);
        for (std::int64_t id : ids) store.refresh_primaries(id);
    }
    PG_RETURN_VOID();
}
