#include "pg/resolve/kinds.hpp"
#include "pg/rows/catalog.hpp"

#include "pg/boundary/datum.hpp"
#include "pg/boundary/spi.hpp"

#include <unordered_map>

namespace pm::pg {

namespace {

std::unordered_map<std::int64_t, AccountKinds> kinds_by_account;
constexpr size_t kMaxKindAccounts = 1000;

// Account 0's rows first, so that the account's own row replaces them.
Plan load_kinds(
    "SELECT kind, normalizer, max_per_profile::bigint FROM identifier_kinds"
    " WHERE account_id IN (0, $1) ORDER BY account_id = $1, kind",
    {"bigint"});

std::optional<Normalizer> parse_normalizer(const std::string& name) {
    if (name == "email") return Normalizer::Email;
    if (name == "phone") return Normalizer::Phone;
    if (name == "text") return Normalizer::Text;
    return std::nullopt;
}

void set_kind(AccountKinds& k, core::Kind kind, Normalizer normalizer, int limit) {
    for (size_t i = 0; i < k.limits.size(); ++i)
        if (k.limits[i].kind == kind) {
            k.limits[i].max_per_profile = limit;
            k.normalizers[i] = normalizer;
            return;
        }
    k.limits.push_back({kind, limit});
    k.normalizers.push_back(normalizer);
}

AccountKinds load(std::int64_t account) {
    AccountKinds k;
    // The classic model: what a schema without identifier_kinds has.
    set_kind(k, core::Kind::ExternalId, Normalizer::Text, 1);
    set_kind(k, core::Kind::Email, Normalizer::Email, 1);
    set_kind(k, core::Kind::Phone, Normalizer::Phone, 1);
    const bool has_table = pg_call([] {
        Oid ns = get_namespace_oid(catalog::kSchema, false);
        return OidIsValid(get_relname_relid(catalog::kIdentifierKinds, ns));
    });
    if (!has_table) return k;
    Rows rows = load_kinds.run({Param::int8(account)});
    for (std::uint64_t i = 0; i < rows.size(); ++i) {
        const std::string name = *rows.text(i, 0);
        const std::optional<Normalizer> normalizer = parse_normalizer(*rows.text(i, 1));
        const std::int64_t limit = rows.int8(i, 2);
        // The table's CHECKs hold these; a row that breaks them (the
        // constraints dropped by hand) is an error, not a silent default.
        if (!valid_kind_name(name) || !normalizer || limit < 1 || limit > 100)
            throw SqlError(ERRCODE_DATA_CORRUPTED,
                           "identifier_kinds row \"" + shorten(name) + "\" breaks the table's constraints",
                           {}, "Restore the CHECK constraints of profile_merge.identifier_kinds and fix the row.");
        set_kind(k, core::intern_kind(name), *normalizer, static_cast<int>(limit));
    }
    for (size_t i = 0; i < k.limits.size(); ++i)
        if (k.limits[i].max_per_profile > 1 || !core::is_builtin(k.limits[i].kind)) k.needs_held = true;
    return k;
}

}  // namespace

std::optional<Normalizer> AccountKinds::normalizer(core::Kind kind) const {
    for (size_t i = 0; i < limits.size(); ++i)
        if (limits[i].kind == kind) return normalizers[i];
    return std::nullopt;
}

int kinds_limit(const AccountKinds& kinds, core::Kind kind) {
    for (const core::KindLimit& l : kinds.limits)
        if (l.kind == kind) return l.max_per_profile;
    return 1;
}

const AccountKinds& account_kinds(std::int64_t account) {
    auto it = kinds_by_account.find(account);
    if (it == kinds_by_account.end()) {
        AccountKinds k = load(account);
        if (kinds_by_account.size() >= kMaxKindAccounts) kinds_by_account.clear();
        it = kinds_by_account.emplace(account, std::move(k)).first;
    }
    return it->second;
}

bool valid_kind_name(std::string_view name) {
    if (name.empty() || name.size() > 63 || name == "profile") return false;
    if (name[0] < 'a' || name[0] > 'z') return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
    return true;
}

void forget_account_kinds() noexcept { kinds_by_account.clear(); }

}  // namespace pm::pg
