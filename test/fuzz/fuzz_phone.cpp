// libFuzzer target: pm::core::normalize_phone and phone_info.
//
// Input: the first byte chooses the region ((byte & 0x7F) % 11 indexes
// kRegions: US GB DE FR IN BR JP AU "" zz gb) and
// the acceptance (bit 0x80: PhoneAccept::Possible, else Valid); the rest is
// the raw number.
//
// Properties checked (DESIGN.md section 2):
//  - neither function crashes, throws or trips ASan/UBSan (phone_info never
//    fails);
//  - an unsupported region ("", "zz") is always refused, phone_info gives
//    parsed = false;
//  - region codes are case-insensitive ("gb" behaves as "GB");
//  - failure: no value, an error that is well-formed UTF-8 and short;
//  - success: "+" then digits only, at most 16 characters (E.164: 15
//    digits; longer ones are refused, "longer than the 15 digits E.164
//    allows"); re-normalizing the output (same region and acceptance, and
//    from another region, as it carries its "+") gives itself, under
//    Possible too (a possible number whose E.164 form reads back differently
//    is refused, "not a stable phone number"); phone_info of the raw input
//    agrees (parsed, same e164, valid or, with Possible, possible; country
//    code is the prefix of the digits);
//  - phone_info: when parsed, e164 is "+digits", every string is UTF-8,
//    number_type is one of the documented names and region is "", two
//    upper-case letters, or "001" (non-geographic numbers such as +800, as
//    src/core/phone.hpp documents).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/phone.hpp"
#include "fuzz_common.hpp"

using pm::core::Normalized;
using pm::core::PhoneAccept;
using pm::core::PhoneInfo;
using pm::fuzz::printable;
using pm::fuzz::utf8_valid;

