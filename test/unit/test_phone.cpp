// Unit tests of normalize_phone, phone_info and canonical_region (DESIGN.md
// section 2). Expected E.164 values are written out by hand from the numbering
// plans (country code + national significant number, trunk prefix dropped);
// the numbers are libphonenumber's example numbers or well-known fictitious
// ranges (NANP 555-01xx, Ofcom's 020 7946 0xxx).
#include <gtest/gtest.h>
#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumberutil.h>

#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "core/phone.hpp"

using namespace std::string_literals;
using pm::core::canonical_region;
using pm::core::normalize_phone;
using pm::core::phone_info;
using pm::core::phone_memo_form;
using pm::core::PhoneAccept;

namespace {

struct PhoneCase {
    std::string raw;
    std::string region;
    std::string expected;  // E.164; empty = refused
    std::string reason;    // refused: a substring the reason must contain
    std::string note;
    PhoneAccept accept = PhoneAccept::Valid;
};

void PrintTo(const PhoneCase& c, std::ostream* os) {
    std::string shown = c.raw.size() > 60 ? c.raw.substr(0, 60) + "...(" +
                                                std::to_string(c.raw.size()) + " bytes)"
                                          : c.raw;
    *os << c.note << ": \"" << shown << "\" region \"" << c.region << "\""
        << (c.accept == PhoneAccept::Possible ? " (possible)" : "");
}

PhoneCase ok(std::string raw, std::string region, std::string e164, std::string note) {
    return {std::move(raw), std::move(region), std::move(e164), {}, std::move(note)};
}
PhoneCase bad(std::string raw, std::string region, std::string reason, std::string note) {
    return {std::move(raw), std::move(region), {}, std::move(reason), std::move(note)};
}
PhoneCase possible(PhoneCase c) {
    c.accept = PhoneAccept::Possible;
    return c;
}

std::vector<PhoneCase> cases() {
    return {
        // --- United States (NANP, trunk 1, IDD 011) -------------------------
        ok("(201) 555-0123", "US", "+12015550123", "US parentheses and dash"),
        ok("201-555-0123", "US", "+12015550123", "US dashes"),
        ok("201.555.0123", "US", "+12015550123", "US dots"),
        ok("201 555 0123", "US", "+12015550123", "US spaces"),
        ok("2015550123", "US", "+12015550123", "US digits only"),
        ok("1 201 555 0123", "US", "+12015550123", "US with trunk 1"),
        ok("1-201-555-0123", "US", "+12015550123", "US trunk 1 dashes"),
        ok("1 (201) 555-0123", "US", "+12015550123", "US trunk 1 parentheses"),
        ok("+1 201 555 0123", "US", "+12015550123", "US international"),
        ok("+1 (201) 555-0123", "US", "+12015550123", "US international parentheses"),
        ok("+12015550123", "US", "+12015550123", "already E.164"),
        ok("+1-415-555-0132", "US", "+14155550132", "DESIGN.md example"),
        ok("(415) 555-0132", "us", "+14155550132", "lower-case region"),
        ok("(415) 555-0132", "Us", "+14155550132", "mixed-case region"),
        ok("  (201) 555-0123\n", "US", "+12015550123", "surrounding white space"),
        ok("\u00A0201 555 0123\u3000", "US", "+12015550123", "Unicode spaces around"),
        ok("201\u00A0555\u00A00123", "US", "+12015550123", "no-break spaces inside"),
        ok("tel:+1-201-555-0123", "US", "+12015550123", "tel: URI"),
        ok("tel:201-555-0123;phone-context=+1", "US", "+12015550123", "tel: with context"),
        ok("++1 201 555 0123", "US", "+12015550123", "double plus"),
        ok("＋１ ２０１ ５５５ ０１２３", "US", "+12015550123", "full-width digits and plus"),
        ok("1-800-FLOWERS", "US", "+18003569377", "vanity letters become digits"),
        ok("1 (800) 555-0199", "US", "+18005550199", "US toll free"),
        ok("(506) 234-5678", "CA", "+15062345678", "Canada"),
        ok("201 555 0123", "CA", "+12015550123", "US number typed in Canada (shared +1)"),
        ok("011 44 20 7946 0958", "US", "+442079460958", "IDD 011 from the US"),
        ok("011-49-30-123456", "US", "+4930123456", "IDD 011 to Germany"),

        // --- United Kingdom (trunk 0, IDD 00) -------------------------------
        ok("020 7946 0958", "GB", "+442079460958", "London"),
        ok("020 7946 0958", "gb", "+442079460958", "London, lower-case region"),
        ok("(020) 7946 0958", "GB", "+442079460958", "London parentheses"),
        ok("02079460958", "GB", "+442079460958", "London digits only"),
        ok("+44 20 7946 0958", "GB", "+442079460958", "London international"),
        ok("+44 (0)20 7946 0958", "GB", "+442079460958", "(0) trunk in international form"),
        ok("+44 (0)20 7946 0958", "US", "+442079460958", "(0) form typed in the US"),
        ok("00 44 20 7946 0958", "GB", "+442079460958", "IDD 00 from GB"),
        ok("0044 20 7946 0958", "GB", "+442079460958", "IDD 0044 run together"),
        ok("+44 20 7946 0958", "US", "+442079460958", "plus needs no matching region"),
        ok("07400 123456", "GB", "+447400123456", "UK mobile"),
        ok("07400-123-456", "GB", "+447400123456", "UK mobile dashes"),
        ok("+44 7400 123456", "GB", "+447400123456", "UK mobile international"),
        ok("0121 234 5678", "GB", "+441212345678", "Birmingham"),

        // --- Germany --------------------------------------------------------
        ok("030 123456", "DE", "+4930123456", "Berlin"),
        ok("030/123456", "DE", "+4930123456", "Berlin with slash"),
        ok("+49 30 123456", "DE", "+4930123456", "Berlin international"),
        ok("+49 (0)30 123456", "DE", "+4930123456", "Berlin (0) form"),
        ok("01512 3456789", "DE", "+4915123456789", "German mobile"),
        ok("0049 1512 3456789", "DE", "+4915123456789", "German mobile IDD 00"),
        ok("+49 1512 3456789", "FR", "+4915123456789", "German mobile typed in France"),

        // --- France ---------------------------------------------------------
        ok("01 23 45 67 89", "FR", "+33123456789", "Paris"),
        ok("01.23.45.67.89", "FR", "+33123456789", "Paris with dots"),
        ok("06 12 34 56 78", "FR", "+33612345678", "French mobile"),
        ok("+33 6 12 34 56 78", "FR", "+33612345678", "French mobile international"),
        ok("+33 (0)6 12 34 56 78", "FR", "+33612345678", "French (0) form"),
        ok("00 33 1 23 45 67 89", "FR", "+33123456789", "IDD 00 from France"),

        // --- India ----------------------------------------------------------
        ok("081234 56789", "IN", "+918123456789", "Indian mobile with trunk 0"),
        ok("8123456789", "IN", "+918123456789", "Indian mobile digits only"),
        ok("+91 81234 56789", "IN", "+918123456789", "Indian mobile international"),
        ok("+91-8123456789", "IN", "+918123456789", "Indian mobile dash"),
        ok("074104 10123", "IN", "+917410410123", "Indian fixed line"),
        ok("०८१२३ ४५६७८९", "IN", "+918123456789", "Devanagari digits"),

        // --- Brazil ---------------------------------------------------------
        ok("(11) 96123-4567", "BR", "+5511961234567", "São Paulo mobile"),
        ok("11 96123 4567", "BR", "+5511961234567", "São Paulo mobile spaces"),
        ok("+55 11 96123-4567", "BR", "+5511961234567", "Brazil international"),
        ok("0 21 11 96123-4567", "BR", "+5511961234567", "trunk 0 and carrier code 21"),
        ok("(11) 2345-6789", "BR", "+551123456789", "São Paulo fixed line"),

        // --- Japan ----------------------------------------------------------
        ok("03-1234-5678", "JP", "+81312345678", "Tokyo"),
        ok("090-1234-5678", "JP", "+819012345678", "Japanese mobile"),
        ok("+81 90-1234-5678", "JP", "+819012345678", "Japanese mobile international"),
        ok("０９０－１２３４－５６７８", "JP", "+819012345678", "full-width Japanese mobile"),
        ok("010 81 3 1234 5678", "JP", "+81312345678", "IDD 010 from Japan"),

        // --- Australia ------------------------------------------------------
        ok("0412 345 678", "AU", "+61412345678", "Australian mobile"),
        ok("(02) 1234 5678", "AU", "+61212345678", "Sydney"),
        ok("+61 412 345 678", "AU", "+61412345678", "Australian international"),
        ok("0011 61 412 345 678", "AU", "+61412345678", "IDD 0011 from Australia"),

        // --- Mexico ---------------------------------------------------------
        ok("55 1234 5678", "MX", "+525512345678", "Mexico City"),
        ok("+52 55 1234 5678", "MX", "+525512345678", "Mexico international"),
        ok("+52 1 55 1234 5678", "MX", "+525512345678", "old mobile 1 dropped"),
        ok("044 55 1234 5678", "MX", "+525512345678", "old mobile prefix 044 dropped"),

        // --- more regions and scripts ---------------------------------------
        ok("02 1234 5678", "IT", "+390212345678", "Milan keeps its leading zero"),
        ok("+39 02 1234 5678", "IT", "+390212345678", "Milan international"),
        ok("312 345 6789", "IT", "+393123456789", "Italian mobile"),
        ok("612 34 56 78", "ES", "+34612345678", "Spanish mobile"),
        ok("06 12345678", "NL", "+31612345678", "Dutch mobile"),
        ok("131 2345 6789", "CN", "+8613123456789", "Chinese mobile"),
        ok("010-1234-5678", "KR", "+821012345678", "Korean mobile"),
        ok("071 123 4567", "ZA", "+27711234567", "South African mobile"),
        ok("8 (912) 345-67-89", "RU", "+79123456789", "Russian trunk 8"),
        ok("011 15-2345-6789", "AR", "+5491123456789", "Argentine mobile 15 becomes 9"),
        ok("٠١٠٠١٢٣٤٥٦٧", "EG", "+201001234567", "Arabic-Indic digits"),
        ok("۰۹۱۲ ۳۴۵ ۶۷۸۹", "IR", "+989123456789", "Persian digits"),
        ok("+800 1234 5678", "US", "+80012345678", "universal freephone (non-geographic)"),

        // --- possible instead of valid --------------------------------------
        possible(ok("(201) 555-0123", "US", "+12015550123", "valid is possible too")),
        possible(ok("+1 123 456 7890", "US", "+11234567890", "impossible area code, right length")),
        possible(ok("020 7946 0958", "GB", "+442079460958", "possible GB")),
        possible(bad("555-0123", "US", "area code", "local-only is not enough")),
        possible(bad("12", "US", "too short", "too short even for possible")),
        possible(bad("+1 201 555 01234", "US", "too long", "too long for possible")),

        // --- refused: not a number ------------------------------------------
        bad("", "US", "empty phone number", "empty"),
        bad("   ", "US", "empty phone number", "spaces only"),
        bad("\t\r\n", "US", "empty phone number", "white space only"),
        bad("abc", "US", "not a phone number", "letters"),
        bad("call me", "US", "not a phone number", "words"),
        bad("+", "US", "not a phone number", "plus alone"),
        bad("n/a", "US", "not a phone number", "n/a"),
        bad("---", "US", "not a phone number", "punctuation"),
        bad("call me at 201 555 0123 thanks", "US", "too long",
            "trailing words are read as vanity letters"),
        bad("+1 (201) 555-0123 // home", "US", "too long", "trailing comment"),
        bad("2015550123 2015550124", "US", "not a phone number: too long", "two numbers"),

        // --- refused: lengths and invalid numbers ---------------------------
        bad("12", "US", "too short for region US", "two digits"),
        bad("123", "US", "too short", "three digits"),
        bad("12345", "GB", "GB", "five digits in GB"),
        bad("555-0123", "US", "local number without area code", "US number without area code"),
        bad("201555012345678901234", "US", "not a phone number: too long", "21 digits"),
        bad("+1 201 555 01234", "US", "too long for region US", "one digit too many"),
        bad("+1 123 456 7890", "US", "not a valid number for region US", "area code 123"),
        bad("(555) 555-5555", "US", "not a valid number", "area code 555"),
        bad("000-000-0000", "US", "not a valid number", "zeros"),
        bad("+1 000 000 0000", "US", "not a valid number", "+1 and zeros"),
        bad("+44 20 7946 095", "US", "country code +44", "short UK number typed in the US"),
        bad("020 7946 095", "GB", "region GB", "short London number"),
        bad("0044 20 7946 0958", "US", "region US", "GB IDD 00 does not work from the US"),
        bad("011 44 20 7946 0958", "GB", "GB", "US IDD 011 does not work from GB"),
        bad("011", "US", "too short after the international prefix", "IDD alone"),
        bad("+999 123 4567", "US", "invalid country code", "country code 999"),
        bad("+0 201 555 0123", "US", "invalid country code", "country code 0"),

        // --- refused: extensions --------------------------------------------
        bad("201 555 0123 ext. 45", "US", "extension", "ext."),
        bad("(201) 555-0123 x45", "US", "extension", "x"),
        bad("201-555-0123 #45", "US", "extension", "#"),
        bad("tel:+1-201-555-0123;ext=45", "US", "extension", "tel: with ext="),
        bad("020 7946 0958 ext 12", "GB", "extension", "GB extension"),

        // --- refused: regions -----------------------------------------------
        bad("201 555 0123", "xx", "unknown region \"xx\"", "unknown region"),
        bad("+1 201 555 0123", "xx", "unknown region \"xx\"", "unknown region even with +"),
        bad("+1 201 555 0123", "", "unknown region \"\"", "empty region even with +"),
        bad("201 555 0123", "USA", "unknown region \"USA\"", "three-letter code"),
        bad("201 555 0123", "001", "unknown region \"001\"", "non-geographic 001"),
        bad("201 555 0123", "ZZ", "unknown region \"ZZ\"", "ZZ"),
        bad("201 555 0123", "U1", "unknown region", "digit in region"),
        bad("201 555 0123", " US", "unknown region", "region with a space"),
        bad("201 555 0123", "UK", "unknown region \"UK\"", "UK is not the ISO code (GB is)"),
        bad("201 555 0123", "\x01\x02", "unknown region (not a two-letter code)",
            "control characters in region"),

        // --- refused: size, control characters, encoding --------------------
        bad(std::string(1 << 20, '1'), "US", "longer than 250 bytes", "1 MB of digits"),
        bad("+1 201 555 0123" + std::string(1 << 20, ' '), "US", "longer than 250 bytes",
            "1 MB of trailing spaces"),
        bad(std::string(251, '5'), "US", "longer than 250 bytes", "251 digits"),
        bad("201\0 555 0123"s, "US", "control character (U+0000)", "NUL inside"),
        bad("201 555 0123\0"s, "US", "control character (U+0000)", "NUL at the end"),
        bad("201 555\t0123", "US", "control character (U+0009)", "tab inside"),
        bad("201\n555 0123", "US", "control character (U+000A)", "newline inside"),
        bad("201 555 0123\x1b", "US", "control character (U+001B)", "escape"),
        bad("201 555 0123\xff", "US", "invalid UTF-8", "0xFF byte"),
        bad("\xc0\xb1 201 555 0123", "US", "invalid UTF-8", "overlong digit 1"),
    };
}

class PhoneTest : public ::testing::TestWithParam<PhoneCase> {};

TEST_P(PhoneTest, Normalizes) {
    const PhoneCase& c = GetParam();
    const pm::core::Normalized r = normalize_phone(c.raw, c.region, c.accept);
    if (!c.expected.empty()) {
        ASSERT_TRUE(r.ok()) << "refused: " << r.error;
        EXPECT_EQ(r.value, c.expected);
        // E.164 output is a fixed point, in the region given or any other.
        const pm::core::Normalized again = normalize_phone(r.value, "FR", c.accept);
        ASSERT_TRUE(again.ok()) << again.error;
        EXPECT_EQ(again.value, r.value);
    } else {
        EXPECT_FALSE(r.ok()) << "accepted as " << r.value;
        EXPECT_TRUE(r.value.empty());
        EXPECT_NE(r.error.find(c.reason), std::string::npos)
            << "reason \"" << r.error << "\" does not mention \"" << c.reason << "\"";
    }
}

INSTANTIATE_TEST_SUITE_P(Cases, PhoneTest, ::testing::ValuesIn(cases()));

// phone_info agrees with normalize_phone: an accepted number is valid and has
// the same E.164 form, an invalid one is refused.
TEST(PhoneInfo, AgreesWithNormalizePhone) {
    for (const PhoneCase& c : cases()) {
        if (c.accept != PhoneAccept::Valid) continue;
        SCOPED_TRACE(c.note);
        const pm::core::Normalized r = normalize_phone(c.raw, c.region);
        const pm::core::PhoneInfo info = phone_info(c.raw, c.region);
        if (r.ok()) {
            EXPECT_TRUE(info.parsed);
            EXPECT_TRUE(info.is_valid);
            EXPECT_TRUE(info.is_possible);
            EXPECT_EQ(info.e164, r.value);
        }
        if (!info.is_valid) {
            EXPECT_FALSE(r.ok()) << r.value;
        }
        if (!info.parsed) {
            EXPECT_FALSE(info.is_possible);
        }
    }
}

TEST(PhoneInfo, UsNumber) {
    const auto i = phone_info("(201) 555-0123", "us");
    EXPECT_TRUE(i.parsed);
    EXPECT_EQ(i.e164, "+12015550123");
    EXPECT_TRUE(i.is_valid);
    EXPECT_TRUE(i.is_possible);
    EXPECT_EQ(i.region, "US");
    EXPECT_EQ(i.country_code, 1);
    EXPECT_EQ(i.number_type, "fixed_line_or_mobile");
    EXPECT_EQ(i.national_format, "(201) 555-0123");
    EXPECT_EQ(i.international_format, "+1 201-555-0123");
}

TEST(PhoneInfo, UkMobile) {
    const auto i = phone_info("+44 7400 123456", "US");
    EXPECT_TRUE(i.parsed);
    EXPECT_EQ(i.e164, "+447400123456");
    EXPECT_EQ(i.region, "GB");
    EXPECT_EQ(i.country_code, 44);
    EXPECT_EQ(i.number_type, "mobile");
    EXPECT_EQ(i.national_format, "07400 123456");
    EXPECT_EQ(i.international_format, "+44 7400 123456");
}

TEST(PhoneInfo, LondonFixedLine) {
    const auto i = phone_info("020 7946 0958", "GB");
    EXPECT_EQ(i.number_type, "fixed_line");
    EXPECT_EQ(i.national_format, "020 7946 0958");
    EXPECT_EQ(i.international_format, "+44 20 7946 0958");
}

TEST(PhoneInfo, NumberTypes) {
    struct T { const char* raw; const char* region; const char* type; };
    const T table[] = {
        {"1-800-FLOWERS", "US", "toll_free"},
        {"0800 123 4567", "GB", "toll_free"},
        {"09012 345678", "GB", "premium_rate"},
        {"090-1234-5678", "JP", "mobile"},
        {"030 123456", "DE", "fixed_line"},
        {"+1 123 456 7890", "US", "unknown"},
    };
    for (const T& t : table) {
        SCOPED_TRACE(t.raw);
        EXPECT_EQ(phone_info(t.raw, t.region).number_type, t.type);
    }
}

TEST(PhoneInfo, NonGeographicRegionIs001) {
    const auto i = phone_info("+800 1234 5678", "US");
    EXPECT_TRUE(i.is_valid);
    EXPECT_EQ(i.region, "001");
    EXPECT_EQ(i.country_code, 800);
    EXPECT_EQ(i.number_type, "toll_free");
}

TEST(PhoneInfo, InvalidButPossible) {
    const auto i = phone_info("+1 123 456 7890", "US");
    EXPECT_TRUE(i.parsed);
    EXPECT_FALSE(i.is_valid);
    EXPECT_TRUE(i.is_possible);
    EXPECT_EQ(i.region, "");  // libphonenumber's "ZZ"
    EXPECT_EQ(i.country_code, 1);
    EXPECT_EQ(i.e164, "+11234567890");
}

TEST(PhoneInfo, LocalOnlyIsNotPossible) {
    const auto i = phone_info("555-0123", "US");
    EXPECT_TRUE(i.parsed);
    EXPECT_FALSE(i.is_valid);
    EXPECT_FALSE(i.is_possible);
}

TEST(PhoneInfo, ExtensionIsValidButNotNormalized) {
    const auto i = phone_info("201 555 0123 x45", "US");
    EXPECT_TRUE(i.is_valid);
    EXPECT_EQ(i.e164, "+12015550123");
    EXPECT_EQ(i.international_format, "+1 201-555-0123 ext. 45");
    EXPECT_FALSE(normalize_phone("201 555 0123 x45", "US").ok());
}

TEST(PhoneInfo, NeverFails) {
    const std::pair<std::string, std::string> inputs[] = {
        {"", "US"},          {"abc", "US"},
        {"+1 201 555 0123", "xx"}, {"+1 201 555 0123", ""},
        {std::string(1 << 20, '9'), "US"}, {"201\0 555"s, "US"},
        {"\xff\xfe", "US"},  {"+999 1234", "US"},
    };
    for (const auto& [raw, region] : inputs) {
        SCOPED_TRACE(raw.substr(0, 20) + " / " + region);
        const auto i = phone_info(raw, region);
        EXPECT_FALSE(i.parsed);
        EXPECT_FALSE(i.is_possible);
        EXPECT_FALSE(i.is_valid);
        EXPECT_TRUE(i.e164.empty());
    }
}

TEST(PhoneMemoForm, DigitsAndALeadingPlus) {
    EXPECT_EQ(phone_memo_form("(415) 555-0132"), "4155550132");
    EXPECT_EQ(phone_memo_form("415.555.0132"), "4155550132");
    EXPECT_EQ(phone_memo_form(" +1 415 555 0132 "), "+14155550132");
    EXPECT_EQ(phone_memo_form("+44 (0) 20 7946 0018"), "+4402079460018");
    // Anything libphonenumber might read by more than its digits: none.
    for (const char* raw : {"1+415 555 0132", "++1 415", "415 555 0132 ext. 12", "415-555-0132 x12",
                            "tel:+1-415-555-0132", "(650) 2S3-OOOO", "1-800-FLOWERS", "415/555/0132",
                            "415 555 0132#", "415;555", "\xef\xbc\x94\xef\xbc\x91\xef\xbc\x95", "", "  ", "+",
                            "()-."})
        EXPECT_EQ(phone_memo_form(raw), std::nullopt) << raw;
    EXPECT_EQ(phone_memo_form(std::string(65, '1')), std::nullopt);
}

// What makes phone_memo_form safe as a memo key: any two spellings with the
// same form normalize alike. Checked over libphonenumber's example numbers
// of every region (fixed line and mobile), written in E.164, international
// and national format and respelled with other punctuation, "(0)" after
// the country code, an international dialling prefix, a digit missing or
// added; each read in its own region and in US, in both modes.
TEST(PhoneMemoForm, SpellingsWithOneFormNormalizeAlike) {
    using i18n::phonenumbers::PhoneNumber;
    using i18n::phonenumbers::PhoneNumberUtil;
    const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
    std::set<std::string> regions;
    util.GetSupportedRegions(&regions);
    auto respell = [](std::string s, char from, const std::string& to) {
        std::string out;
        for (char c : s) out += c == from ? to : std::string(1, c);
        return out;
    };
    std::size_t compared = 0;
    for (const std::string& region : regions) {
        for (auto type : {PhoneNumberUtil::FIXED_LINE, PhoneNumberUtil::MOBILE}) {
            PhoneNumber pn;
            if (!util.GetExampleNumberForType(region, type, &pn)) continue;
            std::string e164, intl, national, nsn;
            util.Format(pn, PhoneNumberUtil::E164, &e164);
            util.Format(pn, PhoneNumberUtil::INTERNATIONAL, &intl);
            util.Format(pn, PhoneNumberUtil::NATIONAL, &national);
            util.GetNationalSignificantNumber(pn, &nsn);
            const std::string cc = std::to_string(pn.country_code());
            std::vector<std::string> spellings = {
                e164, intl, national, nsn, "00" + e164.substr(1), "011" + e164.substr(1),
                respell(intl, ' ', "-"), respell(intl, ' ', "."), respell(national, ' ', ""),
                respell(national, ' ', "  "), "+" + cc + " (0) " + nsn, "+" + cc + "0" + nsn,
                "(" + nsn.substr(0, 3) + ") " + nsn.substr(3), e164.substr(0, e164.size() - 1),
                e164 + "7", national + "12345", "1 " + national, "(+" + cc + ") " + nsn};
            for (const std::string& raw : spellings) {
                const auto form = phone_memo_form(raw);
                if (!form || *form == raw) continue;
                for (const std::string& read_in : {region, std::string("US")})
                    for (PhoneAccept accept : {PhoneAccept::Valid, PhoneAccept::Possible}) {
                        const auto a = normalize_phone(raw, read_in, accept);
                        const auto b = normalize_phone(*form, read_in, accept);
                        ASSERT_EQ(a.ok(), b.ok()) << "'" << raw << "' vs '" << *form << "' in " << read_in
                                                  << ": " << a.error << " / " << b.error;
                        ASSERT_EQ(a.value, b.value) << "'" << raw << "' vs '" << *form << "' in " << read_in;
                        ++compared;
                    }
            }
        }
    }
    EXPECT_GT(compared, 10000u);
}

TEST(CanonicalRegion, CaseInsensitiveAndSupportedOnly) {
    EXPECT_EQ(canonical_region("us"), std::optional<std::string>("US"));
    EXPECT_EQ(canonical_region("Gb"), std::optional<std::string>("GB"));
    EXPECT_EQ(canonical_region("DE"), std::optional<std::string>("DE"));
    EXPECT_EQ(canonical_region("br"), std::optional<std::string>("BR"));
    EXPECT_FALSE(canonical_region("").has_value());
    EXPECT_FALSE(canonical_region("xx").has_value());
    EXPECT_FALSE(canonical_region("ZZ").has_value());
    EXPECT_FALSE(canonical_region("001").has_value());
    EXPECT_FALSE(canonical_region("USA").has_value());
    EXPECT_FALSE(canonical_region("UK").has_value());
    EXPECT_FALSE(canonical_region("u").has_value());
    EXPECT_FALSE(canonical_region("\xc3\xbc" "s").has_value());
}

// libphonenumber must never write to stdout (inside a backend that is the
// server log). Exercise the paths that log in the library: unknown regions,
// unparseable input, invalid country codes.
TEST(PhoneLogging, WritesNothingToStdout) {
    ::testing::internal::CaptureStdout();
    for (const PhoneCase& c : cases()) {
        (void)normalize_phone(c.raw, c.region, c.accept);
        (void)phone_info(c.raw, c.region);
    }
    (void)canonical_region("zz");
    // Whatever logger is installed after the first call must stay silent even
    // at the most verbose level, on a path that logs a warning.
    i18n::phonenumbers::Logger* logger = i18n::phonenumbers::Logger::mutable_logger_impl();
    ASSERT_NE(logger, nullptr);
    const int level = logger->level();
    logger->set_level(i18n::phonenumbers::LOG_DEBUG);
    (void)i18n::phonenumbers::PhoneNumberUtil::GetInstance()->GetCountryCodeForRegion("XX");
    logger->set_level(level);
    EXPECT_EQ(::testing::internal::GetCapturedStdout(), "");
}

}  // namespace
