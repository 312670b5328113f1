#include "pg/own_table.hpp"

#include <cstring>

namespace pm::pg {

void require_own_table(TriggerData* trigdata, const char* table) {
    const Oid relid = RelationGetRelid(trigdata->tg_relation);
    const bool ours = pg_call([&] {
        Oid ns = get_namespace_oid("profile_merge", true);
        return ns != InvalidOid && get_rel_namespace(relid) == ns &&
               get_relname_relid(table, ns) == relid;
    });
    if (!ours)
        throw SqlError(ERRCODE_INSUFFICIENT_PRIVILEGE,
                       std::string("this trigger function only runs on profile_merge.") + table);
}

}  // namespace pm::pg