namespace {

constexpr std::string_view kRegions[] = {"US", "GB", "DE", "FR", "IN", "BR",
                                         "JP", "AU", "",   "zz", "gb"};
constexpr std::size_t kNumRegions = sizeof kRegions / sizeof kRegions[0];

std::string_view g_raw, g_region;
PhoneAccept g_accept = PhoneAccept::Valid;

std::string describe() {
    return "region = " + printable(g_region) +
           ", accept = " + (g_accept == PhoneAccept::Possible ? "Possible" : "Valid") +
           ", raw = " + printable(g_raw);
}

Normalized normalize(std::string_view raw, std::string_view region, PhoneAccept accept) {
    try {
        return pm::core::normalize_phone(raw, region, accept);
    } catch (const std::exception& e) {
        PM_CHECK(false, "normalize_phone threw: %s", e.what());
    } catch (...) {
        PM_CHECK(false, "normalize_phone threw a non-std exception");
    }
}

PhoneInfo info_of(std::string_view raw, std::string_view region) {
    try {
        return pm::core::phone_info(raw, region);
    } catch (const std::exception& e) {
        PM_CHECK(false, "phone_info threw: %s", e.what());
    } catch (...) {
        PM_CHECK(false, "phone_info threw a non-std exception");
    }
}

bool plus_digits(const std::string& s) {
    if (s.size() < 2 || s[0] != '+') return false;
    for (std::size_t i = 1; i < s.size(); ++i)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

bool known_type(const std::string& t) {
    for (std::string_view n : {"fixed_line", "mobile", "fixed_line_or_mobile", "toll_free",
                               "premium_rate", "shared_cost", "voip", "personal_number", "pager",
                               "uan", "voicemail", "unknown"})
        if (t == n) return true;
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    pm::fuzz::describer() = describe;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::string_view region = kRegions[(data[0] & 0x7F) % kNumRegions];
    const PhoneAccept accept = (data[0] & 0x80) ? PhoneAccept::Possible : PhoneAccept::Valid;
    const std::string raw(reinterpret_cast<const char*>(data + 1), size - 1);
    g_raw = raw;
    g_region = region;
    g_accept = accept;

    const Normalized n = normalize(raw, region, accept);
    const PhoneInfo info = info_of(raw, region);
    const bool region_supported = region.size() == 2 && region != "zz";

    if (!region_supported) {
        PM_CHECK(!n.ok(), "unsupported region accepted, gave %s", printable(n.value).c_str());
        PM_CHECK(!info.parsed, "phone_info parsed a number with an unsupported region");
    }
    if (region == "gb") {
        const Normalized upper = normalize(raw, "GB", accept);
        PM_CHECK(upper.value == n.value && upper.error == n.error,
                 "region 'gb' and 'GB' differ: %s / %s vs %s / %s", printable(n.value).c_str(),
                 printable(n.error).c_str(), printable(upper.value).c_str(),
                 printable(upper.error).c_str());
        const PhoneInfo upper_info = info_of(raw, "GB");
        PM_CHECK(upper_info.parsed == info.parsed && upper_info.e164 == info.e164,
                 "phone_info differs between 'gb' and 'GB'");
    }

    if (!n.ok()) {
        PM_CHECK(n.value.empty(), "failure carries a value %s", printable(n.value).c_str());
        PM_CHECK(utf8_valid(n.error), "error message is not UTF-8: %s", printable(n.error).c_str());
        PM_CHECK(n.error.size() <= 200, "error message of %zu bytes: %s", n.error.size(),
                 printable(n.error).c_str());
    } else {
        const std::string& out = n.value;
        PM_CHECK(plus_digits(out), "output %s is not '+' and digits", printable(out).c_str());
        // E.164 allows 15 digits; libphonenumber's metadata (German numbers
        // with a direct-dial extension, Japanese ones when only possible)
        // allows more, and normalize_phone refuses those.
        PM_CHECK(out.size() <= 16, "output %s is longer than E.164 allows (%zu digits)",
                 printable(out).c_str(), out.size() - 1);
        PM_CHECK(utf8_valid(raw), "accepted input that is not UTF-8");

        // Idempotent under both acceptances: with PhoneAccept::Possible a
        // number whose E.164 form libphonenumber parses back differently (a
        // national prefix left in the national number is stripped on the
        // second parse) is refused rather than stored.
        const Normalized again = normalize(out, region, accept);
        PM_CHECK(again.ok() && again.value == out, "not idempotent: normalize_phone(%s) = %s / error %s",
                 printable(out).c_str(), printable(again.value).c_str(), printable(again.error).c_str());
        const std::string_view other = region == "FR" ? "JP" : "FR";
        const Normalized elsewhere = normalize(out, other, accept);
        PM_CHECK(elsewhere.ok() && elsewhere.value == out,
                 "the E.164 form %s read from region %s gives %s / error %s",
                 printable(out).c_str(), std::string(other).c_str(),
                 printable(elsewhere.value).c_str(), printable(elsewhere.error).c_str());

        PM_CHECK(info.parsed, "normalize_phone accepted what phone_info could not parse");
        PM_CHECK(info.e164 == out, "phone_info e164 %s differs from normalize_phone %s",
                 printable(info.e164).c_str(), printable(out).c_str());
        PM_CHECK(info.is_valid || (accept == PhoneAccept::Possible && info.is_possible),
                 "accepted a number phone_info calls valid=%d possible=%d", info.is_valid,
                 info.is_possible);
        const std::string cc = std::to_string(info.country_code);
        PM_CHECK(out.compare(1, cc.size(), cc) == 0, "country code %s is not the prefix of %s",
                 cc.c_str(), out.c_str());
    }

    if (info.parsed) {
        PM_CHECK(plus_digits(info.e164), "phone_info e164 %s is not '+' and digits",
                 printable(info.e164).c_str());
        PM_CHECK(info.country_code > 0, "phone_info country code %d", info.country_code);
        PM_CHECK(known_type(info.number_type), "unknown number type %s",
                 printable(info.number_type).c_str());
        PM_CHECK(utf8_valid(info.national_format) && utf8_valid(info.international_format) &&
                     utf8_valid(info.region),
                 "phone_info strings are not UTF-8");
        // PhoneInfo::region: an ISO code, "001" for non-geographic numbers
        // (libphonenumber's non-geographic entity, e.g. +800), "" if unknown.
        const bool iso = info.region.size() == 2 && info.region[0] >= 'A' &&
                         info.region[0] <= 'Z' && info.region[1] >= 'A' && info.region[1] <= 'Z';
        PM_CHECK(info.region.empty() || iso || info.region == "001",
                 "phone_info region %s (country code +%d)", printable(info.region).c_str(),
                 info.country_code);
    } else {
        PM_CHECK(!info.is_possible && !info.is_valid, "unparsed number is possible or valid");
    }
    return 0;
}
