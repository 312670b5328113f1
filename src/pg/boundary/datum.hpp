// Moving values across the boundary: Postgres datums in, C++ values out and
// back into palloc'd datums, every Postgres call guarded.
#pragma once

#include "pg/boundary/guard.hpp"

#include <string>
#include <string_view>

namespace pm::pg {

// The bytes of a text datum (detoasted; valid while the current memory
// context lives).
std::string_view text_view(Datum d);
std::string_view text_arg(FunctionCallInfo fcinfo, int n);

// A new text datum holding a copy of `s`, in the current memory context.
Datum text_datum(std::string_view s);

// `s` shortened for error messages (a 1 MB input must not become a 1 MB
// message), control characters escaped.
std::string shorten(std::string_view s, size_t max_chars = 60);

// At most `max_bytes` of `s`, cut at a UTF-8 boundary, otherwise unchanged.
std::string truncated(std::string_view s, size_t max_bytes);

}  // namespace pm::pg
