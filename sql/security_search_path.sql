-- security_search_path: the extension cannot be hijacked through the caller's
-- search_path, and nothing of it is open to PUBLIC (DESIGN.md sections 6 and
-- 7b). Modelled on PostgreSQL's own create_index_acl-style tests: a hostile
-- role plants look-alike functions, operators and relations where an
-- unpinned search_path would find them; a victim session then uses every
-- entry point of the extension with that search_path. Every hostile object
-- raises 'hijacked: ...' and first bumps a sequence (not rolled back by an
-- error), so a single call would show either way. Account 920 belongs to
-- this suite; ids are printed relatively.
SET search_path = profile_merge, public;
\pset null '(null)'

------------------------------------------------------------------------------
-- Catalog checks
------------------------------------------------------------------------------
CREATE TEMP VIEW ext_functions AS
SELECT p.oid, p.oid::regprocedure AS function, p.proname, p.prosecdef, p.proconfig
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                  AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'profile_merge';
CREATE TEMP VIEW ext_relations AS
SELECT c.oid, c.oid::regclass AS relation, c.relkind, c.relacl
  FROM pg_class c
  JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                  AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'profile_merge';

-- every function has a pinned search_path (none listed) but the C functions
-- DESIGN.md section 6 exempts, listed in test/sql/search_path_exceptions.sql
\ir test/sql/search_path_exceptions.sql
SELECT function AS function_without_pinned_search_path
  FROM ext_functions
 WHERE NOT EXISTS (SELECT FROM unnest(proconfig) c WHERE c LIKE 'search_path=%')
   AND oid NOT IN (SELECT function FROM search_path_exceptions)
 ORDER BY function::text;
-- the exceptions: each belongs to the extension, is a C function, is not
-- SECURITY DEFINER and carries no setting at all (so no search_path clause
-- costs it a GUC save and restore per call)
SELECT x.function AS exempt_function, f.oid IS NOT NULL AS of_extension,
       l.lanname AS language, p.prosecdef AS security_definer, p.proconfig AS settings
  FROM search_path_exceptions x
  JOIN pg_proc p ON p.oid = x.function
  JOIN pg_language l ON l.oid = p.prolang
  LEFT JOIN ext_functions f ON f.oid = x.function
 ORDER BY x.function::text;
-- pinned to what: pg_catalog first, pg_temp last, never public or "$user"
SELECT DISTINCT c AS pinned_search_path,
       c LIKE 'search_path=pg_catalog,%' AND c LIKE '%, pg_temp' AND c !~ 'public|\$user' AS safe
  FROM ext_functions, unnest(proconfig) c
 WHERE c LIKE 'search_path=%'
 ORDER BY 1;
-- no SECURITY DEFINER function is executable by PUBLIC (none listed): a
-- SECURITY DEFINER trigger function that PUBLIC may execute can be attached
-- by anyone to a table of their own (CREATE TRIGGER needs only EXECUTE on
-- the function), where it writes profiles, identifiers and consents of any
-- account with the extension owner's rights; the extension's own triggers
-- fire without any EXECUTE right
SELECT function AS security_definer_function_public_may_execute
  FROM ext_functions
 WHERE prosecdef AND has_function_privilege('public', oid, 'EXECUTE')
 ORDER BY function::text;
-- the admin functions are not executable by PUBLIC
SELECT function, has_function_privilege('public', oid, 'EXECUTE') AS public_may_execute
  FROM ext_functions
 WHERE proname IN ('merge_profiles', 'unmerge', 'ingest')
 ORDER BY function::text;
