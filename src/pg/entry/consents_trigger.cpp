// BEFORE INSERT ON consents: a row an application writes directly (an SMS
// STOP reply, a double opt-in confirmation). The value is normalized (an
// invalid one is an error: the caller still holds its data) and the row is
// tied to the profile holding the value, created by the source's rules when
// nobody does. The events trigger's own consent rows do not come here
// (write targets leave this trigger out).
#include "pg/entry/ingest.hpp"
#include "pg/rows/catalog.hpp"
#include "pg/entry/trigger_row.hpp"
#include "pg/entry/own_table.hpp"
#include "pg/rows/direct_insert.hpp"
#include "pg/rows/shard_map.hpp"
#include "pg/resolve/kinds.hpp"
#include "pg/resolve/policy.hpp"
#include "pg/resolve/resolve_event.hpp"
#include "pg/store/table_store.hpp"
#include "pg/boundary/spi.hpp"

namespace {

using namespace pm;
using namespace pm::pg;
using core::Kind;

}  // namespace

PM_FUNCTION(pm_consents_resolve) {
    TriggerData* trigdata = own_insert_trigger(fcinfo, catalog::kConsentsResolveTrigger, catalog::kConsents);
    refuse_while_ingest_writes(catalog::kConsents);

    TriggerRow row(trigdata);
    // On a Citus shard: the co-located shards of the row's account.
    ShardScope shards(trigdata->tg_relation, "consents");
    // On Citus the coordinator drew this row's consent_id from its own
    // range, below every worker's: the latest row of a value (the highest
    // id, profile_consent) would lose to older rows the events trigger
    // numbered here. So the owning node numbers every row of its accounts.
    if (shards.on_shard())
        row.set_int8("consent_id", pg_call([] { return next_identity("consents_consent_id_seq"); }));
    std::optional<std::int64_t> account = row.int8("account_id");
    if (!account) throw SqlError(ERRCODE_NOT_NULL_VIOLATION, "consents.account_id must not be null");
    const std::string channel = row.raw_text("channel").value_or("");
    // NULL source or value: the error their NOT NULL columns give (23502),
    // as for events; an empty value is a bad value (22023).
    const std::optional<std::string> given_source = row.raw_text("source");
    if (!given_source) throw SqlError(ERRCODE_NOT_NULL_VIOLATION, "consents.source must not be null");
    const std::string source = *given_source;
    if (!row.raw_text("value")) throw SqlError(ERRCODE_NOT_NULL_VIOLATION, "consents.value must not be null");
    const std::optional<std::string> raw = row.text("value");
    if (channel != "sms" && channel != "email")
        invalid_parameter("unknown consent channel \"" + shorten(channel) + "\"",
                          "The channel is 'sms' or 'email'.");
    if (!raw) invalid_parameter("consent value must not be empty");
    const Kind kind = channel == "sms" ? Kind::Phone : Kind::Email;

    std::optional<std::string> normalized;
    std::optional<core::ProfileId> profile;
    {
        SpiScope spi;
        const core::Policy* policy = find_policy(*account, source);
        if (!policy)
            invalid_parameter("unknown source \"" + shorten(source) + "\"",
                              "Sources are the rows of profile_merge.sources for account 0 or the row's account.");
        core::EventIdentifier id =
            classify_identifier(*account, *policy, kind, *raw, std::nullopt, &normalized);
        if (id.validity == core::Validity::Invalid)
            invalid_parameter("invalid " + std::string(channel == "sms" ? "phone number" : "email address") +
                              " \"" + shorten(*raw) + "\" in consents: " + id.reason);

        EventRequest req;
        req.account = *account;
        req.source = source;
        req.event.policy = *policy;
        req.event.identifiers.push_back(std::move(id));
        TableStore store(req.account);
        Resolution r = resolve_event(req, store);
        profile = r.profile;
        if (!profile) {
            // The source may not create profiles for this kind (or the value
            // is blocked): the consent still belongs to whoever holds it.
            if (normalized) {
                auto owners = store.find_owners({ValueRef{kind, &*normalized}});
                if (!owners.empty()) profile = owners.front().profile;
            }
        }
        // The consent may make this value the holder's primary, or stop it
        // being one (DESIGN.md 4b): only where a profile may hold several.
        const std::optional<std::string> status = row.raw_text("status");
        if (profile && normalized && status && account_kinds(req.account).needs_held &&
            req.event.policy.limit(kind) > 1) {
            const TableStore::PendingConsent pending{kind, *normalized, *status == "subscribed"};
            store.refresh_primaries(*profile, &pending);
        }
    }
    row.set_text("value", normalized);
    row.set_int8("profile_id", profile);
    return row.apply();
}
