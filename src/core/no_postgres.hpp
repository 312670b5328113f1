// Included first by every header of src/core. The core is plain C++17 and
// must stay testable without a server. Its own translation units are built
// with PM_BUILDING_CORE (by the Makefile and by CMake) and without the
// server's include path: a Postgres header there is either not found or
// stops the build here. src/pg may include core headers after Postgres's.
#pragma once

#if defined(PM_BUILDING_CORE) && (defined(POSTGRES_H) || defined(PG_VERSION_NUM) || defined(C_H))
#error "src/core must not include PostgreSQL headers (see DESIGN.md section 7)"
#endif
