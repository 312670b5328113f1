#include "pg/rows/shard_map.hpp"

#include "pg/boundary/spi.hpp"

#include <cstdio>
#include <cstring>
#include <strings.h>
#include <list>
#include <string>
#include <unordered_map>

namespace pm::pg {

ShardSet* active_shards = nullptr;

namespace {

constexpr int kMaxRelations = 48;

// One logical relation and its shard-local stand-in, found once.
struct Mapping {
    Oid logical;
    Oid shard;
};

struct ShardTable {
    char relname[NAMEDATALEN];  // the logical table's name
    std::int64_t shardid;
    Oid logical;
    Oid shard;  // the local placement
};

}  // namespace

// The co-located shards of one shard group on this node (same hash range),
// and the local placements of the reference tables. Plain arrays: filled
// and read inside pg_call, where no C++ object may live.
struct ShardSet {
    ShardTable tables[kMaxRelations];
    int ntables = 0;
    Mapping mapped[kMaxRelations];
    int nmapped = 0;
    std::unordered_map<const void*, SPIPlanPtr> plans;  // per Plan, prepared against the shards

    const ShardTable* table_by_relname(const char* name) const {
        for (int i = 0; i < ntables; ++i)
            if (strcmp(tables[i].relname, name) == 0) return &tables[i];
        return nullptr;
    }
    bool holds_shard(std::int64_t shardid) const {
        for (int i = 0; i < ntables; ++i)
            if (tables[i].shardid == shardid) return true;
        return false;
    }
    bool watches(Oid relid) const {
        for (int i = 0; i < ntables; ++i)
            if (tables[i].logical == relid || tables[i].shard == relid) return true;
        for (int i = 0; i < nmapped; ++i)
            if (mapped[i].shard == relid) return true;
        return false;
    }
};

namespace {

// Sets of this backend, and those an invalidation retired (freed, with
// their plans, once no scope holds them: never inside the callback).
std::list<std::shared_ptr<ShardSet>> cache;
std::list<std::shared_ptr<ShardSet>> retired;

void on_relcache_invalidation(Datum, Oid relid) {
    if (cache.empty()) return;
    bool hit = relid == InvalidOid;
    for (auto it = cache.begin(); !hit && it != cache.end(); ++it) hit = (*it)->watches(relid);
    if (hit) retired.splice(retired.end(), cache);  // moves list nodes: allocates nothing
}

void free_retired() {
    for (auto it = retired.begin(); it != retired.end();) {
        if (it->use_count() > 1) {
            ++it;
            continue;
        }
        for (auto& [key, plan] : (*it)->plans) {
            SPIPlanPtr p = plan;
            pg_call([&] { SPI_freeplan(p); });
        }
        it = retired.erase(it);
    }
}

Oid extension_namespace() {
    return pg_call([] { return get_namespace_oid("profile_merge", false); });
}

bool citus_catalog_present() {
    return pg_call([] { return OidIsValid(get_relname_relid("pg_dist_shard", PG_CATALOG_NAMESPACE)); });
}

// The shard id of "<table>_<digits>", or 0.
std::int64_t shard_suffix(const char* relname, const char* table) {
    const size_t n = strlen(table);
    if (strncmp(relname, table, n) != 0 || relname[n] != '_' || relname[n + 1] == '\0') return 0;
    std::int64_t id = 0;
    for (const char* p = relname + n + 1; *p; ++p) {
        if (*p < '0' || *p > '9') return 0;
        id = id * 10 + (*p - '0');
    }
    return id;
}

Plan shard_of_table(
    "SELECT 1 FROM pg_catalog.pg_dist_shard WHERE shardid = $1 AND logicalrelid = $2",
    {"bigint", "oid"});

// Every table co-located with the shard, at the same hash range, and the
// reference tables (one shard each), of the extension's schema.
Plan shard_group(
    "SELECT c.relname::text, o.shardid"
    "  FROM pg_catalog.pg_dist_shard e"
    "  JOIN pg_catalog.pg_dist_partition pe ON pe.logicalrelid = e.logicalrelid"
    "  JOIN pg_catalog.pg_dist_partition po ON po.colocationid = pe.colocationid"
    "  JOIN pg_catalog.pg_dist_shard o ON o.logicalrelid = po.logicalrelid"
    "                                AND o.shardminvalue = e.shardminvalue"
    "  JOIN pg_catalog.pg_class c ON c.oid = o.logicalrelid"
    " WHERE e.shardid = $1 AND c.relnamespace = $2"
    " UNION ALL "
    "SELECT c.relname::text, s.shardid"
    "  FROM pg_catalog.pg_dist_partition p"
    "  JOIN pg_catalog.pg_dist_shard s ON s.logicalrelid = p.logicalrelid"
    "  JOIN pg_catalog.pg_class c ON c.oid = p.logicalrelid"
    " WHERE p.partmethod = 'n' AND c.relnamespace = $2",
    {"bigint", "oid"});

Plan is_distributed("SELECT 1 FROM pg_catalog.pg_dist_partition WHERE logicalrelid = $1", {"oid"});

Plan shard_of_account(
    "SELECT pg_catalog.get_shard_id_for_distribution_column($1::regclass, $2)", {"oid", "bigint"});

// "<name>_<shardid>" in the extension's schema on this node, or InvalidOid.
Oid local_shard_relation(const char* name, std::int64_t shardid, Oid ns) {
    char shard_name[NAMEDATALEN];
    const int len = snprintf(shard_name, sizeof shard_name, "%s_%lld", name, static_cast<long long>(shardid));
    // Citus shortens longer names with a hash; the extension's are short.
    if (len >= NAMEDATALEN) elog(ERROR, "profile_merge: shard name of %s is too long", name);
    return get_relname_relid(shard_name, ns);
}

std::shared_ptr<ShardSet> build_set(std::int64_t shardid) {
    const Oid ns = extension_namespace();
    auto set = std::make_shared<ShardSet>();
    {
        SpiScope spi;
        Rows rows = shard_group.run({Param::int8(shardid), Param::datum(ObjectIdGetDatum(ns))});
        if (rows.size() > static_cast<std::uint64_t>(kMaxRelations))
            throw SqlError(ERRCODE_INTERNAL_ERROR, "profile_merge: too many distributed tables");
        for (std::uint64_t i = 0; i < rows.size(); ++i) {
            ShardTable& t = set->tables[set->ntables++];
            const std::string name = *rows.text(i, 0);
            snprintf(t.relname, sizeof t.relname, "%s", name.c_str());
            t.shardid = rows.int8(i, 1);
        }
    }
    ShardSet* s = set.get();
    pg_call([&] {
        for (int i = 0; i < s->ntables; ++i) {
            ShardTable& t = s->tables[i];
            t.logical = get_relname_relid(t.relname, ns);
            t.shard = local_shard_relation(t.relname, t.shardid, ns);
            if (!OidIsValid(t.shard))
                ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                                errmsg("profile_merge: shard %lld of profile_merge.%s is not on this node",
                                       static_cast<long long>(t.shardid), t.relname),
                                errhint("Citus may be moving it; retry the statement.")));
        }
    });
    return set;
}

