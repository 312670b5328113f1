// E-mail normalizer (DESIGN.md section 2) and the input hygiene shared with
// the phone normalizer. Pure C++17 + ICU (UTS #46 for internationalized
// domains); no PostgreSQL header.
#include "core/email.hpp"

#include <unicode/uidna.h>
#include <unicode/utypes.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace pm::core {

namespace {

// Longest raw input looked at. A canonical address has at most 254 octets;
// this leaves room for surrounding white space, "mailto:" and Unicode domains
// (whose UTF-8 form can be longer than their punycode) while refusing
// megabyte inputs before any real work is done.
constexpr std::size_t kMaxEmailInput = 1024;
constexpr std::size_t kMaxLocalPart = 64;
constexpr std::size_t kMaxAddress = 254;
constexpr std::size_t kMaxLabel = 63;

// Decodes one well-formed UTF-8 sequence at s[i]; returns its length, or 0 if
// the bytes there are not well-formed (overlong forms, surrogates, code points
// above U+10FFFF and truncated sequences are all refused).
std::size_t decode_utf8(std::string_view s, std::size_t i, char32_t* out) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        *out = b0;
        return 1;
    }
    const std::size_t left = s.size() - i;
    auto cont = [&](std::size_t k) {
        return (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    };
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        if (left < 2 || !cont(1)) return 0;
        *out = (char32_t(b0 & 0x1F) << 6) | (byte(1) & 0x3F);
        return 2;
    }
    if (b0 >= 0xE0 && b0 <= 0xEF) {
        if (left < 3 || !cont(1) || !cont(2)) return 0;
        const char32_t c = (char32_t(b0 & 0x0F) << 12) | (char32_t(byte(1) & 0x3F) << 6) |
                           (byte(2) & 0x3F);
        if (c < 0x800 || (c >= 0xD800 && c <= 0xDFFF)) return 0;
        *out = c;
        return 3;
    }
    if (b0 >= 0xF0 && b0 <= 0xF4) {
        if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
        const char32_t c = (char32_t(b0 & 0x07) << 18) | (char32_t(byte(1) & 0x3F) << 12) |
                           (char32_t(byte(2) & 0x3F) << 6) | (byte(3) & 0x3F);
        if (c < 0x10000 || c > 0x10FFFF) return 0;
        *out = c;
        return 4;
    }
    return 0;
}

// Unicode White_Space, plus the invisible U+200B ZERO WIDTH SPACE and U+FEFF
// (byte order mark) that copy and paste leave behind.
bool is_space(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200B) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

std::string codepoint_name(char32_t c) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
    return buf;
}

// "' '" for a printable ASCII character, else the UTF-8 character quoted.
std::string quoted_char(std::string_view s, std::size_t i) {
    char32_t c = 0;
    std::size_t n = decode_utf8(s, i, &c);
    if (n == 0) n = 1;
    std::string out = "'";
    out.append(s.substr(i, n));
    out += '\'';
    return out;
}

// RFC 5322 atext (ASCII only).
bool is_atext(unsigned char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
        case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
        case '-': case '/': case '=': case '?': case '^': case '_': case '`': case '{':
        case '|': case '}': case '~':
            return true;
        default:
            return false;
    }
}

char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_ci(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (ascii_lower(s[i]) != prefix[i]) return false;
    return true;
}

// The UTS #46 processor, opened once (thread-safe static initialisation; a
// UIDNA object is immutable and may be shared). nullptr if ICU failed.
const UIDNA* idna() {
    static const UIDNA* const instance = [] {
        UErrorCode status = U_ZERO_ERROR;
        UIDNA* p = uidna_openUTS46(UIDNA_USE_STD3_RULES | UIDNA_CHECK_BIDI | UIDNA_CHECK_CONTEXTJ |
                                       UIDNA_CHECK_CONTEXTO | UIDNA_NONTRANSITIONAL_TO_ASCII,
                                   &status);
        return U_FAILURE(status) ? nullptr : p;
    }();
    return instance;
}

