# profile_merge: a PostgreSQL extension in C++ (PGXS build).
#
#   make demo    install missing packages, build, install, tell the story in psql
#   make test    the same set-up, then every suite; ends with "N passed, M failed"
#   make && sudo make install    the ordinary way, into an existing PostgreSQL
#
# `demo`, `test` and `deps` must work before pg_config exists (a fresh Debian
# machine), so the PGXS include below is guarded.

EXTENSION  = profile_merge
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" profile_merge.control)

MODULE_big = profile_merge
CORE_OBJS  = $(patsubst %.cpp,%.o,$(sort $(wildcard src/core/*.cpp)))
PG_OBJS    = $(patsubst %.cpp,%.o,$(sort $(wildcard src/pg/*/*.cpp)))
OBJS       = $(CORE_OBJS) $(PG_OBJS)
DATA       = $(sort $(wildcard src/sql/profile_merge--*.sql))
PGFILEDESC = "profile_merge - identity resolution inside PostgreSQL"

REGRESS      = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=$(EXTENSION)

PG_CPPFLAGS = -Isrc
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers -Wno-register -fexceptions
SHLIB_LINK  = -lphonenumber -licuuc -lstdc++

# Debian's server is built with LLVM JIT, and PGXS would try to emit bitcode
# for every source with clang. JIT inlining of our C++ buys nothing (the hot
# work is in libphonenumber and SPI), so bitcode is switched off on purpose.
override with_llvm := no

# Rebuild objects when a header they include changes.
override autodepend := yes

EXTRA_CLEAN = build results regression.diffs regression.out tmp_check

# PostgreSQL 15 from Debian by default; another server with
# `make test PG_CONFIG=/opt/postgresql-18/bin/pg_config` (README, "PostgreSQL
# versions"). Exported, so the scripts and their `make` calls build, install
# and test against the same server, and PM_PGBIN (its bindir) is where
# scripts/cluster.sh finds initdb and postgres.
PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) $(shell command -v pg_config 2>/dev/null))
export PG_CONFIG
PG_CONFIG_FOUND := $(if $(PG_CONFIG),$(shell command -v $(PG_CONFIG) 2>/dev/null))

ifneq ($(PG_CONFIG_FOUND),)
export PM_PGBIN := $(shell $(PG_CONFIG) --bindir)

# Objects are built for one server: build/built-for names the pg_config and
# version they were compiled against, and any make run with another one
# removes them (and the dependency files) before PGXS reads them, so
# `make test; make test PG_CONFIG=...18; make test` rebuilds each time.
PM_BUILT_FOR := $(PG_CONFIG) $(shell $(PG_CONFIG) --version)
ifneq ($(PM_BUILT_FOR),$(shell cat build/built-for 2>/dev/null))
$(shell rm -rf $(OBJS) $(OBJS:.o=.bc) $(MODULE_big).so .deps; mkdir -p build; printf '%s\n' '$(PM_BUILT_FOR)' >build/built-for)
endif

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# src/core is compiled without the server's include path: a Postgres header
# included there cannot be found, so the core stays free of Postgres.
$(CORE_OBJS): override CPPFLAGS := -Isrc -DPM_BUILDING_CORE $(shell pkg-config --cflags icu-uc 2>/dev/null)
else
all install installcheck:
	@echo "pg_config not found ($(or $(PG_CONFIG),none on PATH)): run 'make deps' first (or 'make test' / 'make demo', which do)"; exit 1
endif

.PHONY: deps test demo unit fuzz valgrind

deps:
	bash scripts/install-deps.sh

test: deps
	$(MAKE) all
	bash scripts/run-tests.sh

demo: deps
	$(MAKE) all
	bash scripts/demo.sh

unit: deps
	bash scripts/unit-tests.sh

# Longer runs than `make test` does (see test/fuzz/README.md and
# test/valgrind/README.md).
fuzz: deps
	bash test/fuzz/run.sh 300

valgrind: deps
	$(MAKE) all
	bash test/valgrind/run.sh
