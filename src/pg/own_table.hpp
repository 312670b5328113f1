// The triggers run as the extension's owner (SECURITY DEFINER); they must
// never act on a table other than the one they were made for, whoever
// managed to attach them to it.
#pragma once

#include "pg/guard.hpp"

namespace pm::pg {

// ERROR 42501 unless `trigdata` fires on profile_merge.<table>.
void require_own_table(TriggerData* trigdata, const char* table);

}  // namespace pm::pg
