#include "pg/resolve/policy.hpp"
#include "pg/resolve/kinds.hpp"
#include "pg/rows/catalog.hpp"

#include "pg/boundary/spi.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

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
// The blocked patterns that apply to an account, in (account, kind,
// pattern) order, account 0's first; usually none.
struct BlockedPattern {
    core::Kind kind;
    std::string pattern, reason;
};
std::unordered_map<std::int64_t, std::vector<BlockedPattern>> patterns_by_account;
constexpr std::uint64_t kMaxBlockedPerAccount = 10000;
constexpr size_t kMaxBlockedAccounts = 1000;

// Text kinds (external_id, and custom kinds normalized as text) are
// compared without regard to ASCII case, as the junk they catch comes in
// every spelling ('null', 'NULL', 'Null'): blocked_values stores them folded
// (blocked_values_normalize), and a value is folded the same way before it
// is compared. E-mail and phone values are normalized already.
std::string blocked_form(std::int64_t account, core::Kind kind, const std::string& value) {
    if (kind == core::Kind::Email || kind == core::Kind::Phone) return value;
    if (kind != core::Kind::ExternalId &&
        account_kinds(account).normalizer(kind).value_or(Normalizer::Text) != Normalizer::Text)
        return value;
    std::string folded;
    folded.reserve(value.size());
    for (char c : value) folded.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    return folded;
}

std::string blocked_key(core::Kind kind, const std::string& value) {
    std::string key(core::kind_name(kind));
    key.push_back('\x1f');
    return key.append(value);
}

// A kind a policy or junk row names: built in, or custom (interned here, so
// that a source may name a kind before its identifier_kinds row exists).
std::optional<core::Kind> named_kind(const std::string& name) {
    if (auto k = core::parse_kind(name)) return k;
    if (valid_kind_name(name)) return core::intern_kind(name);
    return std::nullopt;
}

std::vector<core::Kind> parse_kinds(const std::optional<std::string>& csv) {
    std::vector<core::Kind> kinds;
    if (!csv) return kinds;
    std::stringstream in(*csv);
    std::string name;
    // A kind listed twice counts once (the table's CHECK allows repeats).
    while (std::getline(in, name, ','))
        if (auto k = named_kind(name); k && std::find(kinds.begin(), kinds.end(), *k) == kinds.end())
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

Plan load_patterns(
    "SELECT kind, pattern, coalesce(reason, 'matches the blocked pattern ' || pattern)"
    "  FROM blocked_patterns WHERE account_id IN (0, $1) ORDER BY account_id, kind, pattern",
    {"bigint"});

Plan probe_blocked(
    "SELECT 1 FROM blocked_values WHERE account_id IN (0, $1) AND kind = $2 AND value = $3 LIMIT 1",
    {"bigint", "text", "text"});

// The tables whose invalidation empties the caches; learnt when the caches
// are first filled (while they are empty there is nothing to invalidate).
Oid policy_tables[4] = {InvalidOid, InvalidOid, InvalidOid, InvalidOid};

void learn_policy_tables() {
    if (policy_tables[0] != InvalidOid) return;
    pg_call([] {
        Oid ns = get_namespace_oid(catalog::kSchema, false);
        policy_tables[0] = get_relname_relid(catalog::kSources, ns);
        policy_tables[1] = get_relname_relid(catalog::kBlockedValues, ns);
        policy_tables[2] = get_relname_relid(catalog::kBlockedPatterns, ns);
        policy_tables[3] = get_relname_relid(catalog::kIdentifierKinds, ns);
    });
}

// A C callback of the invalidation machinery: compares and clears, nothing
// that can raise or throw.
void on_relcache_invalidation(Datum, Oid relid) {
    if (relid != InvalidOid && std::find(std::begin(policy_tables), std::end(policy_tables), relid) ==
                                   std::end(policy_tables))
        return;
    policy_cache.clear();
    blocked_by_account.clear();
    patterns_by_account.clear();
    forget_account_kinds();
    // the extension may have been re-created
    std::fill(std::begin(policy_tables), std::end(policy_tables), InvalidOid);
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
        policy.limits = account_kinds(account).limits;
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
                if (auto k = named_kind(*rows.text(i, 0)))
                    set.values.insert(blocked_key(*k, blocked_form(account, *k, *rows.text(i, 1))));
        if (blocked_by_account.size() >= kMaxBlockedAccounts) blocked_by_account.clear();
        it = blocked_by_account.emplace(account, std::move(set)).first;
    }
    const std::string form = blocked_form(account, kind, value);
    if (it->second.complete) return it->second.values.count(blocked_key(kind, form)) > 0;
    // A list too long to keep: one indexed look-up per value.
    return !probe_blocked
                .run({Param::int8(account), Param::text(core::kind_name(kind)), Param::text(form)})
                .empty();
}

