#include "pg/boundary/datum.hpp"

#include <cstdio>

namespace pm::pg {

std::string_view text_view(Datum d) {
    text* t = pg_call([&] { return (text*)PG_DETOAST_DATUM_PACKED(d); });
    return {VARDATA_ANY(t), static_cast<size_t>(VARSIZE_ANY_EXHDR(t))};
}

std::string_view text_arg(FunctionCallInfo fcinfo, int n) { return text_view(PG_GETARG_DATUM(n)); }

Datum text_datum(std::string_view s) {
    return pg_call([&] {
        return PointerGetDatum(cstring_to_text_with_len(s.data(), static_cast<int>(s.size())));
    });
}

namespace {
size_t utf8_cut(std::string_view s, size_t max_bytes) {
    if (s.size() <= max_bytes) return s.size();
    size_t cut = max_bytes;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    return cut;
}
}  // namespace

std::string truncated(std::string_view s, size_t max_bytes) {
    return std::string(s.substr(0, utf8_cut(s, max_bytes)));
}

std::string shorten(std::string_view s, size_t max_chars) {
    const size_t cut = utf8_cut(s, max_chars);
    // Control characters are shown escaped: raw input must not break a
    // message or a log line in two.
    std::string out;
    for (unsigned char c : s.substr(0, cut)) {
        if (c == '\n') out += "\\n";
        else if (c == '\r') out += "\\r";
        else if (c == '\t') out += "\\t";
        else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    if (cut < s.size()) out += "...";
    return out;
}

}  // namespace pm::pg
