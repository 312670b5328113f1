#include "core/kind.hpp"

namespace pm::core {

std::string_view kind_name(Kind kind) {
    switch (kind) {
        case Kind::Profile: return "profile";
        case Kind::ExternalId: return "external_id";
        case Kind::Email: return "email";
        case Kind::Phone: return "phone";
    }
    return "?";
}

std::optional<Kind> parse_kind(std::string_view name) {
    for (Kind k : {Kind::Profile, Kind::ExternalId, Kind::Email, Kind::Phone})
        if (kind_name(k) == name) return k;
    return std::nullopt;
}

}  // namespace pm::core
