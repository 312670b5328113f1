// SQL-callable normalizers (DESIGN.md section 2): thin wrappers around
// src/core. normalize_* raise 22023, try_* return NULL, phone_info never fails.
#include "pg/boundary/datum.hpp"
#include "pg/entry/trigger_row.hpp"
#include "pg/resolve/phone_memo.hpp"
#include "pg/resolve/settings.hpp"

#include "core/email.hpp"
#include "core/phone.hpp"

namespace {

using namespace pm;
using namespace pm::pg;

// The one-argument phone forms follow the settings; the two-argument forms
// take the region given and always require a valid number (they are
// IMMUTABLE, so no setting may change their answer).
core::Normalized phone_from_args(FunctionCallInfo fcinfo) {
    std::string_view raw = text_arg(fcinfo, 0);
    if (PG_NARGS() > 1) {
        std::string_view region = text_arg(fcinfo, 1);
        return cached_normalize_phone(raw, region, core::PhoneAccept::Valid);
    }
    return cached_normalize_phone(raw, default_region(), phone_accept());
}

}  // namespace

PM_FUNCTION(pm_normalize_email) {
    std::string_view raw = text_arg(fcinfo, 0);
    core::Normalized n = core::normalize_email(raw);
    if (!n.ok())
        invalid_parameter("invalid email address \"" + shorten(raw) + "\": " + n.error);
    return text_datum(n.value);
}

PM_FUNCTION(pm_try_normalize_email) {
    core::Normalized n = core::normalize_email(text_arg(fcinfo, 0));
    if (!n.ok()) PG_RETURN_NULL();
    return text_datum(n.value);
}

PM_FUNCTION(pm_normalize_phone) {
    core::Normalized n = phone_from_args(fcinfo);
    if (!n.ok())
        invalid_parameter("invalid phone number \"" + shorten(text_arg(fcinfo, 0)) + "\": " + n.error);
    return text_datum(n.value);
}

PM_FUNCTION(pm_try_normalize_phone) {
    core::Normalized n = phone_from_args(fcinfo);
    if (!n.ok()) PG_RETURN_NULL();
    return text_datum(n.value);
}

PM_FUNCTION(pm_phone_info) {
    std::string_view raw = text_arg(fcinfo, 0);
    std::string_view region = PG_NARGS() > 1 ? text_arg(fcinfo, 1) : default_region();
    core::PhoneInfo info = core::phone_info(raw, region);

    TupleDesc desc = pg_call([&] {
        TupleDesc td;
        if (get_call_result_type(fcinfo, nullptr, &td) != TYPEFUNC_COMPOSITE)
            elog(ERROR, "phone_info must return a composite type");
        return BlessTupleDesc(td);
    });
    Datum values[8];
    bool nulls[8] = {false};
    // An empty string is an absent field of the record.
    auto set_text = [&](int i, const std::string& s) {
        if (s.empty()) nulls[i] = true;
        else values[i] = text_datum(s);
    };
    set_text(0, info.e164);
    values[1] = BoolGetDatum(info.is_valid);
    values[2] = BoolGetDatum(info.is_possible);
    set_text(3, info.region);
    if (info.parsed) values[4] = Int32GetDatum(info.country_code);
    else nulls[4] = true;
    set_text(5, info.parsed ? info.number_type : std::string());
    set_text(6, info.national_format);
    set_text(7, info.international_format);
    return pg_call([&] { return HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)); });
}

// normalize_event_phone(raw, region DEFAULT NULL): as the triggers read an
// event's phone (its phone_region, else the setting; phone_accept applies).
// A region argument that names no region is the caller's mistake (22023, as
// in normalize_phone), checked even without a number; a blank one is absent,
// as an event's blank phone_region is. A refused number is NULL.
PM_FUNCTION(pm_normalize_event_phone) {
    std::optional<std::string> region;
    if (!PG_ARGISNULL(1)) region = trimmed_or_absent(text_arg(fcinfo, 1));
    std::optional<std::string> canonical = region ? core::canonical_region(*region) : std::nullopt;
    if (region && !canonical)
        throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "unknown region \"" + shorten(*region) + "\"", {},
                       "Use a two-letter ISO 3166 region code that libphonenumber supports, such as US, GB or DE.");
    if (PG_ARGISNULL(0)) PG_RETURN_NULL();
    std::optional<std::string> raw = trimmed_or_absent(text_arg(fcinfo, 0));
    if (!raw) PG_RETURN_NULL();
    if (!canonical) canonical = std::string(default_region());
    core::Normalized n = cached_normalize_phone(*raw, *canonical, phone_accept());
    if (!n.ok()) PG_RETURN_NULL();
    return text_datum(n.value);
}
