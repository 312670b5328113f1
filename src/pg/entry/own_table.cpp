#include "pg/entry/own_table.hpp"
#include "pg/rows/catalog.hpp"

#include "pg/rows/shard_map.hpp"

#include <cstring>

namespace pm::pg {

namespace {

void require_own_table(TriggerData* trigdata, const char* table) {
    const Oid relid = RelationGetRelid(trigdata->tg_relation);
    const bool ours = pg_call([&] {
        Oid ns = get_namespace_oid(catalog::kSchema, true);
        return ns != InvalidOid && get_rel_namespace(relid) == ns &&
               get_relname_relid(table, ns) == relid;
    });
    // On a Citus worker the trigger fires on a shard of the table.
    if (!ours && !is_shard_of(relid, table))
        throw SqlError(ERRCODE_INSUFFICIENT_PRIVILEGE,
                       std::string("this trigger function only runs on profile_merge.") + table);
}

}  // namespace

TriggerData* own_insert_trigger(FunctionCallInfo fcinfo, const char* function, const char* table) {
    if (!CALLED_AS_TRIGGER(fcinfo))
        invalid_parameter(std::string(function) + "() must be called as a trigger");
    auto* trigdata = reinterpret_cast<TriggerData*>(fcinfo->context);
    if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
        !TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
        invalid_parameter(std::string(function) + "() must be a BEFORE INSERT FOR EACH ROW trigger");
    require_own_table(trigdata, table);
    return trigdata;
}

}  // namespace pm::pg
