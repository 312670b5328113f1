#include "pg/policy.hpp"

#include "pg/spi.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>
#include <unordered_map>

extern "C" {
#include "utils/inval.h"
}

namespace pm::pg {

namespace {

// Pointers into the map stay valid until it is cleared, which happens only
// between events (invalidation, or a full cache).
std::map<std::pair<std::int64_t, std::string>, core::Policy> policy_cache;
constexpr size_t kMaxPolicyCache = 10000;
std::unordered_map<std::string, bool> blocked_cache;
constexpr size_t kMaxBlockedCache = 100000;

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
    blocked_cache.clear();
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
    std::string key = std::to_string(account);
    key.append(1, '\x1f').append(core::kind_name(kind)).append(1, '\x1f').append(value);
    if (auto it = blocked_cache.find(key); it != blocked_cache.end()) return it->second;
    learn_policy_tables();
    bool blocked = !load_blocked
                        .run({Param::int8(account), Param::text(core::kind_name(kind)),
                              Param::text(value)})
                        .empty();
    if (blocked_cache.size() >= kMaxBlockedCache) blocked_cache.clear();
    blocked_cache.emplace(std::move(key), blocked);
    return blocked;
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
    pm::pg::pg_call([&] { CacheInvalidateRelcache(trigdata->tg_relation); });
    return PointerGetDatum(nullptr);
}
