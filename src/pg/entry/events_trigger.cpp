// BEFORE INSERT ON events: normalize, resolve through the rules, and fill
// email_normalized, phone_e164, profile_id, outcome and detail.
#include "pg/entry/ingest.hpp"
#include "pg/rows/catalog.hpp"
#include "pg/resolve/event_detail.hpp"
#include "pg/store/table_store.hpp"
#include "pg/entry/trigger_row.hpp"
#include "pg/entry/own_table.hpp"
#include "pg/rows/shard_map.hpp"
#include "pg/boundary/spi.hpp"

namespace {

using namespace pm;
using namespace pm::pg;

RawEvent read_event(const TriggerRow& row) {
    RawEvent raw;
    raw.account = row.int8("account_id");
    raw.source = row.raw_text("source");
    raw.profile_hint = row.int8("profile_hint");
    raw.email = row.raw_text("email");
    raw.phone = row.raw_text("phone");
    raw.phone_region = row.raw_text("phone_region");
    raw.external_id = row.raw_text("external_id");
    raw.sms_consent = row.boolean("sms_consent");
    raw.email_consent = row.boolean("email_consent");
    bool isnull;
    raw.properties = row.datum("properties", &isnull);
    if (isnull) raw.properties = 0;
    raw.occurred_at = row.datum("occurred_at", &isnull);
    // ORMs insert an explicit NULL where the application gave no time: it
    // is the time of the insert, as the column's default says (now(), the
    // transaction's start); events.occurred_at is NOT NULL.
    if (isnull) raw.occurred_at = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
    if (row.has("identifiers")) {
        raw.identifiers = row.datum("identifiers", &isnull);
        if (isnull) raw.identifiers = 0;
    }
    raw.event_id = row.int8("event_id");
    return raw;
}

}  // namespace

PM_FUNCTION(pm_events_resolve) {
    TriggerData* trigdata = own_insert_trigger(fcinfo, catalog::kEventsResolveTrigger, catalog::kEvents);
    refuse_while_ingest_writes(catalog::kEvents);
    TriggerRow row(trigdata);
    // On a Citus shard: the co-located shards of the row's account.
    ShardScope shards(trigdata->tg_relation, "events");

    PreparedEvent prepared;
    Resolution result;
    {
        SpiScope spi;
        prepared = prepare_event(read_event(row));
        TableStore store(prepared.request.account);
        result = resolve_event(prepared.request, store);
    }
    row.set_datum("occurred_at", prepared.request.occurred_at);
    row.set_text("email_normalized", prepared.email_normalized);
    row.set_text("phone_e164", prepared.phone_e164);
    row.set_int8("profile_id", result.profile);
    row.set_text("outcome", std::string(core::outcome_name(result.outcome)));
    row.set_jsonb("detail", event_detail(result, prepared));
    return row.apply();
}
