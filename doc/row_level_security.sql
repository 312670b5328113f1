-- Row-level security by account for profile_merge: a recipe an admin runs.
--
--   psql -v ON_ERROR_STOP=1 -d mydb -f doc/row_level_security.sql
--
-- Run it as a superuser, in every database where the extension is
-- installed, after CREATE EXTENSION. It is idempotent: run it again after
-- every ALTER EXTENSION profile_merge UPDATE, and after every restore from
-- pg_dump before applications connect. pg_dump keeps the schema
-- profile_merge_rls (bindings included) and the privileges granted on the
-- extension's tables, but not what this recipe sets on the extension's own
-- tables and view: the policies, ENABLE/FORCE ROW LEVEL SECURITY, the guard
-- triggers and security_invoker. Restored without it, an application role
-- would see every account.
--
-- What it does
--   * Each application role is bound to one account by a row of
--     profile_merge_rls.role_accounts, which only admins can write.
--   * Row-level security is enabled and forced on every table of the
--     extension. A bound role sees only its account's rows (and account 0's
--     policy rows), and may insert events and consents for its own account
--     only. An unbound role sees nothing and may insert nothing.
--   * A guard trigger on events and consents refuses a row of another
--     account before the extension's own trigger runs, so the resolution
--     rules never even read another account on behalf of such a row.
--   * The view profile_consent runs with the querying role's rights
--     (security_invoker), so the policies apply through it as well.
--   * EXECUTE on the extension's SECURITY DEFINER trigger functions is taken
--     from PUBLIC: anyone who may execute them can attach them to a table of
--     their own, where they would write profiles of any account with the
--     extension owner's rights. (Firing the extension's own triggers needs no
--     EXECUTE right, so nothing else changes.)
--
-- Then, for each application role (replace app_acme and 5):
--
--   INSERT INTO profile_merge_rls.role_accounts VALUES ('app_acme', 5);
--   GRANT USAGE ON SCHEMA profile_merge, profile_merge_rls TO app_acme;
--   GRANT INSERT ON profile_merge.events, profile_merge.consents TO app_acme;
--   -- what it reads back: RETURNING and identify() need SELECT on events
--   -- (event_id, profile_id, outcome suffice); profile_consent reads
--   -- profiles and consents; find_profile() reads identifiers;
--   -- resolve_profile() profiles; explain_profile() and profile_graph()
--   -- also events, identifiers, merges and consents
--   GRANT SELECT ON profile_merge.events, profile_merge.consents, profile_merge.profiles,
--                   profile_merge.identifiers, profile_merge.merges,
--                   profile_merge.profile_consent TO app_acme;
--
-- Bulk loads: PostgreSQL refuses COPY FROM into a table with row-level
-- security to every role the policies apply to (ERROR 0A000, "COPY FROM not
-- supported with row-level security"), so a bound role loads with a
-- multi-row INSERT or INSERT ... SELECT (from unnest() of arrays, or from
-- jsonb_to_recordset() of one JSON parameter); each row is resolved as a
-- COPY would resolve it. A loader that must use COPY runs as a separate role
-- with BYPASSRLS, which the policies and the guard trigger trust with every
-- account.
--
-- No privilege on any sequence is needed: the id columns are identity
-- columns, and the extension's triggers write profiles, identifiers,
-- consents and merges with their owner's rights. Do not grant UPDATE,
-- DELETE or TRUNCATE on anything, nor any privilege on sources or
-- blocked_values, nor EXECUTE on merge_profiles or unmerge (admin work).
--
-- How a role is bound, and why this way
--   The binding is looked up by current_user in a table only admins write.
--   The alternatives considered:
--   * A setting (ALTER ROLE app_acme SET profile_merge.account_id = 5): ALTER
--     ROLE ... SET only gives the session a default; any session may SET the
--     same setting to 6 a moment later, so a hostile application escapes
--     it. (profile_merge also reserves its prefix: once its library is
--     loaded in a session, such a setting is removed with a warning, so it
--     would have to live under another prefix.) A setting is only as good as
--     a connection pooler that sets it and lets no application SQL through,
--     which is not the threat here.
--   * A role-name convention (role app_5 is bound to account 5): cannot be
--     changed by the application either (renaming a role needs CREATEROLE),
--     needs no table, but ties names to numbers and breaks when a role is
--     renamed.
--   * A mapping table (this recipe): explicit, admin-only, one lookup per
--     statement (the policy's subquery runs once, as an InitPlan). An
--     application can only change current_user with SET ROLE to a role it is
--     a member of: never grant one bound role to another.
--
-- FORCE ROW LEVEL SECURITY and the SECURITY DEFINER triggers
--   The extension's triggers (events_resolve, consents_resolve) are SECURITY
--   DEFINER and owned by the superuser that created the extension
--   (profile_merge.control says superuser = true). Superusers bypass
--   row-level security, even when it is forced, so the triggers read and
--   write every account's rows regardless of the policies. That is what
--   they must do (the role inserting an event cannot, and need not, read
--   profiles or identifiers), and it is safe: every statement the triggers
--   and functions run filters on the inserted row's own account_id (or reads
--   only sources/blocked_values for account 0 and that account), a rule
--   DESIGN.md section 8 makes for distributed installs as well, and the
--   guard trigger below has already checked that this account_id is the
--   inserting role's own. FORCE is set so that the policies still hold if
--   the tables are ever owned by a role that is not a superuser; such an
--   owner must then be given BYPASSRLS, or the triggers (running as the
--   owner) would see no rows at all. Admin roles that are not superusers
--   need BYPASSRLS to see all accounts, or a binding to see one.

BEGIN;
SET LOCAL client_min_messages = warning;   -- no "does not exist, skipping" notices

CREATE SCHEMA IF NOT EXISTS profile_merge_rls;
REVOKE ALL ON SCHEMA profile_merge_rls FROM PUBLIC;
GRANT USAGE ON SCHEMA profile_merge_rls TO PUBLIC;

-- The bindings. Each role reads its own row (the policies call
-- current_account_id() with the querying role's rights); only admins write.
CREATE TABLE IF NOT EXISTS profile_merge_rls.role_accounts (
    role_name  name   PRIMARY KEY,
    account_id bigint NOT NULL
);
REVOKE ALL ON profile_merge_rls.role_accounts FROM PUBLIC;
GRANT SELECT ON profile_merge_rls.role_accounts TO PUBLIC;
ALTER TABLE profile_merge_rls.role_accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE profile_merge_rls.role_accounts FORCE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS own_binding ON profile_merge_rls.role_accounts;
CREATE POLICY own_binding ON profile_merge_rls.role_accounts
    FOR SELECT USING (role_name = current_user);

-- The account of the current role, NULL when it has none (then every
-- policy below is false). SECURITY INVOKER on purpose: inside a SECURITY
-- DEFINER function current_user would be the definer.
CREATE OR REPLACE FUNCTION profile_merge_rls.current_account_id() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT b.account_id FROM profile_merge_rls.role_accounts b WHERE b.role_name = current_user
$$;

-- True for the roles row-level security does not apply to: superusers
-- (the extension's own triggers run as one) and roles with BYPASSRLS.
CREATE OR REPLACE FUNCTION profile_merge_rls.bypasses_rls() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT coalesce((SELECT r.rolsuper OR r.rolbypassrls FROM pg_roles r WHERE r.rolname = current_user), false)
$$;

-- Refuses a row of another account before the extension's trigger sees it.
-- Triggers fire in name order: aa_... fires before events_resolve and
-- consents_resolve. The consents rows the events trigger writes itself come
-- from a superuser (SECURITY DEFINER) and pass.
CREATE OR REPLACE FUNCTION profile_merge_rls.account_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT profile_merge_rls.bypasses_rls()
       AND NEW.account_id IS DISTINCT FROM profile_merge_rls.current_account_id() THEN
        RAISE EXCEPTION 'role % may not write rows of account %', current_user, NEW.account_id
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'An application role is bound to one account by profile_merge_rls.role_accounts.';
    END IF;
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS aa_account_guard ON profile_merge.events;
CREATE TRIGGER aa_account_guard BEFORE INSERT ON profile_merge.events
    FOR EACH ROW EXECUTE FUNCTION profile_merge_rls.account_guard();
DROP TRIGGER IF EXISTS aa_account_guard ON profile_merge.consents;
CREATE TRIGGER aa_account_guard BEFORE INSERT ON profile_merge.consents
    FOR EACH ROW EXECUTE FUNCTION profile_merge_rls.account_guard();

-- The policies: one account per role; account 0's policy rows for all.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['events', 'consents', 'profiles', 'identifiers', 'merges',
                             'sources', 'blocked_values', 'blocked_patterns'] LOOP
        EXECUTE format('ALTER TABLE profile_merge.%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE profile_merge.%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('DROP POLICY IF EXISTS account_read ON profile_merge.%I', t);
        EXECUTE format('DROP POLICY IF EXISTS account_insert ON profile_merge.%I', t);
        IF t IN ('sources', 'blocked_values', 'blocked_patterns') THEN
            EXECUTE format('CREATE POLICY account_read ON profile_merge.%I FOR SELECT
                            USING (account_id IN (0, profile_merge_rls.current_account_id()))', t);
        ELSE
            EXECUTE format('CREATE POLICY account_read ON profile_merge.%I FOR SELECT
                            USING (account_id = profile_merge_rls.current_account_id())', t);
        END IF;
        IF t IN ('events', 'consents') THEN
            EXECUTE format('CREATE POLICY account_insert ON profile_merge.%I FOR INSERT
                            WITH CHECK (account_id = profile_merge_rls.current_account_id())', t);
        END IF;
        -- No UPDATE or DELETE policy: with row-level security on, a role
        -- that was granted UPDATE or DELETE by mistake still changes nothing.
    END LOOP;
END $$;

-- The view reads its tables with the querying role's rights, so the
-- policies above apply through it (a view normally runs as its owner, a
-- superuser here, who bypasses them).
ALTER VIEW profile_merge.profile_consent SET (security_invoker = true);

-- See "What it does" above.
REVOKE EXECUTE ON FUNCTION profile_merge.events_resolve(), profile_merge.consents_resolve() FROM PUBLIC;

COMMIT;
