#include "pg/postgres.hpp"
#include "pg/settings.hpp"

#include <cstring>

namespace pm::pg {

namespace {

char* default_region_setting = nullptr;
int phone_accept_setting = static_cast<int>(core::PhoneAccept::Valid);

const struct config_enum_entry phone_accept_options[] = {
    {"valid", static_cast<int>(core::PhoneAccept::Valid), false},
    {"possible", static_cast<int>(core::PhoneAccept::Possible), false},
    {nullptr, 0, false},
};

// A C callback of the GUC machinery: nothing may throw out of it. An
// accepted region is stored upper-case so the triggers never re-check it.
bool check_default_region(char** newval, void** extra, GucSource source) {
    std::optional<std::string> region;
    try {
        region = core::canonical_region(*newval ? *newval : "");
    } catch (...) {
        region.reset();
    }
    if (!region) {
        GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
        GUC_check_errmsg("unknown region \"%s\"", *newval ? *newval : "");
        GUC_check_errhint("Use a two-letter ISO 3166 region code that libphonenumber supports, such as US, GB or DE.");
        return false;
    }
    if (std::strcmp(region->c_str(), *newval) != 0) {
        // PostgreSQL 15 keeps GUC strings in malloc memory (guc_malloc is not
        // exported before 16), so the replacement is malloc'd too.
        char* upper = static_cast<char*>(malloc(region->size() + 1));
        if (!upper) return false;
        std::memcpy(upper, region->c_str(), region->size() + 1);
        free(*newval);
        *newval = upper;
    }
    return true;
}

}  // namespace

void define_settings() {
    DefineCustomStringVariable(
        "profile_merge.default_region",
        "Region used for phone numbers written without + when no region is given.",
        "A two-letter ISO 3166 code; the event's phone_region and explicit arguments take precedence.",
        &default_region_setting, "US", PGC_USERSET, 0, check_default_region, nullptr, nullptr);
    DefineCustomEnumVariable(
        "profile_merge.phone_accept",
        "Which phone numbers the one-argument normalizers and the triggers accept.",
        "valid: numbers libphonenumber calls valid; possible: also numbers of a possible length.",
        &phone_accept_setting, static_cast<int>(core::PhoneAccept::Valid), phone_accept_options,
        PGC_USERSET, 0, nullptr, nullptr, nullptr);
    MarkGUCPrefixReserved("profile_merge");
}

std::string_view default_region() {
    return default_region_setting ? default_region_setting : "US";
}

core::PhoneAccept phone_accept() { return static_cast<core::PhoneAccept>(phone_accept_setting); }

}  // namespace pm::pg
