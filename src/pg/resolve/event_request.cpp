#include "pg/resolve/event_request.hpp"

#include "pg/entry/trigger_row.hpp"
#include "pg/resolve/phone_memo.hpp"
#include "pg/resolve/policy.hpp"
#include "pg/resolve/settings.hpp"

#include "core/detail_fields.hpp"
#include "core/email.hpp"
#include "core/external_id.hpp"
#include "core/phone.hpp"

namespace pm::pg {

namespace {

using core::Kind;

// A properties value the rules can merge: a non-empty object. Anything else
// is said in detail and left out.
Datum usable_properties(Datum d, std::vector<core::DetailEntry>* notes) {
    if (!d) return 0;
    struct Shape {
        bool object;
        uint32 count;
    };
    Shape shape = pg_call([&] {
        Jsonb* jb = DatumGetJsonbP(d);
        return Shape{JB_ROOT_IS_OBJECT(jb) && !JB_ROOT_IS_SCALAR(jb), JB_ROOT_COUNT(jb)};
    });
    if (!shape.object) {
        notes->push_back({core::Action::Ignored, "properties", std::nullopt, std::nullopt,
                          "properties must be a JSON object", std::nullopt, -1});
        return 0;
    }
    return shape.count ? d : 0;
}

std::optional<std::string> present(const std::optional<std::string>& s) {
    return s ? trimmed_or_absent(*s) : std::nullopt;
}

}  // namespace

PreparedEvent prepare_event(const RawEvent& raw) {
    if (!raw.account) throw SqlError(ERRCODE_NOT_NULL_VIOLATION, "events.account_id must not be null");
    if (!raw.source) throw SqlError(ERRCODE_NOT_NULL_VIOLATION, "events.source must not be null");
    const core::Policy* policy = find_policy(*raw.account, *raw.source);
    if (!policy)
        throw SqlError(ERRCODE_INVALID_PARAMETER_VALUE, "unknown source \"" + shorten(*raw.source) + "\"",
                       "Sources are the rows of profile_merge.sources for account 0 or the event's account.");

    PreparedEvent p;
    EventRequest& req = p.request;
    req.account = *raw.account;
    req.source = *raw.source;
    req.event.policy = *policy;
    req.event_id = raw.event_id;
    req.occurred_at = raw.occurred_at;

    const std::optional<std::string> region = present(raw.phone_region);
    std::optional<std::string> unused;
    struct Field {
        Kind kind;
        const std::optional<std::string>& value;
        std::optional<std::string>* normalized;
    };
    const Field fields[] = {{Kind::ExternalId, raw.external_id, &unused},
                            {Kind::Email, raw.email, &p.email_normalized},
                            {Kind::Phone, raw.phone, &p.phone_e164}};
    for (const Field& f : fields)
        if (auto value = present(f.value))
            req.event.identifiers.push_back(
                classify_identifier(*raw.account, *policy, f.kind, *value, region, f.normalized));

    if (raw.profile_hint) {
        req.event.hint_given = true;
        req.event.hint_raw = *raw.profile_hint;
    }
    req.event.sms_consent = raw.sms_consent;
    req.event.email_consent = raw.email_consent;
    req.properties = usable_properties(raw.properties, &p.notes);
    req.event.has_properties = req.properties != 0;
    return p;
}

core::EventIdentifier classify_identifier(std::int64_t account, const core::Policy& policy,
                                          core::Kind kind, const std::string& raw,
                                          const std::optional<std::string>& region,
                                          std::optional<std::string>* normalized) {
    core::EventIdentifier id;
    id.kind = kind;
    id.raw = raw;
    core::Normalized n;
    switch (kind) {
        case Kind::Email: n = core::normalize_email(raw); break;
        case Kind::Phone: {
            std::optional<std::string> r = region ? core::canonical_region(*region)
                                                  : std::optional<std::string>(default_region());
            n = r ? cached_normalize_phone(raw, *r, phone_accept())
                  : core::Normalized::failure("unknown region \"" + shorten(*region) + "\"");
            break;
        }
        default: n = core::normalize_external_id(raw); break;
    }
    if (!n.ok()) {
        id.validity = core::Validity::Invalid;
        id.reason = n.error;
        id.raw = truncated(raw, 256);
        return id;
    }
    *normalized = n.value;
    id.value = std::move(n.value);
    if (!policy.accepts_kind(kind)) return id;
    if (is_blocked(account, kind, id.value)) {
        id.validity = core::Validity::Blocked;
    } else if (auto pattern = blocked_pattern_reason(account, kind, id.value)) {
        id.validity = core::Validity::Blocked;
        id.reason = std::move(*pattern);
    } else if (!n.placeholder.empty()) {
        id.validity = core::Validity::Blocked;
        id.reason = std::move(n.placeholder);
    }
    return id;
}

}  // namespace pm::pg
