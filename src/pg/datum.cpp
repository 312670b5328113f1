#include "pg/datum.hpp"

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

std::string shorten(std::string_view s, size_t max_chars) {
    if (s.size() <= max_chars) return std::string(s);
    size_t cut = max_chars;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // UTF-8 boundary
    return std::string(s.substr(0, cut)) + "...";
}

}  // namespace pm::pg
