// Phone normalizer (DESIGN.md section 2) on top of libphonenumber. This file
// is the only place that reaches PhoneNumberUtil (through phone_util()).
#include "core/phone.hpp"

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <array>
#include <set>
#include <string>

namespace pm::core {

namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

// libphonenumber refuses longer input itself (kMaxInputStringLength); checking
// first avoids copying and scanning megabytes.
constexpr std::size_t kMaxPhoneInput = 250;

// A logger that writes nothing: libphonenumber's default one prints to stdout,
// which inside a Postgres backend ends up in the server log or worse.
class SilentLogger final : public i18n::phonenumbers::Logger {
public:
    void WriteLevel() override {}
    void WriteMessage(const std::string&) override {}
};

// The one accessor of PhoneNumberUtil. The first call silences the library's
// logger (SetLogger takes ownership). Thread-safe static initialisation.
const PhoneNumberUtil& phone_util() {
    static const PhoneNumberUtil* const util = [] {
        PhoneNumberUtil* u = PhoneNumberUtil::GetInstance();
        u->SetLogger(new SilentLogger());
        return u;
    }();
    return *util;
}

// Supported regions as a 26x26 table indexed by the two upper-case letters,
// built once from GetSupportedRegions ("001", the non-geographic entity, is
// not a region one can pass).
const std::array<bool, 26 * 26>& supported_regions() {
    static const std::array<bool, 26 * 26> table = [] {
        std::array<bool, 26 * 26> t{};
        std::set<std::string> regions;
        phone_util().GetSupportedRegions(&regions);
        for (const std::string& r : regions)
            if (r.size() == 2 && r[0] >= 'A' && r[0] <= 'Z' && r[1] >= 'A' && r[1] <= 'Z')
                t[(r[0] - 'A') * 26 + (r[1] - 'A')] = true;
        return t;
    }();
    return table;
}

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

// Writes the upper-case region into out[0..1] when it is supported.
bool lookup_region(std::string_view region, char out[2]) {
    if (region.size() != 2) return false;
    const char a = upper(region[0]), b = upper(region[1]);
    if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z') return false;
    if (!supported_regions()[(a - 'A') * 26 + (b - 'A')]) return false;
    out[0] = a;
    out[1] = b;
    return true;
}

std::string unknown_region(std::string_view region) {
    bool printable = region.size() <= 16;
    for (char c : region) printable = printable && c >= 0x20 && c < 0x7F;
    if (!printable) return "unknown region (not a two-letter code)";
    std::string r = "unknown region \"";
    r.append(region);
    r += '"';
    return r;
}

std::string parse_error_reason(PhoneNumberUtil::ErrorType e) {
    switch (e) {
        case PhoneNumberUtil::INVALID_COUNTRY_CODE_ERROR:
            return "not a phone number: invalid country code";
        case PhoneNumberUtil::TOO_SHORT_AFTER_IDD:
            return "not a phone number: too short after the international prefix";
        case PhoneNumberUtil::TOO_SHORT_NSN:
            return "not a phone number: too short";
        case PhoneNumberUtil::TOO_LONG_NSN:
            return "not a phone number: too long";
        case PhoneNumberUtil::NOT_A_NUMBER:
        default:
            return "not a phone number";
    }
}

// "region GB" when the number was read as a number of the region given,
// otherwise "country code +44".
std::string where(const PhoneNumberUtil& util, const PhoneNumber& pn, const std::string& region) {
    if (util.GetCountryCodeForRegion(region) == pn.country_code()) return "region " + region;
    return "country code +" + std::to_string(pn.country_code());
}

// Why a parsed number that is not valid (or, with `possible_ok`, not
// possible) is refused.
std::string refusal_reason(const PhoneNumberUtil& util, const PhoneNumber& pn,
                           const std::string& region) {
    switch (util.IsPossibleNumberWithReason(pn)) {
        case PhoneNumberUtil::INVALID_COUNTRY_CODE:
            return "invalid country code +" + std::to_string(pn.country_code());
        case PhoneNumberUtil::TOO_SHORT:
            return "too short for " + where(util, pn, region);
        case PhoneNumberUtil::TOO_LONG:
            return "too long for " + where(util, pn, region);
        case PhoneNumberUtil::INVALID_LENGTH:
            return "invalid length for " + where(util, pn, region);
        case PhoneNumberUtil::IS_POSSIBLE_LOCAL_ONLY:
            return "local number without area code for " + where(util, pn, region);
        case PhoneNumberUtil::IS_POSSIBLE:
        default:
            return "not a valid number for " + where(util, pn, region);
    }
}

const char* type_name(PhoneNumberUtil::PhoneNumberType t) {
    switch (t) {
        case PhoneNumberUtil::FIXED_LINE: return "fixed_line";
        case PhoneNumberUtil::MOBILE: return "mobile";
        case PhoneNumberUtil::FIXED_LINE_OR_MOBILE: return "fixed_line_or_mobile";
        case PhoneNumberUtil::TOLL_FREE: return "toll_free";
        case PhoneNumberUtil::PREMIUM_RATE: return "premium_rate";
        case PhoneNumberUtil::SHARED_COST: return "shared_cost";
        case PhoneNumberUtil::VOIP: return "voip";
        case PhoneNumberUtil::PERSONAL_NUMBER: return "personal_number";
        case PhoneNumberUtil::PAGER: return "pager";
        case PhoneNumberUtil::UAN: return "uan";
        case PhoneNumberUtil::VOICEMAIL: return "voicemail";
        case PhoneNumberUtil::UNKNOWN:
        default: return "unknown";
    }
}

// The checks before libphonenumber: length, region, UTF-8, control
// characters, emptiness. On success *text is the trimmed input and
// *region_code the upper-case region.
bool precheck(std::string_view raw, std::string_view region, std::string_view* text,
              std::string* region_code, std::string* reason) {
    if (raw.size() > kMaxPhoneInput) {
        *reason = "input longer than " + std::to_string(kMaxPhoneInput) + " bytes";
        return false;
    }
    char rc[2];
    if (!lookup_region(region, rc)) {
        *reason = unknown_region(region);
        return false;
    }
    if (!detail::clean_input(raw, text, reason)) return false;
    if (text->empty()) {
        *reason = "empty phone number";
        return false;
    }
    region_code->assign(rc, 2);
    return true;
}

}  // namespace

