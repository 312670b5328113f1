#!/usr/bin/env bash
# Installs, with apt-get, whatever the build and the tests need and this
# machine lacks. Does nothing (and needs no network) when all is there.
set -euo pipefail

packages=(
  postgresql-15 postgresql-server-dev-15 postgresql-client-15
  libphonenumber-dev libicu-dev
  g++ make cmake pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-dev
  jq                     # test/sh/meta_json.sh parses META.json
  valgrind
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Another server than Debian's 15 (make deps PG_CONFIG=/opt/postgresql-18/bin/pg_config):
# when its pg_config does not exist yet, PostgreSQL 18 is built from the
# team's vendored source into the prefix it names (a second run returns at
# once; ../shared/vendor/README.md). PM_VENDOR overrides where that is.
if [ -n "${PG_CONFIG:-}" ] && ! command -v "$PG_CONFIG" >/dev/null 2>&1; then
  vendor=${PM_VENDOR:-../shared/vendor}
  case "$PG_CONFIG" in
    */bin/pg_config) prefix=${PG_CONFIG%/bin/pg_config} ;;
    *) echo "PG_CONFIG=$PG_CONFIG does not exist, and is not <prefix>/bin/pg_config to build into" >&2; exit 1 ;;
  esac
  [ -f "$vendor/build-postgres.sh" ] \
    || { echo "PG_CONFIG=$PG_CONFIG does not exist and $vendor/build-postgres.sh is missing to build it" >&2; exit 1; }
  echo "building PostgreSQL into $prefix ($vendor/build-postgres.sh, about 3 minutes)"
  $sudo bash "$vendor/build-postgres.sh" "$prefix" >/dev/null
  command -v "$PG_CONFIG" >/dev/null \
    || { echo "$vendor/build-postgres.sh did not install $PG_CONFIG (it builds PostgreSQL 18 only)" >&2; exit 1; }
fi