// Structure of an ASCII domain: labels of [a-z0-9-], 1..63 octets, not
// starting or ending with '-', at least two labels, a top-level label that is
// not all digits. `domain` is already lower case. Returns "" when fine.
std::string check_domain_structure(std::string_view domain) {
    if (domain.empty()) return "empty domain";
    if (domain.front() == '.') return "domain starts with a dot";
    if (domain.back() == '.') return "domain ends with a dot";
    std::size_t labels = 0;
    std::size_t start = 0;
    while (true) {
        std::size_t end = domain.find('.', start);
        if (end == std::string_view::npos) end = domain.size();
        const std::string_view label = domain.substr(start, end - start);
        if (label.empty()) return "domain contains consecutive dots";
        if (label.size() > kMaxLabel) return "domain label longer than 63 octets";
        for (std::size_t i = 0; i < label.size(); ++i) {
            const char c = label[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
                return "domain contains invalid character " + quoted_char(label, i);
        }
        if (label.front() == '-') return "domain label starts with '-'";
        if (label.back() == '-') return "domain label ends with '-'";
        ++labels;
        if (end == domain.size()) {
            if (labels < 2) return "domain needs at least two labels";
            bool all_digits = true;
            for (char c : label) all_digits = all_digits && c >= '0' && c <= '9';
            if (all_digits) return "top-level domain is all digits";
            return {};
        }
        start = end + 1;
    }
}

// Reason for a UTS #46 error set (the bits left after structural checks).
std::string idna_reason(uint32_t errors) {
    if (errors & UIDNA_ERROR_DISALLOWED) return "domain contains a character not allowed in domain names";
    if (errors & UIDNA_ERROR_PUNYCODE) return "domain contains an invalid punycode (xn--) label";
    if (errors & UIDNA_ERROR_INVALID_ACE_LABEL) return "domain contains an invalid punycode (xn--) label";
    if (errors & UIDNA_ERROR_BIDI) return "domain mixes right-to-left and left-to-right text (bidi rule)";
    if (errors & UIDNA_ERROR_LEADING_COMBINING_MARK) return "domain label starts with a combining mark";
    if (errors & UIDNA_ERROR_CONTEXTJ) return "domain contains a misplaced zero-width joiner";
    if (errors & (UIDNA_ERROR_CONTEXTO_PUNCTUATION | UIDNA_ERROR_CONTEXTO_DIGITS))
        return "domain contains a character not allowed in its context";
    if (errors & UIDNA_ERROR_EMPTY_LABEL) return "domain contains an empty label";
    if (errors & UIDNA_ERROR_LABEL_TOO_LONG) return "domain label longer than 63 octets";
    if (errors & UIDNA_ERROR_DOMAIN_NAME_TOO_LONG) return "domain longer than 253 octets";
    if (errors & UIDNA_ERROR_LEADING_HYPHEN) return "domain label starts with '-'";
    if (errors & UIDNA_ERROR_TRAILING_HYPHEN) return "domain label ends with '-'";
    return "invalid internationalized domain";
}

constexpr uint32_t kStructuralIdnaErrors =
    UIDNA_ERROR_EMPTY_LABEL | UIDNA_ERROR_LABEL_TOO_LONG | UIDNA_ERROR_DOMAIN_NAME_TOO_LONG |
    UIDNA_ERROR_LEADING_HYPHEN | UIDNA_ERROR_TRAILING_HYPHEN;

// Converts the domain to its lower-case ASCII form in *out. Returns "" on
// success, else the reason.
std::string normalize_domain(std::string_view domain, std::string* out) {
    if (domain.empty()) return "empty domain";
    if (domain.front() == '[') return "domain literals (IP addresses in brackets) are not supported";

    // Cheap checks on the ASCII characters first, for precise reasons; any
    // non-ASCII character is left to UTS #46.
    bool ascii = true;
    for (std::size_t i = 0; i < domain.size(); ++i) {
        const auto c = static_cast<unsigned char>(domain[i]);
        if (c >= 0x80) {
            ascii = false;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.'))
            return "domain contains invalid character " + quoted_char(domain, i);
    }
    if (domain.front() == '.') return "domain starts with a dot";
    if (domain.back() == '.') return "domain ends with a dot";
    if (domain.find("..") != std::string_view::npos) return "domain contains consecutive dots";

    // Labels holding "xn--" must be validated as punycode, so only a domain
    // without one skips ICU.
    bool has_ace = false;
    for (std::size_t i = 0; ascii && i + 4 <= domain.size(); ++i)
        if ((i == 0 || domain[i - 1] == '.') && starts_with_ci(domain.substr(i), "xn--"))
            has_ace = true;

    if (ascii && !has_ace) {
        out->assign(domain);
        for (char& c : *out) c = ascii_lower(c);
    } else {
        const UIDNA* processor = idna();
        if (processor == nullptr) return "internationalized domains unavailable (ICU failed to load)";
        char buf[kMaxEmailInput * 4 + 64];
        UIDNAInfo info = UIDNA_INFO_INITIALIZER;
        UErrorCode status = U_ZERO_ERROR;
        const int32_t n = uidna_nameToASCII_UTF8(processor, domain.data(),
                                                 static_cast<int32_t>(domain.size()), buf,
                                                 static_cast<int32_t>(sizeof buf), &info, &status);
        if (status == U_BUFFER_OVERFLOW_ERROR) return "domain longer than 253 octets";
        if (U_FAILURE(status)) return "invalid internationalized domain";
        // Labels with "--" in the third and fourth positions exist in the
        // DNS; UTS #46 flags them but they are accepted here.
        const uint32_t errors = info.errors & ~static_cast<uint32_t>(UIDNA_ERROR_HYPHEN_3_4);
        if (errors & ~kStructuralIdnaErrors) return idna_reason(errors);
        out->assign(buf, static_cast<std::size_t>(n));
        std::string reason = check_domain_structure(*out);
        if (!reason.empty()) return reason;
        if (errors != 0) return idna_reason(errors);
        return {};
    }
    return check_domain_structure(*out);
}

}  // namespace

namespace detail {

bool clean_input(std::string_view raw, std::string_view* trimmed, std::string* reason) {
    // One pass: validate, and find the first and last character that is not
    // white space.
    std::size_t first = raw.size(), last = 0;  // [first, last)
    for (std::size_t i = 0; i < raw.size();) {
        char32_t c;
        const std::size_t n = decode_utf8(raw, i, &c);
        if (n == 0) {
            *reason = "invalid UTF-8";
            return false;
        }
        if (!is_space(c)) {
            if (first == raw.size()) first = i;
            last = i + n;
        }
        i += n;
    }
    if (first == raw.size()) {
        *trimmed = raw.substr(0, 0);
        return true;
    }
    const std::string_view t = raw.substr(first, last - first);
    for (std::size_t i = 0; i < t.size(); ++i) {
        const auto b = static_cast<unsigned char>(t[i]);
        char32_t c = 0;
        if (b < 0x20 || b == 0x7F) {
            c = b;
        } else if (b == 0xC2 && i + 1 < t.size() && static_cast<unsigned char>(t[i + 1]) <= 0x9F) {
            c = static_cast<unsigned char>(t[i + 1]);  // C1: U+0080..U+009F
        } else {
            continue;
        }
        *reason = "contains a control character (" + codepoint_name(c) + ")";
        return false;
    }
    *trimmed = t;
    return true;
}

}  // namespace detail

std::string_view trim_space(std::string_view raw) {
    std::size_t first = raw.size(), last = 0;
    for (std::size_t i = 0; i < raw.size();) {
        char32_t c;
        const std::size_t n = decode_utf8(raw, i, &c);
        if (n == 0) {  // not UTF-8: nothing more is white space
            if (first == raw.size()) first = i;
            last = raw.size();
            break;
        }
        if (!is_space(c)) {
            if (first == raw.size()) first = i;
            last = i + n;
        }
        i += n;
    }
    return first == raw.size() ? raw.substr(0, 0) : raw.substr(first, last - first);
}

Normalized normalize_email(std::string_view raw) {
    if (raw.size() > kMaxEmailInput)
        return Normalized::failure("input longer than " + std::to_string(kMaxEmailInput) + " bytes");

    std::string_view s;
    std::string reason;
    if (!detail::clean_input(raw, &s, &reason)) return Normalized::failure(std::move(reason));
    if (starts_with_ci(s, "mailto:")) s.remove_prefix(7);
    if (s.empty()) return Normalized::failure("empty address");

    if (s.find('"') != std::string_view::npos)
        return Normalized::failure("quoted local parts are not supported");
    if (s.find_first_of("()") != std::string_view::npos)
        return Normalized::failure("comments in parentheses are not supported");

    const std::size_t at = s.find('@');
    if (at == std::string_view::npos) return Normalized::failure("missing @");
    if (s.find('@', at + 1) != std::string_view::npos) return Normalized::failure("more than one @");

    const std::string_view local = s.substr(0, at);
    const std::string_view domain = s.substr(at + 1);

    // Local part: a dot-atom of ASCII atext.
    if (local.empty()) return Normalized::failure("empty local part");
    for (std::size_t i = 0; i < local.size(); ++i) {
        const auto c = static_cast<unsigned char>(local[i]);
        if (c == '.' || is_atext(c)) continue;
        if (c >= 0x80)
            return Normalized::failure("local part contains non-ASCII character " +
                                       quoted_char(local, i));
        return Normalized::failure("local part contains invalid character " + quoted_char(local, i));
    }
    if (local.front() == '.') return Normalized::failure("local part starts with a dot");
    if (local.back() == '.') return Normalized::failure("local part ends with a dot");
    if (local.find("..") != std::string_view::npos)
        return Normalized::failure("local part contains consecutive dots");
    if (local.size() > kMaxLocalPart) return Normalized::failure("local part longer than 64 octets");

    std::string ascii_domain;
    reason = normalize_domain(domain, &ascii_domain);
    if (!reason.empty()) return Normalized::failure(std::move(reason));

    if (local.size() + 1 + ascii_domain.size() > kMaxAddress)
        return Normalized::failure("address longer than 254 octets");

    std::string out;
    out.reserve(local.size() + 1 + ascii_domain.size());
    for (char c : local) out += ascii_lower(c);
    out += '@';
    out += ascii_domain;
    return Normalized::success(std::move(out));
}

}  // namespace pm::core
