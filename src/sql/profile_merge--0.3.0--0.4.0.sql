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

------------------------------------------------------------------------------
-- Issue 12: the normalizers and phone_info without a pinned search_path
------------------------------------------------------------------------------
-- DESIGN.md section 6 exempts C functions that run no SQL, look nothing up
-- by name and are not SECURITY DEFINER: for them the clause changes nothing
-- but costs a GUC save and restore on every call, more than the work of
-- normalizing one e-mail address. sql/security_search_path lists exactly
-- these and fails on any other function without a pinned search_path.
ALTER FUNCTION normalize_email(text) RESET search_path;
ALTER FUNCTION try_normalize_email(text) RESET search_path;
ALTER FUNCTION normalize_phone(text) RESET search_path;
ALTER FUNCTION normalize_phone(text, text) RESET search_path;
ALTER FUNCTION try_normalize_phone(text) RESET search_path;
ALTER FUNCTION try_normalize_phone(text, text) RESET search_path;
ALTER FUNCTION phone_info(text) RESET search_path;
ALTER FUNCTION phone_info(text, text) RESET search_path;

------------------------------------------------------------------------------
-- Issue 15: the default junk that glues strangers together
------------------------------------------------------------------------------
-- What applications send for an external_id when they have none. Text
-- kinds are compared without regard to ASCII case (the engine lower-cases
-- both sides), so 'NULL', 'Null' and 'null' are one row. Placeholder phone
-- numbers of every region and addresses whose local part equals the
-- domain's first label are recognized by the engine itself (README,
-- "Junk"), so they need no rows.
INSERT INTO blocked_values (kind, value)
SELECT 'external_id', v FROM unnest(ARRAY[
    'null', 'nil', 'none', 'undefined', 'nan', 'n/a', 'na', '0', '-1', '[object object]',
    'anonymous', 'unknown', 'test', 'true', 'false']) AS v
UNION ALL
SELECT 'email', v FROM unnest(ARRAY[
    'name@example.com', 'nobody@example.com', 'someone@example.com', 'none@example.com',
    'your@email.com', 'youremail@example.com', 'no-reply@example.com']) AS v;
