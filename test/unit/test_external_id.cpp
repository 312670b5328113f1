// External ids and the shared white-space trimming.
#include <gtest/gtest.h>

#include <string>

#include "core/external_id.hpp"
#include "core/normalized.hpp"

namespace {

using pm::core::normalize_external_id;
using pm::core::trim_space;

TEST(ExternalId, TrimmedAndOtherwiseKeptAsTyped) {
    EXPECT_EQ(normalize_external_id("  CUST-0042 ").value, "CUST-0042");
    EXPECT_EQ(normalize_external_id("cust-0042").value, "cust-0042");  // case matters
    EXPECT_EQ(normalize_external_id("\xC2\xA0id 7\xE3\x80\x80").value, "id 7");
    EXPECT_EQ(normalize_external_id("Zoë-1").value, "Zoë-1");
}

TEST(ExternalId, ControlCharactersAreRefused) {
    for (std::string raw : {std::string("ext\x01" "1"), std::string("a\nb"), std::string("x\x7f"),
                            std::string("ext\xC2\x9B" "31m")}) {
        pm::core::Normalized n = normalize_external_id(raw);
        EXPECT_FALSE(n.ok()) << raw;
        EXPECT_NE(n.error.find("control"), std::string::npos) << n.error;
    }
}

TEST(ExternalId, LengthLimitIsAfterTrimming) {
    EXPECT_TRUE(normalize_external_id(std::string(255, 'a')).ok());
    EXPECT_FALSE(normalize_external_id(std::string(256, 'a')).ok());
    EXPECT_TRUE(normalize_external_id("   " + std::string(255, 'a') + "   ").ok());
    EXPECT_FALSE(normalize_external_id("   ").ok());
    EXPECT_FALSE(normalize_external_id("\xff\xfe").ok());  // not UTF-8
}

TEST(TrimSpace, UnicodeSpacesAndBlankInput) {
    EXPECT_EQ(trim_space(" \t ana \r\n"), "ana");
    EXPECT_EQ(trim_space("\xE2\x80\xA8x\xC2\x85"), "x");  // U+2028, U+0085
    EXPECT_EQ(trim_space("\xEF\xBB\xBF\xE2\x80\x8B"), "");  // BOM, zero-width space
    EXPECT_EQ(trim_space("a b"), "a b");
    EXPECT_EQ(trim_space("\xff x"), "\xff x");  // invalid UTF-8 is not trimmed away
}

}  // namespace
