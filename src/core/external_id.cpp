#include "core/external_id.hpp"

#include <string>

namespace pm::core {

Normalized normalize_external_id(std::string_view raw) {
    std::string_view trimmed;
    std::string reason;
    if (!detail::clean_input(raw, &trimmed, &reason)) return Normalized::failure("external_id " + reason);
    if (trimmed.empty()) return Normalized::failure("empty external_id");
    if (trimmed.size() > kMaxExternalId)
        return Normalized::failure("external_id longer than " + std::to_string(kMaxExternalId) + " bytes");
    return Normalized::success(std::string(trimmed));
}

}  // namespace pm::core
