#include "core/detail_json.hpp"

#include <cstdio>

namespace pm::core {

std::string json_quote(const std::string& s) {
    std::string out;
    out.reserve(s.size() + 2);
    out.push_back('"');
    for (unsigned char c : s) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
    }
    out.push_back('"');
    return out;
}

std::string detail_json(const std::vector<DetailEntry>& detail,
                        const std::vector<std::int64_t>& merge_ids) {
    std::string out = "[";
    for (size_t i = 0; i < detail.size(); ++i) {
        const DetailEntry& e = detail[i];
        if (i) out += ", ";
        out += "{\"action\": " + json_quote(std::string(action_name(e.action)));
        out += ", \"kind\": " + json_quote(e.kind);
        out += ", \"value\": " + (e.value ? json_quote(*e.value) : "null");
        out += ", \"other_profile\": " +
               (e.other_profile ? std::to_string(*e.other_profile) : std::string("null"));
        if (e.old_value) out += ", \"old_value\": " + json_quote(*e.old_value);
        if (e.merge_index >= 0 && static_cast<size_t>(e.merge_index) < merge_ids.size())
            out += ", \"merge_id\": " + std::to_string(merge_ids[e.merge_index]);
        if (!e.reason.empty()) out += ", \"reason\": " + json_quote(e.reason);
        out += "}";
    }
    out += "]";
    return out;
}

}  // namespace pm::core
