// libFuzzer target: pm::core::normalize_email on arbitrary bytes (and the
// shared input hygiene: trim_space, normalize_external_id).
//
// Properties checked (DESIGN.md section 2):
//  - never crashes, throws or trips ASan/UBSan;
//  - failure: an error message (non-empty by construction of ok()), no value,
//    the message is well-formed UTF-8 (it ends up in a Postgres ERROR) and
//    short (it quotes at most one character of the input);
//  - success: the input was well-formed UTF-8 of at most 1024 bytes; the
//    output is printable lower-case ASCII without white space, at most 254
//    octets, exactly one '@', a dot-atom local part of at most 64 octets and
//    a domain of >= 2 labels of [a-z0-9-] (1..63 octets, no leading or
//    trailing '-', top-level label not all digits);
//  - idempotent: normalize_email(out) == out;
//  - stable under what the normalizer promises to remove or fold: surrounding
//    (Unicode) white space, a leading "mailto:" in any case, upper case;
//  - surrounding ASCII spaces never change the result, ok or not.
//
// The same bytes also go through the input hygiene the normalizers share:
//  - trim_space: a sub-view of its input, idempotent; a blank input (what the
//    layer treats as absent) is refused by both normalizers;
//  - normalize_external_id: ok => the input was UTF-8, the value is the
//    trimmed input, non-empty, at most kMaxExternalId bytes, without control
//    characters (C0, DEL, C1) or surrounding white space, and idempotent;
//    failure => a short UTF-8 error and no value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/email.hpp"
#include "core/external_id.hpp"
#include "fuzz_common.hpp"

using pm::core::normalize_email;
using pm::core::Normalized;
using pm::fuzz::printable;
using pm::fuzz::utf8_valid;

namespace {

std::string_view g_raw;

std::string describe() { return "raw = " + printable(g_raw); }

bool same(const Normalized& a, const Normalized& b) {
    return a.value == b.value && a.error == b.error;
}

std::string ascii_upper(std::string s) {
    for (char& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
}

void check_canonical(const std::string& out) {
    PM_CHECK(!out.empty(), "ok() with an empty value");
    PM_CHECK(out.size() <= 254, "canonical address of %zu octets", out.size());
    for (unsigned char c : out) {
        PM_CHECK(c > 0x20 && c < 0x7F, "non-printable or non-ASCII byte 0x%02x in %s", c,
                 printable(out).c_str());
        PM_CHECK(!(c >= 'A' && c <= 'Z'), "upper-case letter in %s", printable(out).c_str());
    }
    const std::size_t at = out.find('@');
    PM_CHECK(at != std::string::npos && out.find('@', at + 1) == std::string::npos,
             "not exactly one '@' in %s", printable(out).c_str());
    const std::string local = out.substr(0, at), domain = out.substr(at + 1);
    PM_CHECK(!local.empty() && local.size() <= 64, "local part of %zu octets", local.size());
    PM_CHECK(local.front() != '.' && local.back() != '.' && local.find("..") == std::string::npos,
             "local part is not a dot-atom: %s", printable(local).c_str());
    for (unsigned char c : local)
        PM_CHECK(c == '.' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) !=
                         std::string_view::npos,
                 "local part character 0x%02x is not atext", c);
    std::size_t labels = 0, start = 0;
    while (true) {
        std::size_t end = domain.find('.', start);
        if (end == std::string::npos) end = domain.size();
        const std::string label = domain.substr(start, end - start);
        PM_CHECK(!label.empty() && label.size() <= 63, "domain label of %zu octets in %s",
                 label.size(), printable(domain).c_str());
        PM_CHECK(label.front() != '-' && label.back() != '-', "label %s starts or ends with '-'",
                 printable(label).c_str());
        bool all_digits = true;
        for (unsigned char c : label) {
            PM_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-',
                     "domain character 0x%02x", c);
            all_digits = all_digits && c >= '0' && c <= '9';
        }
        ++labels;
        if (end == domain.size()) {
            PM_CHECK(!all_digits, "top-level label is all digits: %s", printable(domain).c_str());
            break;
        }
        start = end + 1;
    }
    PM_CHECK(labels >= 2, "domain %s has fewer than two labels", printable(domain).c_str());
}

