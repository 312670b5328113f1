#!/usr/bin/env bash
# meta_json: META.json is valid PGXN metadata (meta-spec 1.0.0) and agrees
# with the tree: its version is profile_merge.control's default_version, the
# file it `provides` exists and is that control file, the PostgreSQL range
# covers the supported versions (15 to 18), every library the Makefile links
# is named as an external requirement, and the license it names is the one
# in LICENSE. Needs no cluster. PM_META names another file to check (used to
# see the test fail on a broken copy).
set -uo pipefail
cd "$(dirname "$0")/../.."
META=${PM_META:-META.json}

PROBLEMS=()
problem() { PROBLEMS+=("$*"); printf '  FAILED: %s\n' "$*"; }
passed()  { printf '  ok: %s\n' "$*"; }
# q <jq filter>: the value, raw, or "null"
q() { jq -r "$1" "$META"; }

command -v jq >/dev/null || { echo "jq is missing (scripts/install-deps.sh installs it)"; exit 1; }
jq empty "$META" 2>/dev/null || { echo "FAILED: $META is not valid JSON"; jq empty "$META"; exit 1; }
passed "$META parses"

# The keys the spec requires, and the ones this project requires on top.
for key in name abstract version maintainer license provides meta-spec \
           description prereqs resources tags; do
  if [ "$(jq --arg k "$key" 'has($k)' "$META")" = true ]; then passed "has $key"
  else problem "missing key $key"; fi
done
[ "$(q '."meta-spec".version')" = 1.0.0 ] && passed "meta-spec 1.0.0" \
  || problem "meta-spec.version is $(q '."meta-spec".version'), not 1.0.0"
[ "$(q '.name')" = profile_merge ] && passed "name" || problem "name is $(q .name)"
[ "$(q '.maintainer | if type == "array" then length else 1 end')" -ge 1 ] 2>/dev/null \
  && passed "a maintainer" || problem "no maintainer"
[ "$(q '.tags | type')" = array ] && [ "$(q '.tags | length')" -ge 1 ] \
  && passed "tags" || problem "tags is not a non-empty array"

control_version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" profile_merge.control)
[ "$(q .version)" = "$control_version" ] && passed "version $control_version as in the control file" \
  || problem "version $(q .version) but profile_merge.control says $control_version"

# provides: the extension, its control file, the same version.
file=$(q '.provides.profile_merge.file')
[ "$file" = profile_merge.control ] && [ -f "$file" ] && passed "provides names $file" \
  || problem "provides.profile_merge.file is $file, not the existing profile_merge.control"
[ "$(q '.provides.profile_merge.version')" = "$control_version" ] && passed "provides version" \
  || problem "provides.profile_merge.version is $(q '.provides.profile_merge.version')"
docfile=$(q '.provides.profile_merge.docfile // empty')
[ -z "$docfile" ] || [ -f "$docfile" ] && passed "docfile" || problem "docfile $docfile does not exist"

# PostgreSQL 15 to 18: at least 15.0.0, below 19.0.0.
range=$(q '.prereqs.runtime.requires.PostgreSQL')
[[ "$range" =~ ^\>=\ ?15\.0\.0,\ ?\<\ ?19\.0\.0$ ]] && passed "PostgreSQL $range" \
  || problem "prereqs.runtime.requires.PostgreSQL is '$range', not '>= 15.0.0, < 19.0.0'"

# Every library the Makefile links (but the C++ runtime) is named.
for lib in $(sed -n 's/^SHLIB_LINK *= *//p' Makefile); do
  case "$lib" in
    -lphonenumber) name=libphonenumber ;;
    -licu*)        name=ICU ;;
    -lstdc++)      continue ;;
    *)             problem "SHLIB_LINK links $lib, unknown to this test"; continue ;;
  esac
  [ "$(jq --arg n "$name" '.X_external_requires | has($n)' "$META")" = true ] \
    && passed "external requirement $name ($lib)" || problem "X_external_requires lacks $name ($lib)"
done

# The PostgreSQL License, here and in LICENSE.
[ "$(q .license)" = postgresql ] && passed "license postgresql" || problem "license is $(q .license)"
grep -q 'Permission to use, copy, modify, and distribute this software' LICENSE 2>/dev/null \
  && grep -q 'profile_merge developers' LICENSE && passed "LICENSE holds the PostgreSQL License" \
  || problem "LICENSE missing or not the PostgreSQL License of the profile_merge developers"

echo
if [ ${#PROBLEMS[@]} -gt 0 ]; then
  printf 'meta_json: %d problem(s)\n' "${#PROBLEMS[@]}"; exit 1
fi
echo "meta_json: all checks passed"
