// Unit tests of the built-in placeholder rule for phone numbers (DESIGN.md
// section 3, the default junk): placeholder numbers of every region. The
// other half of the proof: no example number libphonenumber gives for any
// region and number type is called a placeholder. (Placeholder addresses
// are a default blocked_patterns row: sql/junk_values.)
#include <gtest/gtest.h>
#include <phonenumbers/phonenumberutil.h>

#include <set>
#include <string>

#include "core/phone.hpp"

using pm::core::normalize_phone;
using pm::core::PhoneAccept;
using pm::core::placeholder_phone_reason;

namespace {

// The E.164 form the engine would store (possible numbers too: a
// placeholder is often not a valid one).
std::string e164(const std::string& raw, const std::string& region = "US") {
    auto n = normalize_phone(raw, region, PhoneAccept::Possible);
    EXPECT_TRUE(n.ok()) << raw << ": " << n.error;
    return n.value;
}

}  // namespace

TEST(PlaceholderPhone, RepeatedDigitsInAnyCountry) {
    for (const char* raw : {"+1 555 555 5555", "+1 999 999 9999", "+44 7777 777777", "+33 6 66 66 66 66",
                            "+49 3333 333333", "+91 99999 99999"}) {
        auto reason = placeholder_phone_reason(e164(raw));
        ASSERT_TRUE(reason) << raw;
        EXPECT_NE(reason->find("repeated digit"), std::string::npos) << *reason;
    }
}

TEST(PlaceholderPhone, ZerosAfterTheAreaCode) {
    for (const char* raw : {"+44 20 0000 0000", "+33 1 00 00 00 00", "+49 30 000000", "+1 415 000 0000",
                            "+39 06 0000000", "+61 2 0000 0000"}) {
        auto reason = placeholder_phone_reason(e164(raw));
        ASSERT_TRUE(reason) << raw << " (" << e164(raw) << ")";
        EXPECT_NE(reason->find("zeros after the area code"), std::string::npos) << *reason;
    }
}

TEST(PlaceholderPhone, RealNumbersAreNot) {
    for (const char* raw : {"+1 415 555 0132", "+44 20 7946 0958", "+33 1 42 68 53 00", "+49 30 901820",
                            "+1 212 000 0001", "+44 7911 123457"})
        EXPECT_EQ(placeholder_phone_reason(e164(raw)), std::nullopt) << raw;
    EXPECT_EQ(placeholder_phone_reason("not a number"), std::nullopt);
    EXPECT_EQ(placeholder_phone_reason(""), std::nullopt);
}

// Every example number of every region and type is a real number's shape:
// none may be blocked as a placeholder.
TEST(PlaceholderPhone, NoExampleNumberOfAnyRegionIsBlocked) {
    using i18n::phonenumbers::PhoneNumber;
    using i18n::phonenumbers::PhoneNumberUtil;
    const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    std::set<std::string> regions;
    util.GetSupportedRegions(&regions);
    ASSERT_GT(regions.size(), 200u);
    std::size_t checked = 0;
    for (const std::string& region : regions) {
        for (int t = PhoneNumberUtil::FIXED_LINE; t <= PhoneNumberUtil::VOICEMAIL; ++t) {
            PhoneNumber pn;
            if (!util.GetExampleNumberForType(region, static_cast<PhoneNumberUtil::PhoneNumberType>(t), &pn))
                continue;
            std::string formatted;
            util.Format(pn, PhoneNumberUtil::E164, &formatted);
            EXPECT_EQ(placeholder_phone_reason(formatted), std::nullopt) << region << " type " << t << ": " << formatted;
            ++checked;
        }
    }
    std::set<int> codes;
    util.GetSupportedGlobalNetworkCallingCodes(&codes);
    for (int code : codes) {
        PhoneNumber pn;
        if (!util.GetExampleNumberForNonGeoEntity(code, &pn)) continue;
        std::string formatted;
        util.Format(pn, PhoneNumberUtil::E164, &formatted);
        EXPECT_EQ(placeholder_phone_reason(formatted), std::nullopt) << "+" << code << ": " << formatted;
        ++checked;
    }
    EXPECT_GT(checked, 1000u);
}

// normalize_phone says the same as placeholder_phone_reason, so that the
// triggers (which read it from the normalizer's result and its memo) and a
// check of a stored value agree.
TEST(PlaceholderPhone, NormalizerCarriesTheVerdict) {
    for (const char* raw : {"+44 20 0000 0000", "+1 415 555 0132", "+33 1 00 00 00 00", "+44 7777 777777"}) {
        auto n = normalize_phone(raw, "US", PhoneAccept::Possible);
        ASSERT_TRUE(n.ok()) << raw;
        EXPECT_EQ(n.placeholder, placeholder_phone_reason(n.value).value_or("")) << raw;
    }
    EXPECT_FALSE(normalize_phone("+44 20 0000 0000", "US", PhoneAccept::Possible).placeholder.empty());
}
