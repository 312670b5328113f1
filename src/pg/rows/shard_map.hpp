// Citus (DESIGN.md section 8): on a worker, the events trigger fires on a
// shard table (events_102008), and the logical tables of the schema are
// empty shells there. While a ShardScope is open, the extension's own
// relations are the co-located shards of the account being resolved:
// extension_relid() (rows/relations.hpp) returns them, and cached SPI plans
// are re-prepared against them (the table names of their text rewritten).
// Found through Citus's catalog tables by name (no Citus header: the
// extension loads without Citus), cached per backend and forgotten on any
// relcache invalidation of a relation involved (a shard moved, split or
// dropped). On one server nothing here runs beyond one comparison.
#pragma once

#include "pg/boundary/guard.hpp"

#include <cstdint>
#include <memory>

namespace pm::pg {

struct ShardSet;

// Set while a ShardScope is open; the single branch of the one-node path.
extern ShardSet* active_shards;

// The shard-local relation standing for profile_merge.<name> (a table, or an
// index of one; anything else, such as a sequence, stays the logical one).
// Postgres C only: call inside pg_call, with active_shards set.
Oid shard_relid(const char* name, Oid logical);

// The name of a constraint of the shard of `table` (Citus appends the shard
// id); NULL when no scope is open or the table is not sharded here.
// Postgres C only.
const char* shard_constraint_name(Oid table_relid, const char* name, char* buf, size_t len);

class ShardScope {
public:
    // The trigger of profile_merge.<table> fired on relation `rel`: nothing
    // to do when `rel` is that table; a shard of it selects its group.
    ShardScope(Relation rel, const char* table);
    // A function called with an account (merge_profiles): the group of the
    // account's shard when the tables are distributed and it lives on this
    // node; 0A000 with a HINT when it lives elsewhere.
    ShardScope(std::int64_t account, const char* function);
    ~ShardScope();
    bool on_shard() const { return entered_; }
    ShardScope(const ShardScope&) = delete;
    ShardScope& operator=(const ShardScope&) = delete;

private:
    void enter(std::shared_ptr<ShardSet> set);
    std::shared_ptr<ShardSet> set_;
    ShardSet* outer_ = nullptr;
    bool entered_ = false;
};

// Whether `relid` is a Citus shard of profile_merge.<table> (the trigger
// check of entry/own_table.cpp). Postgres C only.
bool is_shard_of(Oid relid, const char* table);

// Whether this database's profile_merge tables are distributed by Citus
// (ingest() refuses then). Postgres C only.
bool tables_distributed();

void register_shard_invalidation();

}  // namespace pm::pg
