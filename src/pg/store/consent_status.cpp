#include "pg/store/consent_status.hpp"

#include "pg/boundary/spi.hpp"

namespace pm::pg {

namespace {

// Through consents_latest (account_id, channel, value, consent_id).
Plan latest_status_plan(
    "SELECT c.status = 'subscribed' FROM consents c"
    " WHERE c.account_id = $1 AND c.channel = $2 AND c.value = $3 ORDER BY c.consent_id DESC LIMIT 1",
    {"bigint", "text", "text"});

}  // namespace

bool latest_consent_subscribed(std::int64_t account, core::Kind kind, const std::string& value) {
    Rows rows = latest_status_plan.run(
        {Param::int8(account), Param::text(kind == core::Kind::Phone ? "sms" : "email"), Param::text(value)});
    return !rows.empty() && rows.boolean(0, 0);
}

}  // namespace pm::pg
