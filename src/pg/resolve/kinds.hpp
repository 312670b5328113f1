// The kinds of identifier of an account (identifier_kinds, DESIGN.md 3):
// each kind's normalizer and limit, the account's own rows over account
// 0's, cached per backend and emptied with the other policy caches.
#pragma once

#include "core/rules.hpp"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace pm::pg {

enum class Normalizer { Email, Phone, Text };

struct AccountKinds {
    // Every kind the account has, with its limit (built-ins included).
    std::vector<core::KindLimit> limits;
    // The normalizer of each kind in `limits`, in the same order.
    std::vector<Normalizer> normalizers;
    // True when a limit is above 1 or a custom kind exists: the rules then
    // need every attached value of a profile, not just its columns.
    bool needs_held = false;

    // The kind's normalizer, or nothing for a kind the account does not have.
    std::optional<Normalizer> normalizer(core::Kind kind) const;
};

// The limit of `kind` in `kinds` (1 for a kind not listed).
int kinds_limit(const AccountKinds& kinds, core::Kind kind);

// The account's kinds; the built-in defaults where the schema has no
// identifier_kinds (before 0.5.0). Valid until the next policy change.
const AccountKinds& account_kinds(std::int64_t account);

// A name identifier_kinds accepts for a kind: ^[a-z][a-z0-9_]{0,62}$, not
// "profile".
bool valid_kind_name(std::string_view name);

// Called by the policy invalidation callback (nothing that can throw).
void forget_account_kinds() noexcept;

}  // namespace pm::pg
