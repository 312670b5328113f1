// The fields of each events.detail object, before the Postgres layer turns
// them into jsonb: which keys, in which order, of which type.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/detail_fields.hpp"

namespace {

using pm::core::Action;
using pm::core::DetailEntry;
using pm::core::DetailField;
using pm::core::detail_fields;

std::string describe(const std::vector<DetailField>& fields) {
    std::string out;
    for (const DetailField& f : fields) {
        out += std::string(f.key) + "=";
        switch (f.type) {
            case DetailField::Type::String: out += "'" + std::string(f.text) + "'"; break;
            case DetailField::Type::Integer: out += std::to_string(f.number); break;
            case DetailField::Type::Null: out += "null"; break;
        }
        out += " ";
    }
    return out;
}

TEST(DetailFields, TheFourFieldsEveryEntryHasNullWhenUnset) {
    DetailEntry e{Action::Attached, "email", std::string("ana@example.com"), std::nullopt, "", std::nullopt, -1};
    auto objects = detail_fields({e}, {});
    ASSERT_EQ(objects.size(), 1u);
    EXPECT_EQ(describe(objects[0]), "action='attached' kind='email' value='ana@example.com' other_profile=null ");

    DetailEntry blocked{Action::Blocked, "phone", std::nullopt, std::nullopt, "", std::nullopt, -1};
    EXPECT_EQ(describe(detail_fields({blocked}, {})[0]), "action='blocked' kind='phone' value=null other_profile=null ");
}

TEST(DetailFields, OptionalFieldsOnlyWhenSet) {
    DetailEntry overridden{Action::Overridden, "phone", std::string("+14155550199"), 42, "checkout",
                           std::string("+14155550132"), -1};
    EXPECT_EQ(describe(detail_fields({overridden}, {})[0]),
              "action='overridden' kind='phone' value='+14155550199' other_profile=42 "
              "old_value='+14155550132' reason='checkout' ");

    // merge_id is looked up by merge_index; an index past the merges made
    // (none were) leaves it out rather than reading past the end.
    DetailEntry merged{Action::Merged, "email", std::string("bo@example.com"), 7, "", std::nullopt, 1};
    EXPECT_EQ(describe(detail_fields({merged}, {900, 901})[0]),
              "action='merged' kind='email' value='bo@example.com' other_profile=7 merge_id=901 ");
    EXPECT_EQ(describe(detail_fields({merged}, {900})[0]),
              "action='merged' kind='email' value='bo@example.com' other_profile=7 ");
}

TEST(DetailFields, OneObjectPerEntryInOrderAndTextKeptAsIs) {
    const std::string odd = "quote \" backslash \\ newline \n tab \t \x01 end";
    std::vector<DetailEntry> entries = {
        {Action::Invalid, "email", odd, std::nullopt, "not an address", std::nullopt, -1},
        {Action::Ignored, "properties", std::nullopt, std::nullopt, "not an object", std::nullopt, -1},
    };
    auto objects = detail_fields(entries, {});
    ASSERT_EQ(objects.size(), 2u);
    EXPECT_EQ(objects[0][2].text, odd);  // escaping is the jsonb builder's business
    EXPECT_EQ(objects[1][0].text, "ignored");
    EXPECT_EQ(objects[1][1].text, "properties");
    EXPECT_TRUE(detail_fields({}, {}).empty());
}

}  // namespace
