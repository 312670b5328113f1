// The triggers run as the extension's owner (SECURITY DEFINER); they must
// never act on a table other than the one they were made for, whoever
// managed to attach them to it.
#pragma once

#include "pg/boundary/guard.hpp"

namespace pm::pg {

// The TriggerData of a BEFORE INSERT FOR EACH ROW trigger on
// profile_merge.<table>; ERROR 22023 when called otherwise, 42501 when the
// trigger has been attached to another table.
TriggerData* own_insert_trigger(FunctionCallInfo fcinfo, const char* function, const char* table);

}  // namespace pm::pg
