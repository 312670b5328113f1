// BEFORE INSERT ON events: normalize, resolve through the rules, and fill
// email_normalized, phone_e164, profile_id, outcome and detail.
#include "pg/event_row.hpp"
#include "pg/policy.hpp"
#include "pg/resolver.hpp"
#include "pg/spi.hpp"

#include "core/detail_json.hpp"

namespace {

using namespace pm;
using namespace pm::pg;
using core::Kind;

TriggerData* row_trigger(FunctionCallInfo fcinfo, const char* name) {
    if (!CALLED_AS_TRIGGER(fcinfo))
        invalid_parameter(std::string(name) + "() must be called as a trigger");
    auto* trigdata = reinterpret_cast<TriggerData*>(fcinfo->context);
    if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
        !TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
        invalid_parameter(std::string(name) + "() must be a BEFORE INSERT FOR EACH ROW trigger");
    return trigdata;
}

// A properties value the rules can merge: a non-empty object. Anything else
// is said in detail and left out.
Datum usable_properties(const TriggerRow& row, std::vector<core::DetailEntry>* notes) {
    bool isnull;
    Datum d = row.datum("properties", &isnull);
    if (isnull) return 0;
    auto [is_object, count] = pg_call([&] {
        Jsonb* jb = DatumGetJsonbP(d);
        struct R { bool obj; uint32 n; };
        return R{JB_ROOT_IS_OBJECT(jb) && !JB_ROOT_IS_SCALAR(jb), JB_ROOT_COUNT(jb)};
    });
    if (!is_object) {
        notes->push_back({core::Action::Ignored, "properties", std::nullopt, std::nullopt,
                          "properties must be a JSON object", std::nullopt, -1});
        return 0;
    }
    return count ? d : 0;
}

}  // namespace

PM_FUNCTION(pm_events_resolve) {
    TriggerData* trigdata = row_trigger(fcinfo, "events_resolve");
    TriggerRow row(trigdata);

    std::optional<std::int64_t> account = row.int8("account_id");
    if (!account)
        throw SqlError(ERRCODE_NOT_NULL_VIOLATION, "events.account_id must not be null");
    std::string source = row.raw_text("source").value_or("");

    std::optional<std::string> email_normalized, phone_e164;
    Resolution result;
    std::vector<core::DetailEntry> notes;
    {
        SpiScope spi;
        const core::Policy* policy = find_policy(*account, source);
        if (!policy)
            throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE,
                           "unknown source \"" + shorten(source) + "\"",
                           "Sources are the rows of profile_merge.sources for account 0 or the event's account.");

        EventRequest req;
        req.account = *account;
        req.source = source;
        req.event.policy = *policy;
        req.event_id = row.int8("event_id");
        bool isnull;
        req.occurred_at = row.datum("occurred_at", &isnull);
        if (isnull) req.occurred_at = 0;

        const std::optional<std::string> region = row.text("phone_region");
        struct Field { Kind kind; const char* column; std::optional<std::string>* normalized; };
        std::optional<std::string> ignored_normalization;
        const Field fields[] = {{Kind::ExternalId, "external_id", &ignored_normalization},
                                {Kind::Email, "email", &email_normalized},
                                {Kind::Phone, "phone", &phone_e164}};
        for (const Field& f : fields)
            if (auto raw = row.text(f.column))
                req.event.identifiers.push_back(
                    classify_identifier(*account, *policy, f.kind, *raw, region, f.normalized));

        if (auto hint = row.int8("profile_hint")) {
            req.event.hint_given = true;
            req.event.hint_raw = *hint;
        }
        req.event.sms_consent = row.boolean("sms_consent");
        req.event.email_consent = row.boolean("email_consent");
        req.properties = usable_properties(row, &notes);
        req.event.has_properties = req.properties != 0;

        SpiStore store(req.account);
        result = resolve_event(req, store);
    }

    result.detail.insert(result.detail.end(), notes.begin(), notes.end());
    row.set_text("email_normalized", email_normalized);
    row.set_text("phone_e164", phone_e164);
    row.set_int8("profile_id", result.profile);
    row.set_text("outcome", std::string(core::outcome_name(result.outcome)));
    row.set_jsonb("detail", core::detail_json(result.detail, result.merge_ids));
    return row.apply();
}
