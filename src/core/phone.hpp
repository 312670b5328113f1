#pragma once
#include "core/no_postgres.hpp"

#include <optional>
#include <string>
#include <string_view>

#include "core/normalized.hpp"

namespace pm::core {

enum class PhoneAccept { Valid, Possible };

// E.164 form of a phone number typed by a person. `region` is an ISO 3166
// two-letter code (any case) used for numbers written without "+"; it must
// be one libphonenumber supports.
Normalized normalize_phone(std::string_view raw, std::string_view region,
                           PhoneAccept accept = PhoneAccept::Valid);

struct PhoneInfo {
    bool parsed = false;           // false: nothing else is meaningful
    std::string e164;
    bool is_valid = false;
    bool is_possible = false;
    std::string region;            // region the number belongs to: an ISO code,
                                   // "001" for non-geographic numbers (+800),
                                   // "" if unknown
    int country_code = 0;
    std::string number_type;       // "mobile", "fixed_line", ... lower case
    std::string national_format;
    std::string international_format;
};

// Never fails: unparseable input gives parsed = false, is_possible = false.
PhoneInfo phone_info(std::string_view raw, std::string_view region);

// The form under which a typed number may share a memo entry with the
// other ways of typing it: its digits, with the leading "+" if it has one.
// Only for text made of ASCII digits, spaces, "(", ")", ".", "-" and one
// leading "+" (at most 64 bytes): libphonenumber reads such text by its
// digits alone, so "(415) 555-0132", "415.555.0132" and "4155550132" give
// the same result in every region and either mode (test_phone.cpp checks
// this over every region's example numbers in many spellings). Nothing
// for any other text (letters, "#", ";", "/", "tel:", other scripts).
std::optional<std::string> phone_memo_form(std::string_view raw);

// Why a normalized (E.164) number is a placeholder an application sends when
// the field is missing, or nothing for a number that may be someone's: a
// national number of one repeated digit (+1 555 555 5555 as 5555555555), or
// one whose digits after the area code are all zeros (+44 20 0000 0000),
// the area code's length being libphonenumber's for that country. No
// example number of any region is a placeholder (test_junk.cpp).
std::optional<std::string> placeholder_phone_reason(std::string_view e164);

// The upper-case form of a region code libphonenumber supports, or nothing.
std::optional<std::string> canonical_region(std::string_view region);

}  // namespace pm::core
