#include "pg/resolve/event_request.hpp"

#include "pg/entry/trigger_row.hpp"
#include "pg/resolve/kinds.hpp"
#include "pg/resolve/phone_memo.hpp"
#include "pg/resolve/policy.hpp"
#include "pg/resolve/settings.hpp"

#include "core/detail_fields.hpp"
#include "core/email.hpp"
#include "core/external_id.hpp"
#include "core/phone.hpp"

#include <cstring>

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

// One value of events.identifiers as read from the jsonb: its kind (the
// key) and the string, or what it is when it is not a string.
struct ExtraValue {
    std::string key;
    std::optional<std::string> text;
    const char* not_a_string = nullptr;  // "number", "object", ...
};

struct ExtraIdentifiers {
    bool object = true;
    std::vector<ExtraValue> values;  // at most kMaxExtraIdentifiers
    long unread = 0;                 // the values past them
};

// Postgres C only (inside pg_call): the jsonb's values, each key's string
// or array elements in the order given, kinds in jsonb's key order.
struct RawExtra {
    const char* key;
    int key_len;
    const char* text;  // NULL: not a string
    int text_len;
    const char* type;
};

const char* jsonb_type_name(const JsonbValue& v) {
    switch (v.type) {
        case jbvNull: return "null";
        case jbvString: return "string";
        case jbvNumeric: return "number";
        case jbvBool: return "boolean";
        case jbvBinary: return JsonContainerIsArray(v.val.binary.data) ? "array" : "object";
        default: return "object";
    }
}

void add_raw(RawExtra* out, int* count, long* unread, const JsonbValue& key, const JsonbValue& v) {
    if (*count == kMaxExtraIdentifiers) {
        ++*unread;
        return;
    }
    RawExtra* r = &out[(*count)++];
    r->key = key.val.string.val;
    r->key_len = key.val.string.len;
    r->text = v.type == jbvString ? v.val.string.val : NULL;
    r->text_len = v.type == jbvString ? v.val.string.len : 0;
    r->type = jsonb_type_name(v);
}

ExtraIdentifiers read_extra_identifiers(Datum d) {
    ExtraIdentifiers out;
    RawExtra* raw = nullptr;
    int count = 0;
    long unread = 0;
    const bool object = pg_call([&] {
        Jsonb* jb = DatumGetJsonbP(d);
        if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb)) return false;
        raw = (RawExtra*) palloc(kMaxExtraIdentifiers * sizeof(RawExtra));
        JsonbIterator* it = JsonbIteratorInit(&jb->root);
        JsonbValue v, key;
        JsonbIteratorToken token;
        while ((token = JsonbIteratorNext(&it, &v, true)) != WJB_DONE) {
            if (token == WJB_KEY) key = v;
            if (token != WJB_VALUE) continue;
            if (v.type == jbvBinary && JsonContainerIsArray(v.val.binary.data)) {
                // An array's strings in their order; nested ones are values
                // that are not strings.
                JsonbIterator* elems = JsonbIteratorInit(v.val.binary.data);
                JsonbValue e;
                JsonbIteratorToken t;
                while ((t = JsonbIteratorNext(&elems, &e, true)) != WJB_DONE)
                    if (t == WJB_ELEM) add_raw(raw, &count, &unread, key, e);
            } else {
                add_raw(raw, &count, &unread, key, v);
            }
        }
        return true;
    });
    out.object = object;
    out.unread = unread;
    for (int i = 0; i < count; ++i) {
        ExtraValue x;
        x.key.assign(raw[i].key, raw[i].key_len);
        if (raw[i].text) x.text = std::string(raw[i].text, raw[i].text_len);
        else x.not_a_string = raw[i].type;
        out.values.push_back(std::move(x));
    }
    return out;
}

core::DetailEntry note(core::Action action, std::string kind, std::optional<std::string> value,
                       std::string reason) {
    return {action, std::move(kind), std::move(value), std::nullopt, std::move(reason), std::nullopt, -1};
}

// events.identifiers, after the columns: each value classified by its
// kind's normalizer, as the columns are. What cannot be an identifier is
// said in `notes`; an identifiers value that is not an object rejects the
// event.
void add_extra_identifiers(Datum d, std::int64_t account, const core::Policy& policy,
                           const std::optional<std::string>& region, PreparedEvent* p) {
    const ExtraIdentifiers extra = read_extra_identifiers(d);
    EventRequest& req = p->request;
    if (!extra.object) {
        req.event.identifiers.clear();
        req.event.hint_given = false;
        req.event.sms_consent.reset();
        req.event.email_consent.reset();
        req.properties = 0;
        p->notes.push_back(note(core::Action::Invalid, "identifiers", std::nullopt,
                                "identifiers must be a JSON object of kind to a string or an array of strings"));
        return;
    }
    const AccountKinds& kinds = account_kinds(account);
    for (const ExtraValue& x : extra.values) {
        const std::optional<core::Kind> kind = core::parse_kind(x.key);
        const bool known = kind && *kind != core::Kind::Profile && kinds.normalizer(*kind);
        if (!known) {
            p->notes.push_back(note(core::Action::Ignored, truncated(x.key, 64),
                                    x.text ? std::optional<std::string>(truncated(*x.text, 256)) : std::nullopt,
                                    "unknown kind"));
            continue;
        }
        if (!x.text) {
            p->notes.push_back(note(core::Action::Invalid, x.key, std::nullopt,
                                    std::string("not a string but ") +
                                        (std::strcmp(x.not_a_string, "array") == 0 ||
                                                 std::strcmp(x.not_a_string, "object") == 0
                                             ? "an "
                                             : "a ") +
                                        x.not_a_string));
            continue;
        }
        std::optional<std::string> value = trimmed_or_absent(*x.text);
        if (!value) continue;  // blank, as in a column: absent
        std::optional<std::string> unused;
        req.event.identifiers.push_back(classify_identifier(account, policy, *kind, *value, region, &unused));
    }
    if (extra.unread)
        p->notes.push_back(note(core::Action::Ignored, "identifiers", std::nullopt,
                                std::to_string(extra.unread) + " more values not read: an event brings at most " +
                                    std::to_string(kMaxExtraIdentifiers)));
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
    if (raw.identifiers) add_extra_identifiers(raw.identifiers, *raw.account, *policy, region, &p);
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
    // A custom kind normalizes as its identifier_kinds row says.
    Normalizer normalizer = kind == Kind::Email ? Normalizer::Email
                            : kind == Kind::Phone ? Normalizer::Phone
                            : core::is_builtin(kind) ? Normalizer::Text
                                                     : account_kinds(account).normalizer(kind).value_or(Normalizer::Text);
    switch (normalizer) {
        case Normalizer::Email: n = core::normalize_email(raw); break;
        case Normalizer::Phone: {
            std::optional<std::string> r = region ? core::canonical_region(*region)
                                                  : std::optional<std::string>(default_region());
            n = r ? cached_normalize_phone(raw, *r, phone_accept())
                  : core::Normalized::failure("unknown region \"" + shorten(*region) + "\"");
            break;
        }
        case Normalizer::Text:
            n = kind == Kind::ExternalId ? core::normalize_external_id(raw)
                                         : core::normalize_text(raw, core::kind_name(kind));
            break;
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