-- no table, view or sequence grants anything to PUBLIC (none listed)
SELECT r.relation, p.privilege AS public_privilege
  FROM ext_relations r,
       unnest(CASE WHEN r.relkind = 'S' THEN ARRAY['USAGE', 'SELECT', 'UPDATE']
                   ELSE ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER'] END)
         AS p(privilege)
 WHERE CASE WHEN r.relkind = 'S' THEN has_sequence_privilege('public', r.oid, p.privilege)
            ELSE has_table_privilege('public', r.oid, p.privilege) END
 ORDER BY r.relation::text, 2;
SELECT r.relation, a.privilege_type AS granted_to_public
  FROM ext_relations r, aclexplode(r.relacl) a
 WHERE a.grantee = 0
 ORDER BY r.relation::text, 2;
-- not a single column either (none listed)
SELECT r.relation, a.attname
  FROM ext_relations r JOIN pg_attribute a ON a.attrelid = r.oid
 WHERE a.attnum > 0 AND NOT a.attisdropped
   AND has_any_column_privilege('public', r.oid, 'SELECT,INSERT,UPDATE,REFERENCES')
 ORDER BY r.relation::text, 2;
-- the schema: PUBLIC may look up names in it, not create objects there
SELECT has_schema_privilege('public', 'profile_merge', 'USAGE') AS public_usage,
       has_schema_privilege('public', 'profile_merge', 'CREATE') AS public_create;

------------------------------------------------------------------------------
-- A hostile role plants look-alikes in public
------------------------------------------------------------------------------
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_pm_hostile;
RESET client_min_messages;
CREATE ROLE regress_pm_hostile;
GRANT CREATE ON SCHEMA public TO regress_pm_hostile;
SET ROLE regress_pm_hostile;
-- (the hostile role itself keeps a safe path while it plants)
SET search_path = pg_catalog, pg_temp;

CREATE SEQUENCE public.hijack_calls;
GRANT USAGE, SELECT ON SEQUENCE public.hijack_calls TO PUBLIC;

-- functions: the same signatures as pg_catalog's (they win when the victim
-- puts public before pg_catalog) and better-matching overloads of
-- polymorphic or variadic ones (they win wherever public is searched at
-- all, pg_catalog first or not), plus the extension's own names
DO $do$
DECLARE
    f record;
