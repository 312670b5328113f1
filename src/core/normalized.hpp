#pragma once
#include "core/no_postgres.hpp"

#include <string>
#include <string_view>

namespace pm::core {

// The result of a normalizer: either a canonical value or the reason the raw
// input was refused. A value type rather than an exception because the try_*
// SQL functions and the event trigger treat bad input as an ordinary case.
struct Normalized {
    std::string value;
    std::string error;
    // For an accepted value that is no one's: why it is a placeholder
    // (normalize_phone fills it, as it has the parsed number at hand).
    std::string placeholder;

    bool ok() const { return error.empty(); }

    static Normalized success(std::string v) { return {std::move(v), {}, {}}; }
    static Normalized failure(std::string reason) { return {{}, std::move(reason), {}}; }
};

namespace detail {

// Input hygiene shared by the normalizers (defined in email.cpp): checks that
// `raw` is well-formed UTF-8, strips surrounding white space (ASCII and
// Unicode spaces such as U+00A0 and U+3000, plus U+200B and U+FEFF) and
// refuses control characters (C0, DEL, C1) that remain. On success *trimmed
// views into `raw`; on failure *reason says what is wrong.
bool clean_input(std::string_view raw, std::string_view* trimmed, std::string* reason);

}  // namespace detail

// `raw` without the white space clean_input strips (the same set, so that
// "blank means absent" and the normalizers agree). Defined in email.cpp.
std::string_view trim_space(std::string_view raw);

}  // namespace pm::core