std::optional<std::string> phone_memo_form(std::string_view raw) {
    constexpr std::size_t kMaxMemoForm = 64;
    if (raw.size() > kMaxMemoForm) return std::nullopt;
    std::string digits;
    digits.reserve(raw.size());
    for (char c : raw) {
        if (c >= '0' && c <= '9') {
            digits.push_back(c);
        } else if (c == '+') {
            if (!digits.empty()) return std::nullopt;  // only as the first mark
            digits.push_back(c);
        } else if (c != ' ' && c != '(' && c != ')' && c != '.' && c != '-') {
            return std::nullopt;
        }
    }
    if (digits.empty() || digits == "+") return std::nullopt;
    return digits;
}

std::optional<std::string> canonical_region(std::string_view region) {
    char rc[2];
    if (!lookup_region(region, rc)) return std::nullopt;
    return std::string(rc, 2);
}

constexpr std::size_t kMaxE164Digits = 15;

namespace {

// See placeholder_phone_reason. The area code's length costs a formatting
// of the number, so it is asked only when the number ends in zeros.
std::optional<std::string> placeholder_reason_of(const PhoneNumber& number) {
    std::string national;
    phone_util().GetNationalSignificantNumber(number, &national);
    if (national.empty()) return std::nullopt;
    if (national.find_first_not_of(national[0]) == std::string::npos)
        return std::string("placeholder number (one repeated digit)");
    const std::size_t last_nonzero = national.find_last_not_of('0');
    if (national.size() - 1 - last_nonzero < 3) return std::nullopt;
    const int area = phone_util().GetLengthOfNationalDestinationCode(number);
    if (area > 0 && static_cast<std::size_t>(area) < national.size() &&
        last_nonzero < static_cast<std::size_t>(area))
        return std::string("placeholder number (zeros after the area code)");
    return std::nullopt;
}

}  // namespace

