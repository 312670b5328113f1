-- profile_merge 0.3.0 -> 0.4.0: PostgreSQL 15 through 18, the rough edges a
-- new user meets in the first hour, and the normalizers without a pinned
-- search_path (DESIGN.md section 6 exempts C functions that run no SQL).
\echo Use "ALTER EXTENSION profile_merge UPDATE TO '0.4.0'" to load this file. \quit

-- Each part below names the issue it belongs to.

------------------------------------------------------------------------------
-- Issue 12: one walk of merged_into chains
------------------------------------------------------------------------------
-- resolve_profile() follows the chain in C, with the triggers' code and
-- bound (core::kMaxMergedIntoHops), instead of a PL/pgSQL loop of its own.
CREATE OR REPLACE FUNCTION resolve_profile(account_id bigint, profile_id bigint)
RETURNS bigint
    AS 'MODULE_PATHNAME', 'pm_resolve_profile'
    LANGUAGE C STABLE STRICT
    SET search_path = pg_catalog, @extschema@, pg_temp;