std::optional<std::string> blocked_pattern_reason(std::int64_t account, core::Kind kind,
                                                  const std::string& value) {
    auto it = patterns_by_account.find(account);
    if (it == patterns_by_account.end()) {
        learn_policy_tables();
        std::vector<BlockedPattern> patterns;
        // A schema before 0.4.0 has no blocked_patterns: none apply.
        if (policy_tables[2] != InvalidOid) {
            Rows rows = load_patterns.run({Param::int8(account)});
            for (std::uint64_t i = 0; i < rows.size(); ++i)
                if (auto k = named_kind(*rows.text(i, 0)))
                    patterns.push_back({*k, *rows.text(i, 1), *rows.text(i, 2)});
        }
        if (patterns_by_account.size() >= kMaxBlockedAccounts) patterns_by_account.clear();
        it = patterns_by_account.emplace(account, std::move(patterns)).first;
    }
    for (const BlockedPattern& p : it->second) {
        if (p.kind != kind) continue;
        // PostgreSQL's own regular expressions (those the table's CHECK
        // compiled when the row went in), with their compiled-pattern cache.
        const bool matches = pg_call([&] {
            return DatumGetBool(DirectFunctionCall2Coll(textregexeq, C_COLLATION_OID,
                                                        PointerGetDatum(cstring_to_text_with_len(
                                                            value.data(), static_cast<int>(value.size()))),
                                                        PointerGetDatum(cstring_to_text_with_len(
                                                            p.pattern.data(), static_cast<int>(p.pattern.size())))));
        });
        if (matches) return p.reason;
    }
    return std::nullopt;
}

void register_policy_invalidation() {
    CacheRegisterRelcacheCallback(on_relcache_invalidation, 0);
}

}  // namespace pm::pg

// The statement trigger on sources, blocked_values and blocked_patterns:
// tell every backend.
PM_FUNCTION(pm_policy_changed) {
    auto* trigdata = reinterpret_cast<TriggerData*>(fcinfo->context);
    if (!CALLED_AS_TRIGGER(fcinfo))
        pm::pg::invalid_parameter("policy_changed() must be called as a trigger");
    pm::pg::pg_call([&] {
        CacheInvalidateRelcache(trigdata->tg_relation);
        // On a Citus placement (sources_102008) the caches watch the
        // logical tables: tell those too.
        Oid ns = get_namespace_oid(pm::pg::catalog::kSchema, true);
        if (OidIsValid(ns) && get_rel_namespace(RelationGetRelid(trigdata->tg_relation)) == ns)
            for (const char* table : {pm::pg::catalog::kSources, pm::pg::catalog::kBlockedValues,
                                      pm::pg::catalog::kBlockedPatterns, pm::pg::catalog::kIdentifierKinds})
                if (Oid logical = get_relname_relid(table, ns); OidIsValid(logical) &&
                                                                logical != RelationGetRelid(trigdata->tg_relation))
                    CacheInvalidateRelcacheByRelid(logical);
    });
    return PointerGetDatum(nullptr);
}
