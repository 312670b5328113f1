// Unit tests of normalize_email (DESIGN.md section 2). Each case gives the
// raw input as a person (or a form, or an import) would send it and either
// the exact canonical address or the fact that it is refused, with a piece of
// the reason that must name what is wrong.
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

#include "core/email.hpp"

using namespace std::string_literals;
using pm::core::normalize_email;

namespace {

struct EmailCase {
    std::string raw;
    std::string expected;  // canonical address; empty = refused
    std::string reason;    // refused: a substring the reason must contain
    std::string note;
};

void PrintTo(const EmailCase& c, std::ostream* os) {
    std::string shown = c.raw.size() > 80 ? c.raw.substr(0, 80) + "...(" +
                                                std::to_string(c.raw.size()) + " bytes)"
                                          : c.raw;
    *os << c.note << ": \"" << shown << "\"";
}

EmailCase ok(std::string raw, std::string expected, std::string note) {
    return {std::move(raw), std::move(expected), {}, std::move(note)};
}
EmailCase bad(std::string raw, std::string reason, std::string note) {
    return {std::move(raw), {}, std::move(reason), std::move(note)};
}

std::string rep(char c, std::size_t n) { return std::string(n, c); }

// 189 octets: 63 + 1 + 63 + 1 + 57 + 4.
const std::string kDomain189 = rep('a', 63) + "." + rep('b', 63) + "." + rep('c', 57) + ".com";
// 190 octets.
const std::string kDomain190 = rep('a', 63) + "." + rep('b', 63) + "." + rep('c', 58) + ".com";

std::vector<EmailCase> cases() {
    return {
        // --- plain addresses and case folding -------------------------------
        ok("user@example.com", "user@example.com", "already canonical"),
        ok("User@Example.COM", "user@example.com", "mixed case"),
        ok("USER@EXAMPLE.COM", "user@example.com", "upper case"),
        ok("first.last@example.com", "first.last@example.com", "dot in local part"),
        ok("First.Last@Sub.Domain.Example.ORG", "first.last@sub.domain.example.org",
           "subdomains"),
        ok("x@example.co.uk", "x@example.co.uk", "three labels"),
        ok("a@b.co", "a@b.co", "shortest sensible address"),
        ok("user-name@my-domain.example", "user-name@my-domain.example", "hyphens"),
        ok("__user__@example.com", "__user__@example.com", "underscores in local part"),
        ok("o'brien@example.ie", "o'brien@example.ie", "apostrophe in local part"),
        ok("A!#$%&'*+-/=?^_`{|}~Z@example.com", "a!#$%&'*+-/=?^_`{|}~z@example.com",
           "every atext special"),
        ok("123@456.com", "123@456.com", "numeric local part and label"),
        ok("user@ab--cd.example", "user@ab--cd.example",
           "-- in positions 3-4 of an ASCII label (exists in DNS)"),
        ok("user@example.museum", "user@example.museum", "long TLD"),
        ok("user@" + rep('a', 63) + ".com", "user@" + rep('a', 63) + ".com",
           "63-octet label"),

        // --- no provider-specific rewriting ---------------------------------
        ok("john.doe+newsletter@gmail.com", "john.doe+newsletter@gmail.com", "plus tag kept"),
        ok("J.O.H.N.Doe@GMail.com", "j.o.h.n.doe@gmail.com", "gmail dots kept"),
        ok("johndoe@googlemail.com", "johndoe@googlemail.com", "googlemail not rewritten"),
        ok("user+tag+more@example.com", "user+tag+more@example.com", "several plus signs"),
        ok("user+@example.com", "user+@example.com", "empty plus tag kept"),

        // --- surrounding white space ----------------------------------------
        ok("  user@example.com  ", "user@example.com", "spaces around"),
        ok("\tuser@example.com\r\n", "user@example.com", "tab and CRLF around"),
        ok("user@example.com\n", "user@example.com", "trailing newline"),
        ok("\n\n  User@Example.com \t\n", "user@example.com", "mixed white space"),
        ok("\v\fuser@example.com", "user@example.com", "vertical tab and form feed"),
        ok("\u00A0user@example.com\u00A0", "user@example.com", "no-break spaces U+00A0"),
        ok("\u3000user@example.com\u3000", "user@example.com", "ideographic spaces U+3000"),
        ok("\u2003user@example.com\u2009", "user@example.com", "em space and thin space"),
        ok("\uFEFFuser@example.com", "user@example.com", "byte order mark"),
        ok("user@example.com\u200B", "user@example.com", "zero width space"),
        ok("\u0085user@example.com\u2028", "user@example.com", "NEL and line separator"),

        // --- mailto: --------------------------------------------------------
        ok("mailto:user@example.com", "user@example.com", "mailto:"),
        ok("MAILTO:User@Example.com", "user@example.com", "MAILTO: upper case"),
        ok("MailTo:user@example.com", "user@example.com", "MailTo: mixed case"),
        ok(" mailto:user@example.com\n", "user@example.com", "mailto: inside white space"),

        // --- internationalized domains (UTS #46, non-transitional) ----------
        ok("user@Bücher.example", "user@xn--bcher-kva.example", "German umlaut"),
        ok("user@BÜCHER.example", "user@xn--bcher-kva.example", "upper-case umlaut"),
        ok("user@münchen.de", "user@xn--mnchen-3ya.de", "münchen.de"),
        ok("user@straße.de", "user@xn--strae-oqa.de", "sharp s kept (non-transitional)"),
        ok("info@пример.испытание", "info@xn--e1afmkfd.xn--80akhbyknj4f", "Cyrillic"),
        ok("Info@Пример.Испытание", "info@xn--e1afmkfd.xn--80akhbyknj4f",
           "Cyrillic capitals"),
        ok("info@例子.测试", "info@xn--fsqu00a.xn--0zwm56d", "Chinese"),
        ok("info@例子。测试", "info@xn--fsqu00a.xn--0zwm56d", "ideographic full stop"),
        ok("info@例え.テスト", "info@xn--r8jz45g.xn--zckzah", "Japanese"),
        ok("info@مثال.إختبار", "info@xn--mgbh0fb.xn--kgbechtv", "Arabic (right to left)"),
        ok("user@xn--bcher-kva.example", "user@xn--bcher-kva.example", "already punycode"),
        ok("user@XN--BCHER-KVA.EXAMPLE", "user@xn--bcher-kva.example", "punycode upper case"),
        ok("user@ｅｘａｍｐｌｅ.com", "user@example.com", "full-width letters mapped"),
        ok("user@ex\u00ADample.com", "user@example.com", "soft hyphen ignored by UTS #46"),
        ok("user@i❤.ws", "user@xn--i-7iq.ws", "emoji domain (UTS #46 allows it)"),

        // --- lengths --------------------------------------------------------
        ok(rep('a', 64) + "@example.com", rep('a', 64) + "@example.com", "64-octet local part"),
        ok(rep('a', 64) + "@" + kDomain189, rep('a', 64) + "@" + kDomain189,
           "254-octet address"),
        ok(rep('A', 64) + "@" + kDomain189, rep('a', 64) + "@" + kDomain189,
           "254-octet address, upper case"),
        bad(rep('a', 65) + "@example.com", "local part longer than 64 octets",
            "65-octet local part"),
        bad(rep('a', 64) + "@" + kDomain190, "address longer than 254 octets",
            "255-octet address"),
        bad("user@" + rep('a', 64) + ".com", "label longer than 63 octets", "64-octet label"),
        bad("user@" + rep('a', 1100) + ".com", "longer than 1024 bytes",
            "1 KB domain refused early"),
        bad(rep('a', 1 << 20) + "@example.com", "longer than 1024 bytes", "1 MB local part"),
        bad("user@example.com" + rep(' ', 1 << 20), "longer than 1024 bytes",
            "1 MB of trailing spaces"),
        bad(rep('@', 1 << 20), "longer than 1024 bytes", "1 MB of @"),

        // --- empty ----------------------------------------------------------
        bad("", "empty address", "empty string"),
        bad("   ", "empty address", "spaces only"),
        bad("\t\r\n", "empty address", "white space only"),
        bad("\u00A0\u3000", "empty address", "Unicode spaces only"),
        bad("mailto:", "empty address", "mailto: alone"),

        // --- the @ ----------------------------------------------------------
        bad("userexample.com", "missing @", "no @"),
        bad("user at example dot com", "missing @", "spelled out"),
        bad("user@@example.com", "more than one @", "double @"),
        bad("a@b@example.com", "more than one @", "two @"),
        bad("a@example.com;b@example.com", "more than one @", "two addresses"),
        bad("@example.com", "empty local part", "nothing before @"),
        bad("user@", "empty domain", "nothing after @"),
        bad("@", "empty local part", "@ alone"),

        // --- local part -----------------------------------------------------
        bad("\"john doe\"@example.com", "quoted", "quoted local part with space"),
        bad("\"john\"@example.com", "quoted", "quoted local part"),
        bad("\"a@b\"@example.com", "quoted", "quoted local part with @"),
        bad("john(comment)@example.com", "comment", "comment in local part"),
        bad("john@example.com(comment)", "comment", "comment after domain"),
        bad("(c)john@example.com", "comment", "leading comment"),
        bad("John Doe <john@example.com>", "local part contains invalid character ' '",
            "display name"),
        bad("<john@example.com>", "local part contains invalid character '<'", "angle brackets"),
        bad("john doe@example.com", "local part contains invalid character ' '",
            "space in local part"),
        bad("john,doe@example.com", "local part contains invalid character ','", "comma"),
        bad("john:doe@example.com", "local part contains invalid character ':'", "colon"),
        bad("john\\doe@example.com", "local part contains invalid character '\\'", "backslash"),
        bad("mailto:mailto:john@example.com", "local part contains invalid character ':'",
            "mailto: stripped once only"),
        bad(".john@example.com", "local part starts with a dot", "leading dot"),
        bad("john.@example.com", "local part ends with a dot", "trailing dot in local part"),
        bad("jo..hn@example.com", "local part contains consecutive dots", "consecutive dots"),
        bad("jöhn@example.com", "non-ASCII character 'ö'", "non-ASCII local part"),
        bad("用户@例子.测试", "non-ASCII", "CJK local part (SMTPUTF8 not supported)"),
        bad("john\u00A0doe@example.com", "non-ASCII", "no-break space inside"),

        // --- domain ---------------------------------------------------------
        bad("john@example.com.", "domain ends with a dot", "trailing dot"),
        bad("john@.example.com", "domain starts with a dot", "leading dot in domain"),
        bad("john@example..com", "domain contains consecutive dots", "empty label"),
        bad("john@例子。。测试", "consecutive dots", "two ideographic full stops"),
        bad("john@localhost", "domain needs at least two labels", "single label"),
        bad("john@example", "domain needs at least two labels", "single label 2"),
        bad("john@münchen", "domain needs at least two labels", "single IDN label"),
        bad("john@-example.com", "domain label starts with '-'", "leading hyphen"),
        bad("john@example-.com", "domain label ends with '-'", "trailing hyphen"),
        bad("john@example.-com", "domain label starts with '-'", "hyphen before TLD"),
        bad("john@-bücher.example", "domain label starts with '-'", "IDN leading hyphen"),
        bad("john@bücher-.example", "domain label ends with '-'", "IDN trailing hyphen"),
        bad("john@exa_mple.com", "domain contains invalid character '_'", "underscore"),
        bad("john@exa mple.com", "domain contains invalid character ' '", "space in domain"),
        bad("john@ example.com", "domain contains invalid character ' '", "space after @"),
        bad("john@example.com,", "domain contains invalid character ','", "trailing comma"),
        bad("john@example,com", "domain contains invalid character ','", "comma for dot"),
        bad("john@example.com?subject=hi", "domain contains invalid character '?'",
            "mailto with query"),
        bad("john@[192.168.0.1]", "domain literal", "IPv4 literal"),
        bad("john@[IPv6:2001:db8::1]", "domain literal", "IPv6 literal"),
        bad("john@192.168.0.1", "top-level domain is all digits", "bare IP address"),
        bad("john@example.123", "top-level domain is all digits", "numeric TLD"),
        bad("john@xn--a.com", "domain", "A-label that decodes to a control character"),
        bad("john@exam\uE000ple.com", "not allowed", "private-use character"),
        bad("john@a\u200Db.com", "joiner", "ZWJ between Latin letters (CONTEXTJ)"),
        bad("john@مثالabc.com", "bidi", "label mixing Arabic and Latin (bidi rule)"),

        // --- control characters and encoding --------------------------------
        bad("john\0@example.com"s, "control character (U+0000)", "NUL inside"),
        bad("john@example.com\0"s, "control character (U+0000)", "NUL at the end"),
        bad("\0john@example.com"s, "control character (U+0000)", "NUL at the start"),
        bad("jo\nhn@example.com", "control character (U+000A)", "newline inside"),
        bad("john@exa\tmple.com", "control character (U+0009)", "tab inside domain"),
        bad("john\x7f@example.com", "control character (U+007F)", "DEL"),
        bad("john\x1b[0m@example.com", "control character (U+001B)", "ANSI escape"),
        bad("jo\u0085hn@example.com", "control character (U+0085)", "C1 NEL inside"),
        bad("john\xff@example.com", "invalid UTF-8", "0xFF byte"),
        bad("john@b\xc3\x28.com", "invalid UTF-8", "bad continuation byte"),
        bad("john\xc0\xaf@example.com", "invalid UTF-8", "overlong encoding"),
        bad("john@\xed\xa0\x80.com", "invalid UTF-8", "UTF-8 encoded surrogate"),
        bad("john@example.com\xe2\x82", "invalid UTF-8", "truncated sequence"),
        bad("john@example.com\xf4\x90\x80\x80", "invalid UTF-8", "above U+10FFFF"),
        bad("\xe9t\xe9@example.com", "invalid UTF-8", "Latin-1 instead of UTF-8"),
    };
}

class EmailTest : public ::testing::TestWithParam<EmailCase> {};

TEST_P(EmailTest, Normalizes) {
    const EmailCase& c = GetParam();
    const pm::core::Normalized r = normalize_email(c.raw);
    if (!c.expected.empty()) {
        ASSERT_TRUE(r.ok()) << "refused: " << r.error;
        EXPECT_EQ(r.value, c.expected);
        EXPECT_LE(r.value.size(), 254u);
        // Canonical output is a fixed point.
        const pm::core::Normalized again = normalize_email(r.value);
        ASSERT_TRUE(again.ok()) << again.error;
        EXPECT_EQ(again.value, r.value);
    } else {
        EXPECT_FALSE(r.ok()) << "accepted as " << r.value;
        EXPECT_TRUE(r.value.empty());
        EXPECT_NE(r.error.find(c.reason), std::string::npos)
            << "reason \"" << r.error << "\" does not mention \"" << c.reason << "\"";
    }
}

INSTANTIATE_TEST_SUITE_P(Cases, EmailTest, ::testing::ValuesIn(cases()));

TEST(EmailReasons, AreShortAndNonEmpty) {
    for (const EmailCase& c : cases()) {
        if (!c.expected.empty()) continue;
        SCOPED_TRACE(c.note);
        const pm::core::Normalized r = normalize_email(c.raw);
        EXPECT_FALSE(r.error.empty());
        EXPECT_LT(r.error.size(), 100u) << r.error;
    }
}

TEST(EmailOutput, IsLowerCaseAscii) {
    for (const EmailCase& c : cases()) {
        if (c.expected.empty()) continue;
        SCOPED_TRACE(c.note);
        const pm::core::Normalized r = normalize_email(c.raw);
        ASSERT_TRUE(r.ok()) << r.error;
        for (char ch : r.value) {
            const auto u = static_cast<unsigned char>(ch);
            EXPECT_TRUE(u > 0x20 && u < 0x7F && !(ch >= 'A' && ch <= 'Z')) << r.value;
        }
        EXPECT_EQ(std::count(r.value.begin(), r.value.end(), '@'), 1);
    }
}

}  // namespace
