// The extension's settings (GUCs), registered in _PG_init.
#pragma once

#include "core/phone.hpp"

#include <string_view>

namespace pm::pg {

void define_settings();

// profile_merge.default_region, already validated and upper-case.
std::string_view default_region();

// profile_merge.phone_accept.
core::PhoneAccept phone_accept();

}  // namespace pm::pg
