#include "core/external_id.hpp"

#include <string>

namespace pm::core {

Normalized normalize_text(std::string_view raw, std::string_view kind) {
    std::string_view trimmed;
    std::string reason;
    if (!detail::clean_input(raw, &trimmed, &reason))
        return Normalized::failure(std::string(kind) + " " + reason);
    if (trimmed.empty()) return Normalized::failure("empty " + std::string(kind));
    if (trimmed.size() > kMaxExternalId)
        return Normalized::failure(std::string(kind) + " longer than " + std::to_string(kMaxExternalId) +
                                   " bytes");
    return Normalized::success(std::string(trimmed));
}

Normalized normalize_external_id(std::string_view raw) { return normalize_text(raw, "external_id"); }

}  // namespace pm::core