BEGIN
    FOR f IN SELECT * FROM (VALUES
        ('lower(text)', 'text'), ('upper(text)', 'text'), ('btrim(text)', 'text'),
        ('btrim(text, text)', 'text'), ('length(text)', 'integer'), ('left(text, integer)', 'text'),
        ('replace(text, text, text)', 'text'), ('"coalesce"(text, text)', 'text'),
        ('"nullif"(text, text)', 'text'), ('now()', 'timestamptz'), ('clock_timestamp()', 'timestamptz'),
        ('statement_timestamp()', 'timestamptz'), ('nextval(regclass)', 'bigint'),
        ('jsonb_build_object(text, jsonb)', 'jsonb'),
        ('jsonb_build_object(text, text, text, text, text, text, text, jsonb, text, timestamptz)', 'jsonb'),
        ('jsonb_typeof(jsonb)', 'text'),
        ('jsonb_each(jsonb, OUT key text, OUT value jsonb)', 'SETOF record'),
        ('jsonb_array_elements(jsonb)', 'SETOF jsonb'), ('jsonb_object_keys(jsonb)', 'SETOF text'),
        ('array_to_string(text[], text)', 'text'), ('array_position(text[], text)', 'integer'),
        ('cardinality(text[])', 'integer'), ('unnest(bigint[])', 'SETOF bigint'),
        ('unnest(text[])', 'SETOF text'), ('format(text, bigint)', 'text'),
        ('format(text, bigint, bigint)', 'text'), ('format(text, text)', 'text'),
        ('format(text, bigint, text)', 'text'), ('format(text, bigint, bigint, bigint)', 'text'),
        ('normalize_email(text)', 'text'), ('try_normalize_email(text)', 'text'),
        ('normalize_phone(text)', 'text'), ('normalize_phone(text, text)', 'text'),
        ('try_normalize_phone(text)', 'text'), ('try_normalize_phone(text, text)', 'text'),
        ('lineage_of(bigint, bigint)', 'bigint[]'), ('resolve_profile(bigint, bigint)', 'bigint'),
        ('unmerge(bigint, bigint)', 'bigint'), ('unmerge(bigint)', 'bigint'),
        ('find_profile(bigint, text, text, text, text)', 'bigint'),
        ('merge_profiles(bigint, bigint, bigint, text, boolean)', 'bigint'),
        ('identify(bigint, text, text, text, text, jsonb, boolean, boolean, bigint, text)',
         'TABLE (event_id bigint, profile_id bigint, outcome text)'))
        AS t(signature, returns)
    LOOP
        EXECUTE format($f$CREATE FUNCTION public.%s RETURNS %s LANGUAGE plpgsql
                          SET search_path = pg_catalog AS $b$
                          BEGIN
                              PERFORM pg_catalog.nextval('public.hijack_calls');
                              RAISE EXCEPTION 'hijacked: %s';
                          END $b$ $f$, f.signature, f.returns, replace(f.signature, '''', ''''''));
    END LOOP;
END $do$;

-- aggregates with better-matching argument types than pg_catalog's
CREATE FUNCTION public.hijack_agg(state bigint[], value bigint) RETURNS bigint[]
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    PERFORM pg_catalog.nextval('public.hijack_calls');
    RAISE EXCEPTION 'hijacked: an aggregate';
END $$;
CREATE AGGREGATE public.array_agg(bigint) (SFUNC = public.hijack_agg, STYPE = bigint[]);
CREATE AGGREGATE public.min(bigint) (SFUNC = public.hijack_agg, STYPE = bigint[]);

-- operators, each with a function that raises
DO $do$
DECLARE
    o record;
    fname text;
BEGIN
    FOR o IN SELECT * FROM (VALUES
        (1, '=', 'text', 'text', 'boolean'), (2, '=', 'bigint', 'bigint', 'boolean'),
        (3, '=', 'bigint', 'integer', 'boolean'), (4, '<>', 'jsonb', 'jsonb', 'boolean'),
        (5, '<>', 'text', 'text', 'boolean'), (6, '||', 'text', 'bigint', 'text'),
        (7, '||', 'bigint', 'text', 'text'), (8, '||', 'jsonb', 'jsonb', 'jsonb'),
        (9, '||', 'text', 'text', 'text'), (10, '->', 'jsonb', 'text', 'jsonb'),
        (11, '->>', 'jsonb', 'text', 'text'), (12, '<@', 'text[]', 'text[]', 'boolean'),
        (13, '~', 'text', 'text', 'boolean'), (14, '<', 'bigint', 'bigint', 'boolean'),
        (15, '>', 'bigint', 'bigint', 'boolean'), (16, '?', 'jsonb', 'text', 'boolean'))
        AS t(n, op, l, r, returns)
    LOOP
        fname := 'hijack_op_' || o.n::text;
        EXECUTE format($f$CREATE FUNCTION public.%I(%s, %s) RETURNS %s LANGUAGE plpgsql
                          SET search_path = pg_catalog AS $b$
                          BEGIN
                              PERFORM pg_catalog.nextval('public.hijack_calls');
                              RAISE EXCEPTION 'hijacked: operator %s(%s, %s)';
                          END $b$ $f$, fname, o.l, o.r, o.returns, o.op, o.l, o.r);
        EXECUTE format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.%I)',
                       o.op, o.l, o.r, fname);
    END LOOP;
END $do$;

-- relations named like the extension's, in public and in the session's own
-- temporary schema (which an unpinned search_path searches first of all):
-- reading one raises, and so does writing to one
CREATE FUNCTION public.hijack_rel(what text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    PERFORM pg_catalog.nextval('public.hijack_calls');
    RAISE EXCEPTION 'hijacked: relation %', what;
END $$;
CREATE FUNCTION public.hijack_write() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    PERFORM pg_catalog.nextval('public.hijack_calls');
    RAISE EXCEPTION 'hijacked: % on %.%', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME;
END $$;
DO $do$
DECLARE
    rel text;
    target text;
BEGIN
    FOREACH rel IN ARRAY ARRAY['sources', 'blocked_values', 'profiles', 'identifiers', 'events',
                               'consents', 'merges', 'profile_consent'] LOOP
        FOREACH target IN ARRAY ARRAY['public', 'pg_temp'] LOOP
            -- the same columns as the extension's relation, no access to it
            EXECUTE format('CREATE VIEW %s.%I AS SELECT %s FROM (SELECT public.hijack_rel(%L)) h',
                           target, rel,
                           (SELECT string_agg(format('NULL::%s AS %I', format_type(a.atttypid, a.atttypmod),
                                                     a.attname), ', ' ORDER BY a.attnum)
                              FROM pg_attribute a
                             WHERE a.attrelid = format('profile_merge.%I', rel)::regclass
                               AND a.attnum > 0 AND NOT a.attisdropped),
                           target || '.' || rel);
            EXECUTE format('CREATE TRIGGER hijack INSTEAD OF INSERT OR UPDATE OR DELETE ON %s.%I
                            FOR EACH ROW EXECUTE FUNCTION public.hijack_write()', target, rel);
        END LOOP;
    END LOOP;
END $do$;
RESET ROLE;

-- The victim's search_path: the temporary schema first (implicitly), then
-- public, then pg_catalog, then the extension.
\set hostile_path 'public, pg_catalog, profile_merge'


------------------------------------------------------------------------------
-- The victim uses every entry point with the hostile search_path
------------------------------------------------------------------------------
-- Nothing below uses an unqualified name or an operator outside the
-- extension: every statement hands its work to profile_merge at once, and
-- its results are kept with \gset or in temporary tables (whose names no
-- look-alike shadows) and checked afterwards with a safe search_path.
SET search_path = :hostile_path;

-- an admin adds a source and a blocked value (plpgsql triggers)
INSERT INTO profile_merge.sources VALUES ('kiosk920', '{email,phone}', false, '{phone}', '{email,phone}', 920);
INSERT INTO profile_merge.sources VALUES ('kiosk920', '{email,phone}', true, '{phone}', '{email,phone}', 920);
INSERT INTO profile_merge.blocked_values (kind, value, account_id)
VALUES ('email', ' Junk.Hostile@Example.ORG ', 920), ('phone', '+1 (415) 555-0159', 920);
-- an SMS keyword opt-in makes a phone-only profile
INSERT INTO profile_merge.events (account_id, source, phone, sms_consent)
VALUES (920, 'sms_keyword', '(415) 555-0150', true)
RETURNING profile_id AS carla_phone, outcome AS o_keyword, detail AS d_keyword \gset
-- a form sign-up by email makes another one
SELECT profile_id AS carla_email, outcome AS o_signup
  FROM profile_merge.identify(920, 'form', email => ' Carla.Hostile@Example.org ', email_consent => true) \gset
-- an SMS STOP reply inserted into the ledger directly
INSERT INTO profile_merge.consents (account_id, channel, value, status, source, method)
VALUES (920, 'sms', '415.555.0150', 'unsubscribed', 'sms_keyword', 'sms_reply')
RETURNING profile_id AS stop_profile, value AS stop_value \gset
-- junk is blocked, the kiosk (merges) glues the two profiles
INSERT INTO profile_merge.events (account_id, source, email, phone)
VALUES (920, 'kiosk920', 'junk.hostile@example.org', '+1 415 555 0159')
RETURNING outcome AS o_junk, detail AS d_junk \gset
INSERT INTO profile_merge.events (account_id, source, email, phone, properties)
VALUES (920, 'kiosk920', 'CARLA.HOSTILE@example.org', '+14155550150', '{"seen_at": "kiosk"}')
RETURNING profile_id AS kiosk_profile, outcome AS o_kiosk, detail AS d_kiosk \gset
-- a bulk load
COPY profile_merge.events (account_id, source, email, phone) FROM stdin;
920	import	dan.hostile@example.org	\N
920	import	DAN.HOSTILE@example.org	+1 415 555 0151
\.
-- the functions for applications
SELECT profile_merge.find_profile(920, email => ' carla.hostile@EXAMPLE.org ') AS found_by_email,
       profile_merge.find_profile(920, phone => '415-555-0150') AS found_by_phone,
       coalesce(profile_merge.find_profile(920, phone => '020 7946 0150', phone_region => 'GB'), -1) AS found_nobody,
       profile_merge.resolve_profile(920, :carla_email) AS resolved_email_profile,
       profile_merge.normalize_email(' Carla.Hostile@Example.org ') AS normalized_email,
       profile_merge.try_normalize_phone('(415) 555-0150') AS normalized_phone \gset
-- the functions without a pinned search_path, every one of them
CREATE TEMP TABLE exempt_hostile AS
SELECT profile_merge.try_normalize_email('Carla.Hostile@Example.org') AS try_email,
       profile_merge.normalize_phone('(415) 555-0150') AS phone,
       profile_merge.normalize_phone('020 7946 0150', 'GB') AS phone_gb,
       profile_merge.try_normalize_phone('020 7946 0150', 'GB') AS try_phone_gb,
       profile_merge.phone_info('(415) 555-0150') AS info,
       profile_merge.phone_info('020 7946 0150', 'GB') AS info_gb;
CREATE TEMP TABLE explained_hostile AS
SELECT * FROM profile_merge.explain_profile(920, :carla_phone) WITH ORDINALITY;
SELECT profile_merge.profile_graph(920, :carla_phone) AS graph_hostile \gset
CREATE TEMP TABLE consent_hostile AS SELECT * FROM profile_merge.profile_consent;
-- the functions for admins: undo the kiosk's merge (its id read from the
-- event's detail with a safe path), merge by hand, undo that, merge again
SET search_path = pg_catalog, profile_merge, pg_temp;
SELECT (e->>'merge_id')::bigint AS kiosk_merge
  FROM jsonb_array_elements(:'d_kiosk'::jsonb) e WHERE e ? 'merge_id' \gset
SET search_path = :hostile_path;
SELECT profile_merge.unmerge(920, :kiosk_merge) AS unmerged_kiosk \gset
SELECT profile_merge.merge_profiles(920, :carla_email, :carla_phone, 'hostile path, by hand') AS manual_merge \gset
SELECT profile_merge.unmerge(:manual_merge) AS unmerged_manual \gset
SELECT profile_merge.merge_profiles(920, :carla_phone, :carla_email) AS final_merge \gset

------------------------------------------------------------------------------
-- Back to a safe search_path: were the results right?
------------------------------------------------------------------------------
SET search_path = pg_catalog, profile_merge, pg_temp;
SELECT last_value, is_called AS hostile_code_ran FROM public.hijack_calls;

SELECT source, identify_by, merges FROM sources WHERE account_id = 920;
SELECT kind, value FROM blocked_values WHERE account_id = 920 ORDER BY kind;
SELECT :'o_keyword' AS keyword, :'o_signup' AS signup, :carla_phone <> :carla_email AS two_profiles,
       :stop_profile = :carla_phone AS stop_on_phone_profile, :'stop_value' AS stop_value,
       :'o_junk' AS junk, :'o_kiosk' AS kiosk, :kiosk_profile = :carla_phone AS older_survives;
SELECT e->>'action' AS action, e->>'kind' AS kind, e->>'value' AS value,
       CASE (e->>'other_profile')::bigint WHEN :carla_phone THEN 'phone profile'
                                          WHEN :carla_email THEN 'email profile' END AS other_profile,
       e ? 'merge_id' AS names_merge
  FROM jsonb_array_elements(:'d_kiosk'::jsonb) e;
SELECT e->>'action' AS action, e->>'kind' AS kind, e->>'value' AS value
  FROM jsonb_array_elements(:'d_keyword'::jsonb) e;
SELECT e->>'action' AS action, e->>'kind' AS kind, e->>'value' AS value
  FROM jsonb_array_elements(:'d_junk'::jsonb) e;
SELECT email, phone, outcome FROM events WHERE account_id = 920 AND source = 'import' ORDER BY event_id;
SELECT :found_by_email = :carla_phone AS found_by_email, :found_by_phone = :carla_phone AS found_by_phone,
       :found_nobody = -1 AS found_nobody, :resolved_email_profile = :carla_phone AS resolved,
       :'normalized_email' AS normalized_email, :'normalized_phone' AS normalized_phone;
SELECT try_email, phone, phone_gb, try_phone_gb FROM exempt_hostile;
SELECT (info).e164, (info).region, (info_gb).e164 AS e164_gb, (info_gb).region AS region_gb
  FROM exempt_hostile;
-- explain_profile and profile_graph as read with the hostile path (before
-- the unmerges below)
SELECT step, CASE profile_id WHEN :carla_phone THEN 'phone profile' WHEN :carla_email THEN 'email profile'
                 END AS profile, kind, value, source, regexp_replace(detail, '[0-9]+', '#', 'g') AS detail
  FROM explained_hostile ORDER BY ordinality;
-- the graph, the phone profile shown as A, the email profile as B, other ids as #
SELECT regexp_replace(regexp_replace(regexp_replace(:'graph_hostile',
         '(?<=P|profile |into )' || :carla_phone || '(?![0-9])', 'A', 'g'),
         '(?<=P|profile |into )' || :carla_email || '(?![0-9])', 'B', 'g'),
         '(I|merge |event )[0-9]+', '\1#', 'g') AS graph;
SELECT profile_id = :carla_phone AS is_phone_profile, email, email_status, phone, sms_status
  FROM consent_hostile WHERE account_id = 920 AND profile_id IN (:carla_phone, :carla_email);
SELECT :unmerged_kiosk = :carla_email AS kiosk_merge_undone,
       :unmerged_manual = :carla_email AS manual_merge_undone;
SELECT merged_id = :carla_email AS merged_email_profile, survivor_id = :carla_phone AS into_phone_profile,
       reason, unmerged_at IS NOT NULL AS undone
  FROM merges WHERE account_id = 920 ORDER BY merge_id;
SELECT profile_id = :carla_phone AS is_phone_profile, email, phone, merged_into = :carla_phone AS tombstone,
       properties
  FROM profiles WHERE account_id = 920 AND profile_id IN (:carla_phone, :carla_email) ORDER BY 1 DESC;
SELECT channel, value, status, source, method, profile_id = :carla_phone AS on_phone_profile
  FROM consents WHERE account_id = 920 ORDER BY consent_id;
\ir test/sql/check_invariants.sql

-- Control: the look-alikes were live all along. Unqualified calls under the
-- hostile path, and a copy of find_profile without its pinned search_path,
-- reach them (four calls, each stopped at once).
\set VERBOSITY terse
SET search_path = :hostile_path;
SELECT lower('X');
SELECT count(*) FROM profiles;
SELECT 'a' || 1::bigint;
CREATE FUNCTION pg_temp.find_profile_unpinned(account_id bigint, email text) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT i.profile_id FROM profile_merge.identifiers i
     WHERE i.account_id = $1 AND i.detached_at IS NULL
       AND i.kind = 'email' AND i.value = profile_merge.try_normalize_email($2)
$$;
SELECT pg_temp.find_profile_unpinned(920, 'x@example.org');
\set VERBOSITY default
SET search_path = pg_catalog, profile_merge, pg_temp;
SELECT last_value AS look_alike_calls FROM public.hijack_calls;

------------------------------------------------------------------------------
-- The hostile objects go
------------------------------------------------------------------------------
DROP OWNED BY regress_pm_hostile;
DROP ROLE regress_pm_hostile;
SELECT count(*) AS hostile_objects_left
  FROM pg_proc WHERE pronamespace = 'public'::regnamespace AND proname ~ '^hijack';
