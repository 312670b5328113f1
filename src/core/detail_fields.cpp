#include "core/detail_fields.hpp"

namespace pm::core {

namespace {

DetailField string_field(std::string_view key, std::string_view text) {
    return {key, DetailField::Type::String, text, 0};
}

DetailField integer_field(std::string_view key, std::int64_t number) {
    return {key, DetailField::Type::Integer, {}, number};
}

DetailField null_field(std::string_view key) { return {key, DetailField::Type::Null, {}, 0}; }

}  // namespace

std::vector<DetailObject> detail_fields(const std::vector<DetailEntry>& detail,
                                        const std::vector<std::int64_t>& merge_ids) {
    std::vector<DetailObject> objects;
    objects.reserve(detail.size());
    for (const DetailEntry& e : detail) {
        DetailObject fields;
        fields.push_back(string_field("action", action_name(e.action)));
        fields.push_back(string_field("kind", e.kind));
        fields.push_back(e.value ? string_field("value", *e.value) : null_field("value"));
        fields.push_back(e.other_profile ? integer_field("other_profile", *e.other_profile)
                                         : null_field("other_profile"));
        if (e.old_value) fields.push_back(string_field("old_value", *e.old_value));
        if (e.merge_index >= 0 && static_cast<std::size_t>(e.merge_index) < merge_ids.size())
            fields.push_back(integer_field("merge_id", merge_ids[e.merge_index]));
        if (!e.reason.empty()) fields.push_back(string_field("reason", e.reason));
        objects.push_back(std::move(fields));
    }
    return objects;
}

}  // namespace pm::core
