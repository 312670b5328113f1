#include "pg/boundary/postgres.hpp"
#include "pg/resolve/settings.hpp"
#include "pg/boundary/guard.hpp"

#include <cstring>

namespace pm::pg {

namespace {

char* default_region_setting = nullptr;
int phone_accept_setting = static_cast<int>(core::PhoneAccept::Valid);

// A value set before the library was loaded (SET, ALTER DATABASE ... SET)
// waits as a placeholder and is re-applied when the settings are defined.
// Inside a parallel query Postgres refuses that ("cannot set parameters
// during a parallel operation") and falls back to the default, silently
// changing the session's answers. The values are then kept here, validated,
// until the next SET of the setting.
char parallel_region[16] = "";
int parallel_accept = -1;

// A value that was set before the library was loaded and that the check
// refused when the settings were defined. PostgreSQL then keeps the default
// and only warns; the extension does not read that default behind the
// user's back: the readers below raise an error until a valid value is set
// (any assignment of the setting, SET, RESET or set_config, clears it).
char refused_region[64] = "";
char refused_accept[64] = "";

void forget_parallel_region(const char*, void*) {
    parallel_region[0] = '\0';
    refused_region[0] = '\0';
}
void forget_parallel_accept(int, void*) {
    parallel_accept = -1;
    refused_accept[0] = '\0';
}

bool is_phone_accept_value(const char* v) {
    return pg_strcasecmp(v, "valid") == 0 || pg_strcasecmp(v, "possible") == 0;
}

const char* region_hint(const char* value) {
    // ISO 3166 reserves UK for the United Kingdom, whose code is GB; an
    // alias would make one misspelling right and every other one wrong.
    if (pg_strcasecmp(value, "UK") == 0)
        return "The United Kingdom's ISO 3166 code is GB. Use a two-letter region code that libphonenumber "
               "supports, such as US, GB or DE.";
    return "Use a two-letter ISO 3166 region code that libphonenumber supports, such as US, GB or DE.";
}

[[noreturn]] void refuse_setting(const char* name, const char* value, const char* allowed,
                                 const char* example) {
    throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                   std::string(name) + " is \"" + value + "\", not " + allowed,
                   "It was set before the library was loaded, when PostgreSQL could not check it; "
                   "the default is not used instead.",
                   std::string("SET ") + name + " = " + example +
                       ", and fix the ALTER DATABASE ... SET or postgresql.conf line.");
}

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
        GUC_check_errhint("%s", region_hint(*newval ? *newval : ""));
        return false;
    }
    if (std::strcmp(region->c_str(), *newval) != 0) {
        // The replacement lives where the version keeps GUC strings (malloc
        // on 15, guc_malloc from 16): pg_version_compat.hpp.
        char* upper = guc_string_alloc(region->size() + 1);
        if (!upper) return false;
        std::memcpy(upper, region->c_str(), region->size() + 1);
        guc_string_free(*newval);
        *newval = upper;
    }
    return true;
}

// Once out of the parallel query, the kept values become the session's
// settings again (as if SET), so SHOW agrees with what the functions do.
void restore_after_parallel_load() {
    if (IsInParallelMode()) return;
    char region[sizeof parallel_region];
    strlcpy(region, parallel_region, sizeof region);
    const int accept = parallel_accept;
    if (region[0])
        SetConfigOption("profile_merge.default_region", region, PGC_USERSET, PGC_S_SESSION);
    if (accept >= 0)
        SetConfigOption("profile_merge.phone_accept",
                        accept == static_cast<int>(core::PhoneAccept::Possible) ? "possible" : "valid",
                        PGC_USERSET, PGC_S_SESSION);
}

// The parallel query that loaded the library ends here (parallel mode is
// over once ExecutorRun returns): restore before the next query starts
// workers, which copy the leader's settings.
ExecutorEnd_hook_type previous_executor_end = nullptr;

void restore_at_executor_end(QueryDesc* query) {
    if (previous_executor_end) previous_executor_end(query);
    else standard_ExecutorEnd(query);
    if (parallel_region[0] || parallel_accept >= 0) restore_after_parallel_load();
}

}  // namespace

void define_settings() {
    const bool parallel = IsInParallelMode();
    // Values set before the library loaded wait as placeholders; they are
    // read here, before the definitions below check and apply them.
    char pending_region[sizeof refused_region] = "", pending_accept[sizeof refused_accept] = "";
    if (const char* v = GetConfigOption("profile_merge.default_region", true, false))
        strlcpy(pending_region, v, sizeof pending_region);
    if (const char* v = GetConfigOption("profile_merge.phone_accept", true, false))
        strlcpy(pending_accept, v, sizeof pending_accept);
    DefineCustomStringVariable(
        "profile_merge.default_region",
        "Region used for phone numbers written without + when no region is given.",
        "A two-letter ISO 3166 code; the event's phone_region and explicit arguments take precedence.",
        &default_region_setting, "US", PGC_USERSET, 0, check_default_region, forget_parallel_region,
        nullptr);
    DefineCustomEnumVariable(
        "profile_merge.phone_accept",
        "Which phone numbers the one-argument normalizers and the triggers accept.",
        "valid: numbers libphonenumber calls valid; possible: also numbers of a possible length.",
        &phone_accept_setting, static_cast<int>(core::PhoneAccept::Valid), phone_accept_options,
        PGC_USERSET, 0, nullptr, forget_parallel_accept, nullptr);
    MarkGUCPrefixReserved("profile_merge");

    // The definitions refused these with a WARNING and kept the defaults.
    if (pending_region[0]) {
        std::optional<std::string> region;
        try {
            region = core::canonical_region(pending_region);
        } catch (...) {
        }
        if (!region) strlcpy(refused_region, pending_region, sizeof refused_region);
    }
    if (pending_accept[0] && !is_phone_accept_value(pending_accept))
        strlcpy(refused_accept, pending_accept, sizeof refused_accept);

    if (parallel && pending_region[0] && !refused_region[0]) {
        std::optional<std::string> region;
        try {
            region = core::canonical_region(pending_region);
        } catch (...) {
        }
        if (region) strlcpy(parallel_region, region->c_str(), sizeof parallel_region);
    }
    if (parallel && (pending_region[0] || pending_accept[0]) && !IsParallelWorker()) {
        previous_executor_end = ExecutorEnd_hook;
        ExecutorEnd_hook = restore_at_executor_end;
    }
    if (parallel && pending_accept[0]) {
        if (pg_strcasecmp(pending_accept, "possible") == 0)
            parallel_accept = static_cast<int>(core::PhoneAccept::Possible);
        else if (pg_strcasecmp(pending_accept, "valid") == 0)
            parallel_accept = static_cast<int>(core::PhoneAccept::Valid);
    }
}

std::string_view default_region() {
    if (refused_region[0])
        refuse_setting("profile_merge.default_region", refused_region,
                       "a region libphonenumber knows (a two-letter ISO 3166 code such as US, GB or DE)", "'GB'");
    if (parallel_region[0] || parallel_accept >= 0) pg_call([] { restore_after_parallel_load(); });
    if (parallel_region[0]) return parallel_region;
    return default_region_setting ? default_region_setting : "US";
}

core::PhoneAccept phone_accept() {
    if (refused_accept[0]) refuse_setting("profile_merge.phone_accept", refused_accept, "'valid' or 'possible'", "'valid'");
    if (parallel_region[0] || parallel_accept >= 0) pg_call([] { restore_after_parallel_load(); });
    return static_cast<core::PhoneAccept>(parallel_accept >= 0 ? parallel_accept : phone_accept_setting);
}

}  // namespace pm::pg