void expect_same_value(const std::string& input, const std::string& out, const char* what) {
    const Normalized again = normalize_email(input);
    PM_CHECK(again.ok() && again.value == out, "%s: normalize_email(%s) = %s / error %s, expected %s",
             what, printable(input).c_str(), printable(again.value).c_str(),
             printable(again.error).c_str(), printable(out).c_str());
}

bool has_control(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x20 || b == 0x7F) return true;
        if (b == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F) return true;
    }
    return false;
}

void check_trim_and_external_id(const std::string& raw, const Normalized& email) {
    const std::string_view t = pm::core::trim_space(raw);
    PM_CHECK(t.data() >= raw.data() && t.data() + t.size() <= raw.data() + raw.size(),
             "trim_space returned a view outside its input");
    PM_CHECK(pm::core::trim_space(t) == t, "trim_space is not idempotent: %s -> %s",
             printable(t).c_str(), printable(pm::core::trim_space(t)).c_str());

    const Normalized x = pm::core::normalize_external_id(raw);
    if (t.empty()) {
        PM_CHECK(!email.ok(), "a blank input is an e-mail address");
        PM_CHECK(!x.ok(), "a blank input is an external_id");
    }
    if (!x.ok()) {
        PM_CHECK(x.value.empty() && utf8_valid(x.error) && x.error.size() <= 200,
                 "external_id failure: value %s, error %s", printable(x.value).c_str(),
                 printable(x.error).c_str());
        return;
    }
    PM_CHECK(utf8_valid(raw), "external_id accepted input that is not UTF-8");
    PM_CHECK(!x.value.empty() && x.value.size() <= pm::core::kMaxExternalId,
             "external_id of %zu bytes", x.value.size());
    PM_CHECK(x.value == t, "external_id %s is not the trimmed input %s", printable(x.value).c_str(),
             printable(t).c_str());
    PM_CHECK(!has_control(x.value), "external_id with a control character: %s",
             printable(x.value).c_str());
    PM_CHECK(pm::core::trim_space(x.value) == x.value, "external_id with surrounding white space");
    const Normalized again = pm::core::normalize_external_id(x.value);
    PM_CHECK(again.ok() && again.value == x.value, "external_id not idempotent: %s -> %s / %s",
             printable(x.value).c_str(), printable(again.value).c_str(), printable(again.error).c_str());
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    pm::fuzz::describer() = describe;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string raw(reinterpret_cast<const char*>(data), size);
    g_raw = raw;

    Normalized n;
    try {
        n = normalize_email(raw);
    } catch (const std::exception& e) {
        PM_CHECK(false, "normalize_email threw: %s", e.what());
    } catch (...) {
        PM_CHECK(false, "normalize_email threw a non-std exception");
    }

    if (!n.ok()) {
        PM_CHECK(!n.error.empty(), "not ok() without an error");
        PM_CHECK(n.value.empty(), "failure carries a value %s", printable(n.value).c_str());
        PM_CHECK(utf8_valid(n.error), "error message is not UTF-8: %s", printable(n.error).c_str());
        PM_CHECK(n.error.size() <= 200, "error message of %zu bytes", n.error.size());
    } else {
        PM_CHECK(raw.size() <= 1024, "accepted an input of %zu bytes", raw.size());
        PM_CHECK(utf8_valid(raw), "accepted input that is not UTF-8");
        check_canonical(n.value);
        expect_same_value(n.value, n.value, "not idempotent");
        expect_same_value(" \t" + n.value + "\r\n", n.value, "ASCII white space");
        expect_same_value("\xC2\xA0" + n.value + "\xE3\x80\x80\xEF\xBB\xBF", n.value,
                          "Unicode white space (U+00A0, U+3000, U+FEFF)");
        expect_same_value("MailTo:" + n.value, n.value, "mailto: prefix");
        expect_same_value(ascii_upper(n.value), n.value, "upper case");
        expect_same_value(ascii_upper(raw), n.value, "upper-cased input");
    }

    check_trim_and_external_id(raw, n);

    // Surrounding ASCII spaces are trimmed before anything else looks at the
    // input, so they change nothing (as long as the length limit is not hit).
    if (raw.size() + 2 <= 1024) {
        const Normalized padded = normalize_email(" " + raw + " ");
        PM_CHECK(same(padded, n), "padding with spaces changed the result: %s / %s vs %s / %s",
                 printable(padded.value).c_str(), printable(padded.error).c_str(),
                 printable(n.value).c_str(), printable(n.error).c_str());
    }
    return 0;
}