Normalized normalize_phone(std::string_view raw, std::string_view region, PhoneAccept accept) {
    std::string_view text;
    std::string region_code, reason;
    if (!precheck(raw, region, &text, &region_code, &reason))
        return Normalized::failure(std::move(reason));

    const PhoneNumberUtil& util = phone_util();
    PhoneNumber pn;
    const PhoneNumberUtil::ErrorType err = util.Parse(std::string(text), region_code, &pn);
    if (err != PhoneNumberUtil::NO_PARSING_ERROR) return Normalized::failure(parse_error_reason(err));

    // One check on the hot path: validity; with PhoneAccept::Possible a
    // number of a possible full length is enough (checked first, it is the
    // cheaper test). Local-only numbers (no area code) have no E.164 form and
    // are refused either way.
    const bool accepted =
        (accept == PhoneAccept::Possible &&
         util.IsPossibleNumberWithReason(pn) == PhoneNumberUtil::IS_POSSIBLE) ||
        util.IsValidNumber(pn);
    if (!accepted) return Normalized::failure(refusal_reason(util, pn, region_code));

    // E.164 cannot carry an extension, and dropping it would turn one
    // person's line into a switchboard shared by many: refused.
    if (pn.has_extension() && !pn.extension().empty())
        return Normalized::failure("extensions are not supported (ext. " + pn.extension() + ")");

    std::string e164;
    util.Format(pn, PhoneNumberUtil::E164, &e164);
    // E.164 numbers have at most 15 digits; libphonenumber's metadata lets a
    // few longer ones through (German and Japanese ranges).
    if (e164.size() > kMaxE164Digits + 1)
        return Normalized::failure("longer than the 15 digits E.164 allows");
    // A merely possible number must come back as itself when its E.164 form
    // is read again, or the same number typed later would be stored twice
    // (seen with German trunk prefixes: "0 00 40 0" gives +4900400, which
    // reads back as +490400). Valid numbers always do.
    if (accept == PhoneAccept::Possible && !util.IsValidNumber(pn)) {
        PhoneNumber again;
        std::string reread;
        if (util.Parse(e164, region_code, &again) != PhoneNumberUtil::NO_PARSING_ERROR ||
            (util.Format(again, PhoneNumberUtil::E164, &reread), reread != e164))
            return Normalized::failure("not a stable phone number (its E.164 form reads back differently)");
    }
    Normalized accepted_number = Normalized::success(std::move(e164));
    if (auto placeholder = placeholder_reason_of(pn)) accepted_number.placeholder = std::move(*placeholder);
    return accepted_number;
}

PhoneInfo phone_info(std::string_view raw, std::string_view region) {
    PhoneInfo info;
    std::string_view text;
    std::string region_code, reason;
    if (!precheck(raw, region, &text, &region_code, &reason)) return info;

    const PhoneNumberUtil& util = phone_util();
    PhoneNumber pn;
    if (util.Parse(std::string(text), region_code, &pn) != PhoneNumberUtil::NO_PARSING_ERROR)
        return info;

    info.parsed = true;
    info.country_code = pn.country_code();
    info.is_possible = util.IsPossibleNumberWithReason(pn) == PhoneNumberUtil::IS_POSSIBLE;
    info.is_valid = util.IsValidNumber(pn);
    info.number_type = type_name(util.GetNumberType(pn));
    util.GetRegionCodeForNumber(pn, &info.region);
    if (info.region == "ZZ") info.region.clear();
    util.Format(pn, PhoneNumberUtil::E164, &info.e164);
    util.Format(pn, PhoneNumberUtil::NATIONAL, &info.national_format);
    util.Format(pn, PhoneNumberUtil::INTERNATIONAL, &info.international_format);
    return info;
}

}  // namespace pm::core

namespace pm::core {

std::optional<std::string> placeholder_phone_reason(std::string_view e164) {
    if (e164.size() < 3 || e164.size() > 20 || e164[0] != '+') return std::nullopt;
    PhoneNumber number;
    if (phone_util().Parse(std::string(e164), "ZZ", &number) != PhoneNumberUtil::NO_PARSING_ERROR)
        return std::nullopt;
    return placeholder_reason_of(number);
}

}  // namespace pm::core
