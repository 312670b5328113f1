// Library entry: PG_MODULE_MAGIC and _PG_init.
#include "pg/boundary/postgres.hpp"
#include "pg/resolve/policy.hpp"
#include "pg/resolve/settings.hpp"
#include "pg/rows/shard_map.hpp"

extern "C" {
PG_MODULE_MAGIC;

void _PG_init(void);

// Runs at load time, outside any SQL-callable function: only Postgres calls
// that report errors themselves happen here.
void _PG_init(void) {
    pm::pg::define_settings();
    pm::pg::register_policy_invalidation();
    pm::pg::register_shard_invalidation();
}
}