std::shared_ptr<ShardSet> set_for_shard(std::int64_t shardid) {
    free_retired();
    for (const auto& s : cache)
        if (s->holds_shard(shardid)) return s;
    auto set = build_set(shardid);
    cache.push_back(set);
    return set;
}

// The set of `relid` when it is a Citus shard of profile_merge.<table>.
std::shared_ptr<ShardSet> set_for_relation(Oid relid, const char* table) {
    char relname[NAMEDATALEN];
    Oid relns = InvalidOid;
    pg_call([&] {
        const char* n = get_rel_name(relid);
        snprintf(relname, sizeof relname, "%s", n ? n : "");
        relns = get_rel_namespace(relid);
    });
    const std::int64_t shardid = shard_suffix(relname, table);
    if (shardid == 0 || relns != extension_namespace() || !citus_catalog_present()) return nullptr;
    for (const auto& s : cache)
        if (const ShardTable* t = s->table_by_relname(table); t && t->shard == relid) return s;
    const Oid logical = pg_call([&] { return get_relname_relid(table, relns); });
    {
        SpiScope spi;
        if (shard_of_table.run({Param::int8(shardid), Param::datum(ObjectIdGetDatum(logical))}).empty())
            return nullptr;
    }
    auto set = set_for_shard(shardid);
    const ShardTable* t = set->table_by_relname(table);
    return t && t->shard == relid ? set : nullptr;
}

// Table names of the set in `sql` replaced by their shards, schema-
// qualified: a word right after FROM, JOIN, UPDATE or INTO (outside
// literals, not already qualified), so that a column named like a table
// (sources.merges) stays as it is.
std::string rewrite(const char* sql, const ShardSet& set) {
    std::string out, last_word;
    const char* p = sql;
    char prev = ' ';
    while (*p) {
        if (*p == '\'') {  // a literal, copied as is
            const char* q = p + 1;
            while (*q && !(*q == '\'' && q[1] != '\'')) q += (*q == '\'' ? 2 : 1);
            if (*q) ++q;
            out.append(p, q);
            prev = '\'';
            p = q;
            continue;
        }
        if (isalpha(static_cast<unsigned char>(*p)) || *p == '_') {
            const char* q = p;
            while (isalnum(static_cast<unsigned char>(*q)) || *q == '_') ++q;
            const std::string word(p, q);
            const bool names_table = prev != '.' && (strcasecmp(last_word.c_str(), "from") == 0 ||
                                                     strcasecmp(last_word.c_str(), "join") == 0 ||
                                                     strcasecmp(last_word.c_str(), "update") == 0 ||
                                                     strcasecmp(last_word.c_str(), "into") == 0);
            const ShardTable* t = names_table ? set.table_by_relname(word.c_str()) : nullptr;
            if (t)
                out += "profile_merge." + word + "_" + std::to_string(t->shardid);
            else
                out += word;
            last_word = word;
            prev = 'a';
            p = q;
            continue;
        }
        if (!isspace(static_cast<unsigned char>(*p))) last_word.clear();
        prev = *p;
        out += *p++;
    }
    return out;
}

