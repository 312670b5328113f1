#include "pg/resolve/policy.hpp"

#include "pg/boundary/spi.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

extern "C" {
#include "utils/inval.h"
}

namespace pm::pg {

namespace {

// Pointers into the map stay valid until it is cleared, which happens only
// between events (invalidation, or a full cache).
std::map<std::pair<std::int64_t, std::string>, core::Policy> policy_cache;
constexpr size_t kMaxPolicyCache = 10000;
// The blocked values that apply to an account (its own and account 0's),
// loaded whole: the list is short, and one set look-up per value beats a
// query per new value. A list longer than the cap is probed value by value.
struct BlockedSet {
    bool complete = false;
    std::unordered_set<std::string> values;
};
std::unordered_map<std::int64_t, BlockedSet> blocked_by_account;
constexpr std::uint64_t kMaxBlockedPerAccount = 10000;
constexpr size_t kMaxBlockedAccounts = 1000;

std::string blocked_key(core::Kind kind, const std::string& value) {
    std::string key(core::kind_name(kind));
    key.push_back('\x1f');
    key.append(value);
    return key;
}

std::vector<core::Kind> parse_kinds(const std::optional<std::string>& csv) {
    std::vector<core::Kind> kinds;
    if (!csv) return kinds;
    std::stringstream in(*csv);
    std::string name;
    // A kind listed twice counts once (the table's CHECK allows repeats).
    while (std::getline(in, name, ','))
        if (auto k = core::parse_kind(name); k && std::find(kinds.begin(), kinds.end(), *k) == kinds.end())
            kinds.push_back(*k);
    return kinds;
}

Plan load_policy(
    "SELECT array_to_string(identify_by, ','), merges, array_to_string(may_override, ','),"
    "       array_to_string(accepts, ',')"
    "  FROM sources WHERE account_id IN (0, $1) AND source = $2"
    " ORDER BY account_id = 0 LIMIT 1",
    {"bigint", "text"});

Plan load_blocked(
    "SELECT kind, value FROM blocked_values WHERE account_id IN (0, $1) LIMIT $2",
    {"bigint", "bigint"});

Plan probe_blocked(
    "SELECT 1 FROM blocked_values WHERE account_id IN (0, $1) AND kind = $2 AND value = $3 LIMIT 1",
    {"bigint", "text", "text"});

// The tables whose invalidation empties the caches; learnt when the caches
// are first filled (while they are empty there is nothing to invalidate).
Oid policy_tables[2] = {InvalidOid, InvalidOid};

void learn_policy_tables() {
    if (policy_tables[0] != InvalidOid) return;
    pg_call([] {
        Oid ns = get_namespace_oid("profile_merge", false);
        policy_tables[0] = get_relname_relid("sources", ns);
        policy_tables[1] = get_relname_relid("blocked_values", ns);
    });
}

// A C callback of the invalidation machinery: compares and clears, nothing
// that can raise or throw.
void on_relcache_invalidation(Datum, Oid relid) {
    if (relid != InvalidOid && relid != policy_tables[0] && relid != policy_tables[1]) return;
    policy_cache.clear();
    blocked_by_account.clear();
    policy_tables[0] = policy_tables[1] = InvalidOid;  // the extension may have been re-created
}

}  // namespace

const core::Policy* find_policy(std::int64_t account, const std::string& source) {
    auto key = std::make_pair(account, source);
    auto it = policy_cache.find(key);
    if (it == policy_cache.end()) {
        learn_policy_tables();
        Rows rows = load_policy.run({Param::int8(account), Param::text(source)});
        // Unknown sources are an error for the caller and are not kept: a
        // stream of made-up names must not grow the cache.
        if (rows.empty()) return nullptr;
        core::Policy policy;
        policy.identify_by = parse_kinds(rows.text(0, 0));
        policy.merges = rows.boolean(0, 1);
        policy.may_override = parse_kinds(rows.text(0, 2));
        policy.accepts = parse_kinds(rows.text(0, 3));
        if (policy_cache.size() >= kMaxPolicyCache) policy_cache.clear();
        it = policy_cache.emplace(std::move(key), std::move(policy)).first;
    }
    return &it->second;
}

bool is_blocked(std::int64_t account, core::Kind kind, const std::string& value) {
    auto it = blocked_by_account.find(account);
    if (it == blocked_by_account.end()) {
        learn_policy_tables();
        Rows rows = load_blocked.run({Param::int8(account), Param::int8(kMaxBlockedPerAccount + 1)});
        BlockedSet set;
        set.complete = rows.size() <= kMaxBlockedPerAccount;
        if (set.complete)
            for (std::uint64_t i = 0; i < rows.size(); ++i)
                set.values.insert(blocked_key(*core::parse_kind(*rows.text(i, 0)), *rows.text(i, 1)));
        if (blocked_by_account.size() >= kMaxBlockedAccounts) blocked_by_account.clear();
        it = blocked_by_account.emplace(account, std::move(set)).first;
    }
    if (it->second.complete) return it->second.values.count(blocked_key(kind, value)) > 0;
    // A list too long to keep: one indexed look-up per value.
    return !probe_blocked
                .run({Param::int8(account), Param::text(core::kind_name(kind)), Param::text(value)})
                .empty();
}

void register_policy_invalidation() {
    CacheRegisterRelcacheCallback(on_relcache_invalidation, 0);
}

}  // namespace pm::pg

// The statement trigger on sources and blocked_values: tell every backend.
PM_FUNCTION(pm_policy_changed) {
    auto* trigdata = reinterpret_cast<TriggerData*>(fcinfo->context);
    if (!CALLED_AS_TRIGGER(fcinfo))
        pm::pg::invalid_parameter("policy_changed() must be called as a trigger");
    pm::pg::pg_call([&] {
        CacheInvalidateRelcache(trigdata->tg_relation);
        // On a Citus placement (sources_102008) the caches watch the
        // logical tables: tell those too.
        Oid ns = get_namespace_oid("profile_merge", true);
        if (OidIsValid(ns) && get_rel_namespace(RelationGetRelid(trigdata->tg_relation)) == ns)
            for (const char* table : {"sources", "blocked_values"})
                if (Oid logical = get_relname_relid(table, ns); OidIsValid(logical) &&
                                                                logical != RelationGetRelid(trigdata->tg_relation))
                    CacheInvalidateRelcacheByRelid(logical);
    });
    return PointerGetDatum(nullptr);
}
