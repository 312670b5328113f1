#include "core/kind.hpp"

#include <deque>
#include <string>
#include <unordered_map>

namespace pm::core {

namespace {

constexpr Kind kBuiltins[] = {Kind::Profile, Kind::ExternalId, Kind::Email, Kind::Phone};
constexpr std::uint16_t kFirstCustom = 4;

// Custom kinds of this backend, in the order they were first met. A deque
// so that the names handed out as string_views never move; it only grows
// (a kind dropped from identifier_kinds keeps its number, and its name is
// at most 63 bytes).
struct Registry {
    std::deque<std::string> names;
    std::unordered_map<std::string, Kind> by_name;
};

Registry& registry() {
    static Registry r;
    return r;
}

std::string_view builtin_name(Kind kind) {
    switch (kind) {
        case Kind::Profile: return "profile";
        case Kind::ExternalId: return "external_id";
        case Kind::Email: return "email";
        case Kind::Phone: return "phone";
    }
    return {};
}

}  // namespace

bool is_builtin(Kind kind) { return static_cast<std::uint16_t>(kind) < kFirstCustom; }

bool has_column(Kind kind) {
    return kind == Kind::ExternalId || kind == Kind::Email || kind == Kind::Phone;
}

std::string_view kind_name(Kind kind) {
    if (is_builtin(kind)) return builtin_name(kind);
    const std::size_t i = static_cast<std::uint16_t>(kind) - kFirstCustom;
    const Registry& r = registry();
    return i < r.names.size() ? std::string_view(r.names[i]) : std::string_view("?");
}

std::optional<Kind> parse_kind(std::string_view name) {
    for (Kind k : kBuiltins)
        if (builtin_name(k) == name) return k;
    const Registry& r = registry();
    auto it = r.by_name.find(std::string(name));
    if (it != r.by_name.end()) return it->second;
    return std::nullopt;
}

Kind intern_kind(std::string_view name) {
    if (auto k = parse_kind(name)) return *k;
    Registry& r = registry();
    const Kind k = static_cast<Kind>(kFirstCustom + r.names.size());
    r.names.emplace_back(name);
    r.by_name.emplace(r.names.back(), k);
    return k;
}

}  // namespace pm::core