SPIPlanPtr redirect_plan(const void* key, const char* sql, const Oid* types, int ntypes) {
    ShardSet* set = active_shards;
    if (auto it = set->plans.find(key); it != set->plans.end()) return it->second;
    const std::string text = rewrite(sql, *set);
    SPIPlanPtr plan = pg_call([&] {
        SPIPlanPtr p = SPI_prepare(text.c_str(), ntypes, const_cast<Oid*>(types));
        if (p == nullptr)
            elog(ERROR, "profile_merge: SPI_prepare failed (%s) for: %s", SPI_result_code_string(SPI_result),
                 text.c_str());
        SPI_keepplan(p);
        return p;
    });
    set->plans.emplace(key, plan);
    return plan;
}

}  // namespace

Oid shard_relid(const char* name, Oid logical) {
    ShardSet* set = active_shards;
    for (int i = 0; i < set->nmapped; ++i)
        if (set->mapped[i].logical == logical) return set->mapped[i].shard;
    Oid shard = logical;  // a sequence, or what the shards do not hold
    const char relkind = get_rel_relkind(logical);
    if (relkind == RELKIND_RELATION || relkind == RELKIND_PARTITIONED_TABLE) {
        for (int i = 0; i < set->ntables; ++i)
            if (set->tables[i].logical == logical) shard = set->tables[i].shard;
    } else if (relkind == RELKIND_INDEX || relkind == RELKIND_PARTITIONED_INDEX) {
        const Oid table = IndexGetRelation(logical, false);
        for (int i = 0; i < set->ntables; ++i)
            if (set->tables[i].logical == table) {
                shard = local_shard_relation(name, set->tables[i].shardid, get_rel_namespace(logical));
                if (!OidIsValid(shard))
                    elog(ERROR, "profile_merge: index %s of shard %lld is missing", name,
                         static_cast<long long>(set->tables[i].shardid));
            }
    }
    if (set->nmapped < kMaxRelations) set->mapped[set->nmapped++] = {logical, shard};
    return shard;
}

const char* shard_constraint_name(Oid table_relid, const char* name, char* buf, size_t len) {
    ShardSet* set = active_shards;
    if (set == nullptr) return nullptr;
    for (int i = 0; i < set->ntables; ++i)
        if (set->tables[i].shard == table_relid) {
            snprintf(buf, len, "%s_%lld", name, static_cast<long long>(set->tables[i].shardid));
            return buf;
        }
    return nullptr;
}

ShardScope::ShardScope(Relation rel, const char* table) {
    if (strcmp(RelationGetRelationName(rel), table) == 0) return;  // one server: the table itself
    auto set = set_for_relation(RelationGetRelid(rel), table);
    if (!set)
        throw SqlError(ERRCODE_INSUFFICIENT_PRIVILEGE,
                       std::string("this trigger function only runs on profile_merge.") + table);
    enter(std::move(set));
}

ShardScope::ShardScope(std::int64_t account, const char* function) {
    if (!tables_distributed()) return;
    const Oid profiles = pg_call([] { return get_relname_relid("profiles", get_namespace_oid("profile_merge", false)); });
    std::int64_t shardid;
    {
        SpiScope spi;
        shardid = shard_of_account.run({Param::datum(ObjectIdGetDatum(profiles)), Param::int8(account)}).int8(0, 0);
    }
    const Oid ns = extension_namespace();
    if (!OidIsValid(pg_call([&] { return local_shard_relation("profiles", shardid, ns); })))
        throw SqlError(ERRCODE_FEATURE_NOT_SUPPORTED,
                       std::string(function) + "() for account " + std::to_string(account) +
                           " must run on the node that holds the account",
                       {},
                       std::string("Call it on the coordinator on its own, as SELECT profile_merge.") + function +
                           "(...) outside a transaction block: Citus then runs it on that node.");
    enter(set_for_shard(shardid));
}

void ShardScope::enter(std::shared_ptr<ShardSet> set) {
    set_ = std::move(set);
    outer_ = active_shards;
    active_shards = set_.get();
    plan_redirect = redirect_plan;
    entered_ = true;
}

ShardScope::~ShardScope() {
    if (!entered_) return;
    active_shards = outer_;
    if (!active_shards) plan_redirect = nullptr;
}

bool is_shard_of(Oid relid, const char* table) { return set_for_relation(relid, table) != nullptr; }

bool tables_distributed() {
    if (!citus_catalog_present()) return false;
    const Oid profiles = pg_call([] { return get_relname_relid("profiles", get_namespace_oid("profile_merge", false)); });
    SpiScope spi;
    return !is_distributed.run({Param::datum(ObjectIdGetDatum(profiles))}).empty();
}

void register_shard_invalidation() { CacheRegisterRelcacheCallback(on_relcache_invalidation, 0); }

}  // namespace pm::pg
