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
-- numbers of every region are recognized by the engine itself (README,
-- "Junk"), and placeholder addresses by a default blocked_patterns row.
INSERT INTO blocked_values (kind, value)
SELECT 'external_id', v FROM unnest(ARRAY[
    'null', 'nil', 'none', 'undefined', 'nan', 'n/a', 'na', '0', '-1', '[object object]',
    'anonymous', 'unknown', 'test', 'true', 'false']) AS v
UNION ALL
SELECT 'email', v FROM unnest(ARRAY[
    'name@example.com', 'nobody@example.com', 'someone@example.com', 'none@example.com',
    'your@email.com', 'youremail@example.com', 'no-reply@example.com']) AS v;

------------------------------------------------------------------------------
-- Issue 13: what a new user trips over in the first hour
------------------------------------------------------------------------------

-- Item 4: a NULL source is the NOT NULL column's error (23502), as for a
-- plain INSERT, not the most permissive source.
CREATE OR REPLACE FUNCTION identify(
    account_id    bigint  DEFAULT 0,
    source        text    DEFAULT 'api',
    email         text    DEFAULT NULL,
    phone         text    DEFAULT NULL,
    external_id   text    DEFAULT NULL,
    properties    jsonb   DEFAULT '{}',
    sms_consent   boolean DEFAULT NULL,
    email_consent boolean DEFAULT NULL,
    profile_hint  bigint  DEFAULT NULL,
    phone_region  text    DEFAULT NULL)
RETURNS TABLE (event_id bigint, profile_id bigint, outcome text)
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
    INSERT INTO events AS e (account_id, source, email, phone, external_id, properties,
                             sms_consent, email_consent, profile_hint, phone_region)
    VALUES ($1, $2, $3, $4, $5, coalesce($6, '{}'), $7, $8, $9, $10)
    RETURNING e.event_id, e.profile_id, e.outcome
$$;

-- Item 3: the values are normalized before the look-up, so a bad region is
-- an error (22023, from normalize_event_phone) even when the account holds
-- nothing, instead of a NULL that makes the application create a duplicate.
CREATE OR REPLACE FUNCTION find_profile(
    account_id   bigint,
    email        text DEFAULT NULL,
    phone        text DEFAULT NULL,
    external_id  text DEFAULT NULL,
    phone_region text DEFAULT NULL)
RETURNS bigint
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    wanted_email text := try_normalize_email(find_profile.email);
    wanted_phone text := normalize_event_phone(find_profile.phone, find_profile.phone_region);
    wanted_external_id text := btrim(find_profile.external_id);
BEGIN
    RETURN (SELECT i.profile_id
              FROM identifiers i
             WHERE i.account_id = find_profile.account_id AND i.detached_at IS NULL
               AND (   (i.kind = 'external_id' AND i.value = wanted_external_id)
                    OR (i.kind = 'email' AND i.value = wanted_email)
                    OR (i.kind = 'phone' AND i.value = wanted_phone))
             ORDER BY CASE i.kind WHEN 'external_id' THEN 1 WHEN 'email' THEN 2 ELSE 3 END
             LIMIT 1);
END $$;

-- Item 5: an event's time is never NULL. The trigger (and ingest()) read an
-- explicit NULL as the time of the insert, as the default says. Rows stored
-- before 0.4.0 without a time get the time of what the event attached or
-- recorded, else the time of this upgrade. (On a distributed install this
-- ALTER TABLE is a manual step, README "Upgrading".)
-- One pass over identifiers and consents each (grouped), not a look-up per
-- event: neither has an index by event.
UPDATE events e
   SET occurred_at = coalesce(t.attached, t.recorded, now())
  FROM (SELECT u.account_id, u.event_id, max(u.attached) AS attached, max(u.recorded) AS recorded
          FROM (SELECT i.account_id, i.event_id, min(i.attached_at) AS attached, NULL::timestamptz AS recorded
                  FROM identifiers i WHERE i.event_id IS NOT NULL GROUP BY 1, 2
                UNION ALL
                SELECT c.account_id, c.event_id, NULL, min(c.recorded_at)
                  FROM consents c WHERE c.event_id IS NOT NULL GROUP BY 1, 2) u
         GROUP BY 1, 2) t
 WHERE e.occurred_at IS NULL AND t.account_id = e.account_id AND t.event_id = e.event_id;
UPDATE events SET occurred_at = now() WHERE occurred_at IS NULL;
ALTER TABLE events ALTER COLUMN occurred_at SET NOT NULL;

-- Item 6: a blocked phone is stored the same whatever the inserting
-- session's settings: its + form in E.164 (any possible number: placeholders
-- are rarely valid ones); a national spelling, whose meaning depends on a
-- region, is refused with a HINT that shows its E.164 form.
CREATE OR REPLACE FUNCTION blocked_values_normalize() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    info phone_info_result;
BEGIN
    IF NEW.value IS NULL THEN
        RETURN NEW;  -- the NOT NULL column refuses it (23502)
    END IF;
    IF NEW.kind IS DISTINCT FROM 'phone' THEN
        -- external_ids folded to ASCII lower case: blocked in every spelling
        -- (the engine folds a value the same way before it compares).
        NEW.value := CASE NEW.kind WHEN 'email' THEN normalize_email(NEW.value)
            ELSE translate(btrim(NEW.value), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') END;
        RETURN NEW;
    END IF;
    IF btrim(NEW.value) LIKE '+%' THEN
        -- The region argument does not matter for a number written with +.
        info := phone_info(NEW.value, 'US');
        IF info.is_possible THEN
            NEW.value := info.e164;
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'blocked phone "%" is not a possible phone number', NEW.value
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Write the number in E.164 form: + then the country code and the number.';
    END IF;
    info := phone_info(NEW.value);
    RAISE EXCEPTION 'blocked phone "%" must be written in its + form', NEW.value
        USING ERRCODE = 'invalid_parameter_value',
              HINT = CASE WHEN info.is_possible
                          THEN format('In profile_merge.default_region %s that is %s: INSERT that value.',
                                      current_setting('profile_merge.default_region'), info.e164)
                          ELSE 'Write the number in E.164 form: + then the country code and the number.' END;
END $$;

-- Item 8 and item 10, with issue 12's split of unmerge: unmerge reads as
-- its steps (refuse what cannot be undone, give the identifiers back, put
-- the properties back, let the columns follow), each a function of its own.
-- A merge whose event created the merged profile and merged it away at once
-- (the source identifies by a kind that was new, and a value of a kind it
-- accepts led to an older profile) moved no identifier: the event attached
-- its values straight to the survivor. Undoing it gives the re-activated
-- profile what that event attached and set, so the values are no longer
-- glued to the other person. The merges row's saved state is unchanged.

-- The identifiers an unmerge gives back to the merged profile: the rows the
-- merge moved off it or, for a merge that moved none, the rows its event
-- attached to the survivor. Each with the row of the survivor that must
-- still hold it.
CREATE FUNCTION unmerge_given_back(m merges)
RETURNS TABLE (identifier_id bigint, kind text, value text, source text, event_id bigint,
               detach_reason text, from_event boolean)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
-- PL/pgSQL, not SQL: Citus cannot plan an SQL function's parameters
-- (DESIGN.md section 8), and unmerge() runs on the node of its account.
BEGIN
    RETURN QUERY
    SELECT o.identifier_id, o.kind::text, o.value, o.source, o.event_id, o.detach_reason::text, false
      FROM identifiers o
     WHERE o.account_id = m.account_id AND o.identifier_id = ANY (m.moved_identifiers);
    IF cardinality(m.moved_identifiers) = 0 AND m.event_id IS NOT NULL THEN
        RETURN QUERY
        SELECT i.identifier_id, i.kind::text, i.value, i.source, i.event_id, i.detach_reason::text, true
          FROM identifiers i
         WHERE i.account_id = m.account_id AND i.profile_id = m.survivor_id
           AND i.event_id = m.event_id AND i.merge_id IS NULL;
    END IF;
END $$;

-- Raises 55000 when the merge cannot be undone exactly: a later merge of
-- either profile still in place, or a value it moved (or a value its event
-- gave) that is no longer where it left it.
CREATE FUNCTION unmerge_refuse_if_blocked(m merges)
RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    blocker       bigint;
    o             record;
    in_place      boolean;
    blocker_what  text;
BEGIN
    SELECT g.merge_id INTO blocker FROM merges g
     WHERE g.account_id = m.account_id AND g.merge_id > m.merge_id AND g.unmerged_at IS NULL
       AND (g.survivor_id IN (m.survivor_id, m.merged_id) OR g.merged_id IN (m.survivor_id, m.merged_id))
     ORDER BY g.merge_id DESC LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'merge % cannot be undone while the later merge % of the same profiles is in place',
                        m.merge_id, blocker
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = format('Undo merge %s first: SELECT profile_merge.unmerge(%s, %s);',
                                blocker, m.account_id, blocker);
    END IF;

    IF NOT EXISTS (SELECT FROM unmerge_given_back(m)) THEN
        RAISE EXCEPTION 'merge % moved no identifier and its event gave profile % none: undoing it would leave that profile empty',
                        m.merge_id, m.merged_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    -- Every value the merge copied to the survivor (or its event attached
    -- there) must still be attached to it, possibly as a later copy after
    -- another merge was undone; every value a forced merge took away must
    -- still be free. One value at a time, each statement on identifiers
    -- alone: on Citus a statement that read the table and called
    -- unmerge_given_back() would be a nested distributed query.
    FOR o IN SELECT * FROM unmerge_given_back(m) g ORDER BY g.identifier_id LOOP
        IF o.detach_reason IS DISTINCT FROM 'forced' THEN
            in_place := EXISTS (SELECT FROM identifiers h
                                 WHERE h.account_id = m.account_id AND h.kind = o.kind AND h.value = o.value
                                   AND h.detached_at IS NULL AND h.profile_id = m.survivor_id);
        ELSE
            in_place := NOT EXISTS (SELECT FROM identifiers h
                                     WHERE h.account_id = m.account_id AND h.kind = o.kind
                                       AND h.value = o.value AND h.detached_at IS NULL);
        END IF;
        CONTINUE WHEN in_place;
        SELECT 'event ' || h.event_id INTO blocker_what FROM identifiers h
         WHERE h.account_id = m.account_id AND h.kind = o.kind AND h.value = o.value
           AND h.detached_at IS NULL AND h.event_id IS NOT NULL;
        IF blocker_what IS NULL THEN
            SELECT 'event ' || d.detached_by_event INTO blocker_what FROM identifiers d
             WHERE d.account_id = m.account_id AND d.kind = o.kind AND d.value = o.value
               AND d.profile_id = m.survivor_id AND d.detached_by_event IS NOT NULL
             ORDER BY d.detached_at DESC LIMIT 1;
        END IF;
        RAISE EXCEPTION 'merge % cannot be undone exactly: % % is no longer where the merge left it (changed by %)',
                        m.merge_id, o.kind, o.value, coalesce(blocker_what, 'a later change')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Undo that change first, or correct the profiles by hand.';
    END LOOP;
END $$;

-- The survivor's copies are detached and the merged profile gets its
-- values back; history rows stay.
CREATE FUNCTION unmerge_identifiers(m merges)
RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
-- unmerge_given_back() is read on its own, never inside a statement on
-- identifiers (on Citus that would be a nested distributed query).
DECLARE
    from_event bigint[] := ARRAY(SELECT g.identifier_id FROM unmerge_given_back(m) g WHERE g.from_event);
    g          record;
BEGIN
    UPDATE identifiers i SET detached_at = now(), detach_reason = 'unmerged'
     WHERE i.account_id = m.account_id AND i.profile_id = m.survivor_id AND i.detached_at IS NULL
       AND ((i.kind, i.value) IN (SELECT o.kind, o.value FROM identifiers o
                                   WHERE o.account_id = m.account_id
                                     AND o.identifier_id = ANY (m.added_identifiers))
            OR i.identifier_id = ANY (from_event));
    FOR g IN SELECT * FROM unmerge_given_back(m) x ORDER BY x.identifier_id LOOP
        INSERT INTO identifiers (account_id, kind, value, profile_id, source, event_id, merge_id)
        VALUES (m.account_id, g.kind, g.value, m.merged_id, g.source, g.event_id, m.merge_id);
    END LOOP;
END $$;

-- The properties an event that created the merged profile set (on the
-- survivor, where it attached its values), for a merge that moved nothing.
CREATE FUNCTION unmerge_event_properties(m merges)
RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    given jsonb;
BEGIN
    IF cardinality(m.moved_identifiers) = 0 THEN
        SELECT e.properties INTO given FROM events e
         WHERE e.account_id = m.account_id AND e.event_id = m.event_id
           AND jsonb_typeof(e.properties) = 'object';
    END IF;
    RETURN coalesce(given, '{}');
END $$;

-- The merged profile gets its properties back (with those its event set);
-- the survivor's keys go back to their values before the merge, except keys
-- that changed after it.
CREATE FUNCTION unmerge_properties(m merges)
RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    from_event    jsonb := unmerge_event_properties(m);
    after_merge   jsonb := (m.merged_before -> 'properties') || (m.survivor_before -> 'properties') || from_event;
    current_props jsonb;
    restored      jsonb := m.survivor_before -> 'properties';
    key           text;
    val           jsonb;
BEGIN
    SELECT p.properties INTO current_props FROM profiles p
     WHERE p.account_id = m.account_id AND p.profile_id = m.survivor_id;
    FOR key, val IN SELECT * FROM jsonb_each(current_props) LOOP
        IF after_merge -> key IS DISTINCT FROM val THEN
            restored := restored || jsonb_build_object(key, val);
        END IF;
    END LOOP;
    UPDATE profiles p SET merged_into = NULL, properties = (m.merged_before -> 'properties') || from_event,
                          updated_at = now()
     WHERE p.account_id = m.account_id AND p.profile_id = m.merged_id;
    UPDATE profiles p SET properties = restored, updated_at = now()
     WHERE p.account_id = m.account_id AND p.profile_id = m.survivor_id;
END $$;

-- A profile's email, phone and external_id columns follow its attached rows.
-- (Its first argument is not named account_id: an internal helper, which
-- distribute() need not delegate.)
CREATE FUNCTION profile_columns_follow_identifiers(account bigint, profile_ids bigint[])
RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
BEGIN
    UPDATE profiles p
       SET external_id = (SELECT i.value FROM identifiers i WHERE i.account_id = p.account_id
                             AND i.profile_id = p.profile_id AND i.kind = 'external_id' AND i.detached_at IS NULL),
           email = (SELECT i.value FROM identifiers i WHERE i.account_id = p.account_id
                       AND i.profile_id = p.profile_id AND i.kind = 'email' AND i.detached_at IS NULL),
           phone = (SELECT i.value FROM identifiers i WHERE i.account_id = p.account_id
                       AND i.profile_id = p.profile_id AND i.kind = 'phone' AND i.detached_at IS NULL)
     WHERE p.account_id = account AND p.profile_id = ANY (profile_ids);
END $$;

-- Puts both profiles of a merge back (README, "Functions for admins").
CREATE OR REPLACE FUNCTION unmerge(account_id bigint, merge_id bigint)
RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    m merges%ROWTYPE;
BEGIN
    IF unmerge.account_id IS NULL OR unmerge.merge_id IS NULL THEN
        RAISE EXCEPTION '% must not be null', CASE WHEN unmerge.account_id IS NULL THEN 'account_id' ELSE 'merge_id' END
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT * INTO m FROM merges g
     WHERE g.account_id = unmerge.account_id AND g.merge_id = unmerge.merge_id
       FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'merge % does not exist in account %', unmerge.merge_id, unmerge.account_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF m.unmerged_at IS NOT NULL THEN
        RAISE EXCEPTION 'merge % was already undone at %', m.merge_id, m.unmerged_at
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    -- Same lock order as the triggers: profile rows by id.
    PERFORM FROM profiles p
      WHERE p.account_id = m.account_id AND p.profile_id IN (m.survivor_id, m.merged_id)
      ORDER BY p.profile_id FOR UPDATE;

    PERFORM unmerge_refuse_if_blocked(m);
    PERFORM unmerge_identifiers(m);
    PERFORM unmerge_properties(m);
    PERFORM profile_columns_follow_identifiers(m.account_id, ARRAY[m.survivor_id, m.merged_id]);
    UPDATE merges g SET unmerged_at = now()
     WHERE g.account_id = m.account_id AND g.merge_id = m.merge_id;
    RETURN m.merged_id;
END $$;

CREATE OR REPLACE FUNCTION unmerge(merge_id bigint)
RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    accounts bigint[];
BEGIN
    IF unmerge.merge_id IS NULL THEN
        RAISE EXCEPTION 'merge_id must not be null' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT array_agg(g.account_id) INTO accounts FROM merges g WHERE g.merge_id = unmerge.merge_id;
    IF accounts IS NULL THEN
        RAISE EXCEPTION 'merge % does not exist', unmerge.merge_id
            USING ERRCODE = 'invalid_parameter_value';
    ELSIF cardinality(accounts) > 1 THEN
        RAISE EXCEPTION 'merge id % exists in several accounts', unmerge.merge_id
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Call unmerge(account_id, merge_id).';
    END IF;
    RETURN unmerge(accounts[1], unmerge.merge_id);
END $$;

-- The helpers above run with their caller's rights (SECURITY INVOKER), so
-- they let no one do what the tables' grants do not: they stay executable,
-- so that a role granted EXECUTE on unmerge() (README, "Security") can still
-- run it after this update. unmerge() itself stays revoked from PUBLIC.

-- Item 7: explain_profile's event rows say what a conflict was about (the
-- value and the other profile, as detail does); profile_graph declares
-- every node it draws (the survivor of a tombstone too) and draws an undone
-- merge as undone. Item 10: both raise 22023 for a NULL argument instead of
-- being STRICT, like every admin function.
CREATE OR REPLACE FUNCTION explain_profile(account_id bigint, profile_id bigint)
RETURNS SETOF lineage_step
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    members bigint[];
BEGIN
    IF $1 IS NULL OR $2 IS NULL THEN
        RAISE EXCEPTION '% must not be null', CASE WHEN $1 IS NULL THEN 'account_id' ELSE 'profile_id' END
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Resolved first: an unknown profile is an error, never an empty answer.
    members := lineage_of($1, $2);
RETURN QUERY
WITH lineage AS (SELECT unnest(members) AS id),
steps AS (
    SELECT p.created_at AS at, 2 AS rank, 'created' AS step, p.profile_id, NULL::text AS kind,
           NULL::text AS value, NULL::text AS source,
           (SELECT min(e.event_id) FROM events e WHERE e.account_id = $1 AND e.profile_id = p.profile_id)
               AS event_id,
           NULL::bigint AS merge_id, NULL::bigint AS consent_id,
           CASE WHEN p.merged_into IS NOT NULL THEN 'now merged into profile ' || p.merged_into END AS detail
      FROM profiles p WHERE p.account_id = $1 AND p.profile_id IN (SELECT id FROM lineage)
    UNION ALL
    SELECT e.occurred_at, 1, 'event', e.profile_id, NULL,
           coalesce(e.email_normalized, e.phone_e164, e.external_id, e.email, e.phone),
           e.source, e.event_id, NULL, NULL,
           -- a conflict says which value and which other profile, as detail does
           e.outcome || coalesce(': ' || (
               SELECT string_agg(format('%s %s (%s)', d ->> 'kind', d ->> 'value',
                                        concat_ws('; ', 'profile ' || (d ->> 'other_profile'), d ->> 'reason')),
                                 ', ' ORDER BY o)
                 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(e.detail) = 'array' THEN e.detail END)
                      WITH ORDINALITY AS x(d, o)
                WHERE d ->> 'action' = 'conflict'), '')
      FROM events e WHERE e.account_id = $1 AND e.profile_id IN (SELECT id FROM lineage)
    UNION ALL
    SELECT i.attached_at, 3, 'attached', i.profile_id, i.kind, i.value, i.source, i.event_id,
           NULL, NULL, NULL
      FROM identifiers i WHERE i.account_id = $1 AND i.profile_id IN (SELECT id FROM lineage)
                           AND i.merge_id IS NULL
    UNION ALL
    -- A copy made by a merge (or given back by an unmerge): shown with the
    -- merge's event, the first attachment named in detail.
    SELECT i.attached_at, 3, CASE WHEN g.survivor_id = i.profile_id THEN 'moved in' ELSE 'given back' END,
           i.profile_id, i.kind, i.value, i.source, g.event_id, i.merge_id, NULL,
           format('from profile %s%s', CASE WHEN g.survivor_id = i.profile_id THEN g.merged_id ELSE g.survivor_id END,
                  coalesce(', first attached by event ' || i.event_id, ''))
      FROM identifiers i JOIN merges g ON g.account_id = i.account_id AND g.merge_id = i.merge_id
     WHERE i.account_id = $1 AND i.profile_id IN (SELECT id FROM lineage)
    UNION ALL
    SELECT i.detached_at, 4, CASE i.detach_reason WHEN 'overridden' THEN 'overridden'
                                                  WHEN 'merged' THEN 'moved out'
                                                  ELSE 'detached' END,
           i.profile_id, i.kind, i.value, NULL, i.detached_by_event, NULL, NULL, i.detach_reason
      FROM identifiers i WHERE i.account_id = $1 AND i.profile_id IN (SELECT id FROM lineage)
                           AND i.detached_at IS NOT NULL
    UNION ALL
    SELECT g.merged_at, 5, 'merged', g.merged_id, NULL, NULL, NULL, g.event_id, g.merge_id, NULL,
           format('profile %s merged into %s (%s)', g.merged_id, g.survivor_id, g.reason)
      FROM merges g WHERE g.account_id = $1
                      AND (g.survivor_id IN (SELECT id FROM lineage) OR g.merged_id IN (SELECT id FROM lineage))
    UNION ALL
    SELECT g.unmerged_at, 6, 'unmerged', g.merged_id, NULL, NULL, NULL, NULL, g.merge_id, NULL,
           format('merge %s undone: profile %s split from %s', g.merge_id, g.merged_id, g.survivor_id)
      FROM merges g WHERE g.account_id = $1 AND g.unmerged_at IS NOT NULL
                      AND (g.survivor_id IN (SELECT id FROM lineage) OR g.merged_id IN (SELECT id FROM lineage))
    UNION ALL
    SELECT c.recorded_at, 7, 'consent', c.profile_id, c.channel, c.value, c.source, c.event_id, NULL,
           c.consent_id, c.status || coalesce(' (' || c.method || ')', '')
      FROM consents c WHERE c.account_id = $1 AND c.profile_id IN (SELECT id FROM lineage)
)
SELECT at, step, profile_id, kind, value, source, event_id, merge_id, consent_id, detail
  FROM steps
 ORDER BY at, event_id NULLS LAST, rank, consent_id, profile_id, kind, value;
END $$;

CREATE OR REPLACE FUNCTION profile_graph(account_id bigint, profile_id bigint)
RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    lineage  bigint[];
    declared bigint[];  -- the profile nodes drawn so far: each is declared once
    lines    text[] := ARRAY['flowchart LR'];
    r        record;
BEGIN
    IF profile_graph.account_id IS NULL OR profile_graph.profile_id IS NULL THEN
        RAISE EXCEPTION '% must not be null',
                        CASE WHEN profile_graph.account_id IS NULL THEN 'account_id' ELSE 'profile_id' END
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    lineage := lineage_of(profile_graph.account_id, profile_graph.profile_id);
    declared := lineage;
    FOR r IN SELECT p.profile_id, p.merged_into, p.profile_id = profile_graph.profile_id AS is_root
               FROM profiles p
              WHERE p.account_id = profile_graph.account_id AND p.profile_id = ANY (lineage)
              ORDER BY p.profile_id LOOP
        lines := lines || format('    P%s["profile %s%s"]', r.profile_id, r.profile_id,
                                 CASE WHEN r.merged_into IS NULL THEN ' (active)'
                                      ELSE ' (merged into ' || r.merged_into || ')' END);
    END LOOP;
    FOR r IN SELECT i.identifier_id, i.profile_id, i.kind, i.value, i.detached_at IS NOT NULL AS detached,
                    i.detach_reason
               FROM identifiers i
              WHERE i.account_id = profile_graph.account_id AND i.profile_id = ANY (lineage)
              ORDER BY i.identifier_id LOOP
        lines := lines || format('    I%s(["%s: %s"])', r.identifier_id, r.kind, replace(r.value, '"', '#quot;'));
        lines := lines || CASE WHEN r.detached
                               THEN format('    P%s -.->|%s| I%s', r.profile_id, r.detach_reason, r.identifier_id)
                               ELSE format('    P%s --- I%s', r.profile_id, r.identifier_id) END;
    END LOOP;
    FOR r IN SELECT g.merge_id, g.survivor_id, g.merged_id, g.unmerged_at IS NOT NULL AS undone, g.event_id
               FROM merges g
              WHERE g.account_id = profile_graph.account_id
                AND (g.survivor_id = ANY (lineage) OR g.merged_id = ANY (lineage))
              ORDER BY g.merge_id LOOP
        IF NOT r.merged_id = ANY (declared) THEN
            lines := lines || format('    P%s["profile %s (split off)"]', r.merged_id, r.merged_id);
            declared := declared || r.merged_id;
        END IF;
        -- the survivor of a tombstone drawn as the root is outside its lineage
        IF NOT r.survivor_id = ANY (declared) THEN
            lines := lines || format('    P%s["profile %s (survivor)"]', r.survivor_id, r.survivor_id);
            declared := declared || r.survivor_id;
        END IF;
        -- an undone merge is a dotted edge, a merge in place a thick one
        lines := lines || format(CASE WHEN r.undone THEN '    P%s -.->|merge %s%s, undone| P%s'
                                      ELSE '    P%s ==>|merge %s%s| P%s' END,
                                 r.merged_id, r.merge_id, coalesce(', event ' || r.event_id, ''), r.survivor_id);
    END LOOP;
    FOR r IN SELECT DISTINCT e.profile_id, (d ->> 'other_profile')::bigint AS other, d ->> 'kind' AS kind,
                    d ->> 'value' AS value, e.event_id
               FROM events e, jsonb_array_elements(e.detail) d
              WHERE e.account_id = profile_graph.account_id AND e.profile_id = ANY (lineage)
                AND e.outcome = 'conflict' AND d ->> 'action' = 'conflict'
                AND d ->> 'other_profile' IS NOT NULL
              ORDER BY e.event_id LOOP
        IF NOT r.other = ANY (declared) THEN
            lines := lines || format('    P%s["profile %s"]', r.other, r.other);
            declared := declared || r.other;
        END IF;
        lines := lines || format('    P%s -. "conflict: %s %s (event %s)" .- P%s', r.profile_id, r.kind,
                                 replace(r.value, '"', '#quot;'), r.event_id, r.other);
    END LOOP;
    RETURN array_to_string(lines, E'\n');
END $$;

------------------------------------------------------------------------------
-- Issue 15: blocked_patterns, junk by regular expression
------------------------------------------------------------------------------
-- A value (normalized) that matches a pattern of its kind, for the event's
-- account or account 0, is dropped from the event as 'blocked' with the
-- row's reason, exactly like a blocked_values row. Patterns are
-- PostgreSQL's regular expressions (POSIX EREs and more), matched with the
-- C collation; one that does not compile is refused when inserted (2201B).
CREATE TABLE blocked_patterns (
    account_id bigint          NOT NULL DEFAULT 0,
    kind       identifier_kind NOT NULL,
    pattern    text            NOT NULL,
    reason     text,
    PRIMARY KEY (account_id, kind, pattern),
    -- compiles the pattern (an error when it does not); always true otherwise
    CONSTRAINT blocked_pattern_compiles CHECK (('' ~ pattern) IS NOT NULL)
);

-- A nil UUID and other runs of zeros and dashes are no one's id (the
-- style of Segment's '^[0-]*$').
-- An address whose local part equals its domain's first label (x@x.com,
-- fake@fake.com) is a placeholder too; delete the row where such addresses
-- are real (a person's own domain, alex@alex.dev).
INSERT INTO blocked_patterns (kind, pattern, reason)
VALUES ('external_id', '^[0-]+$', 'only zeros and dashes (a nil UUID)'),
       ('email', '^([^@]+)@\1\.', 'placeholder address (local part equals the domain''s first label)');

CREATE TRIGGER blocked_patterns_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON blocked_patterns
    FOR EACH STATEMENT EXECUTE FUNCTION policy_changed();

-- As for sources: a restore's rows come after CREATE EXTENSION's defaults,
-- so a row whose key is there already replaces its reason (an edited
-- default survives a dump and restore) instead of failing.
CREATE FUNCTION blocked_patterns_upsert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    updated bigint;
BEGIN
    IF TG_TABLE_NAME = 'blocked_patterns' THEN
        UPDATE blocked_patterns SET reason = NEW.reason
         WHERE account_id = NEW.account_id AND kind = NEW.kind AND pattern = NEW.pattern;
    ELSE
        -- A Citus placement (blocked_patterns_102010): act on it alone, as
        -- sources_upsert does (the logical table is a reference table there).
        EXECUTE format('UPDATE %I.%I SET reason = $1 WHERE account_id = $2 AND kind = $3 AND pattern = $4',
                       TG_TABLE_SCHEMA, TG_TABLE_NAME)
          USING NEW.reason, NEW.account_id, NEW.kind, NEW.pattern;
    END IF;
    GET DIAGNOSTICS updated = ROW_COUNT;  -- EXECUTE does not set FOUND
    IF updated > 0 THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER blocked_patterns_upsert BEFORE INSERT ON blocked_patterns
    FOR EACH ROW EXECUTE FUNCTION blocked_patterns_upsert();
REVOKE EXECUTE ON FUNCTION blocked_patterns_upsert() FROM PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('blocked_patterns', '');

-- external_ids blocked before 0.4.0, folded as blocked_values_normalize now
-- folds them (where the folded spelling is there already, the row goes).
DELETE FROM blocked_values b
 WHERE b.kind = 'external_id'
   AND b.value <> translate(b.value, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
   AND EXISTS (SELECT FROM blocked_values o
                WHERE o.account_id = b.account_id AND o.kind = b.kind
                  AND o.value = translate(b.value, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'));
UPDATE blocked_values SET value = value
 WHERE kind = 'external_id'
   AND value <> translate(value, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');

------------------------------------------------------------------------------
-- Issue 14: runs on Citus (DESIGN.md sections 5 and 8). distribute() on the
-- coordinator; the configuration tables' triggers work on their placements.
------------------------------------------------------------------------------

-- On a Citus placement (sources_102008) the upsert must act on that
-- placement: the logical table is a reference table there, and querying it
-- from inside Citus's own copy of the rows fails ("cannot execute a
-- distributed query from a query on a shard"). On one node the placement is
-- the table itself.
CREATE OR REPLACE FUNCTION sources_upsert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    updated bigint;
BEGIN
    IF TG_TABLE_NAME = 'sources' THEN
        UPDATE sources SET identify_by = NEW.identify_by, merges = NEW.merges,
                           may_override = NEW.may_override, accepts = NEW.accepts
         WHERE account_id = NEW.account_id AND source = NEW.source;
    ELSE
        EXECUTE format('UPDATE %I.%I SET identify_by = $1, merges = $2, may_override = $3, accepts = $4'
                       ' WHERE account_id = $5 AND source = $6', TG_TABLE_SCHEMA, TG_TABLE_NAME)
          USING NEW.identify_by, NEW.merges, NEW.may_override, NEW.accepts, NEW.account_id, NEW.source;
    END IF;
    GET DIAGNOSTICS updated = ROW_COUNT;  -- EXECUTE does not set FOUND
    IF updated > 0 THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION blocked_values_skip_duplicate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    seen boolean;
BEGIN
    IF TG_TABLE_NAME = 'blocked_values' THEN
        seen := EXISTS (SELECT FROM blocked_values
                         WHERE account_id = NEW.account_id AND kind = NEW.kind AND value = NEW.value);
    ELSE  -- a Citus placement: look at this placement only (see sources_upsert)
        EXECUTE format('SELECT EXISTS (SELECT FROM %I.%I WHERE account_id = $1 AND kind = $2 AND value = $3)',
                       TG_TABLE_SCHEMA, TG_TABLE_NAME)
           INTO seen USING NEW.account_id, NEW.kind, NEW.value;
    END IF;
    IF seen THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;

-- On a Citus worker: the extension's identity sequences get the node's own
-- range, (group id << 48) + 1 up to the next group's, as Citus gives the
-- sequences of tables it creates itself (it leaves extension-owned ones at
-- 1, so ids would collide with those an account brought along when its
-- shard moved here). Run on every worker by distribute(); a no-op on the
-- coordinator (group 0) and where the range is already set.
CREATE FUNCTION _node_sequence_ranges() RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    grp     bigint;
    low     bigint;
    high    bigint;
    seq     record;
    changed integer := 0;
BEGIN
    IF to_regclass('pg_catalog.pg_dist_local_group') IS NULL THEN
        RETURN 0;
    END IF;
    EXECUTE 'SELECT groupid FROM pg_catalog.pg_dist_local_group' INTO grp;
    IF grp IS NULL OR grp = 0 THEN
        RETURN 0;
    END IF;
    low  := (grp << 48) + 1;
    high := ((grp + 1) << 48) - 1;
    -- A catalogue change on this node only: Citus must not send it elsewhere.
    PERFORM set_config('citus.enable_ddl_propagation', 'off', true);
    FOR seq IN
        SELECT s.seqrelid::regclass AS name, s.seqmin
          FROM pg_sequence s
          JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid
                          AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
          JOIN pg_class t ON t.oid = d.refobjid
         WHERE t.relnamespace = '@extschema@'::regnamespace
         ORDER BY 1
    LOOP
        CONTINUE WHEN seq.seqmin = low;
        EXECUTE format('ALTER SEQUENCE %s MINVALUE %s MAXVALUE %s START %s RESTART %s',
                       seq.name, low, high, low, low);
        changed := changed + 1;
    END LOOP;
    RETURN changed;
END $$;
REVOKE EXECUTE ON FUNCTION _node_sequence_ranges() FROM PUBLIC;

-- Once on the coordinator after CREATE EXTENSION (and again after adding a
-- worker): configuration tables become reference tables, every other table
-- is distributed by account_id in one co-location group (profiles first:
-- the others reference it), and every function that takes an account_id is
-- delegated to the node that owns the account. Idempotent.
CREATE FUNCTION distribute(shard_count integer DEFAULT NULL) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, @extschema@, pg_temp
    SET client_min_messages = warning  -- Citus's NOTICEs about copying the rows
AS $$
DECLARE
    config  text[] := ARRAY['sources', 'blocked_values', 'blocked_patterns', 'identifier_kinds'];
    first   text[] := ARRAY['profiles', 'identifiers', 'events', 'consents', 'merges'];
    t       record;
    f       record;
    current integer;
    paused  text[] := '{}';
    current_name text;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION 'profile_merge.distribute() needs Citus, which is not installed in database %',
                        current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'On a Citus coordinator: CREATE EXTENSION citus, citus_add_node() for each '
                         'worker, then distribute() again.';
    END IF;
    IF shard_count IS NOT NULL AND shard_count < 1 THEN
        RAISE EXCEPTION 'shard_count must be at least 1, not %', shard_count
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_dist_node WHERE groupid = 0) THEN
        RAISE EXCEPTION 'distribute() runs on the Citus coordinator'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Call it on the coordinator, after citus_set_coordinator_host() there.';
    END IF;
    SELECT nullif(count(*), 0) INTO current
      FROM pg_catalog.pg_dist_shard WHERE logicalrelid = 'profiles'::regclass;
    IF current IS NOT NULL AND shard_count IS NOT NULL AND current <> shard_count THEN
        RAISE EXCEPTION 'profile_merge is distributed with % shards already, not %', current, shard_count
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Change it with Citus''s alter_distributed_table(..., shard_count => ...), '
                         'cascading to the co-located tables.';
    END IF;

    -- Ids drawn on a worker come from that worker's own range. First: the
    -- call runs over connections of its own, which would wait for the locks
    -- this transaction takes on the workers once it distributes a table.
    EXECUTE 'SELECT count(*) FROM run_command_on_workers(''SELECT profile_merge._node_sequence_ranges()'')'
            ' WHERE NOT success' INTO current;
    IF current > 0 THEN
        RAISE EXCEPTION 'could not give the sequences of % worker(s) their node range', current
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Run SELECT * FROM run_command_on_workers(''SELECT profile_merge._node_sequence_ranges()'') to see why.';
    END IF;

    -- The tables carry triggers; Citus copies them onto every shard.
    PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
    -- Citus copies the rows a table holds into its new shards with COPY,
    -- which would fire the triggers there again: events resolved a second
    -- time against the already copied profiles. Replica mode skips them,
    -- here and on the workers (SET LOCAL propagates with 'local'); reset
    -- below, before anything else of the caller's transaction runs.
    PERFORM set_config('citus.propagate_set_commands', 'local', true);
    EXECUTE 'SET LOCAL session_replication_role = replica';
    -- Replica mode does not reach the connections Citus copies over when
    -- distribute() is not in a transaction block: the resolving triggers
    -- are also off while the rows are copied (back on below, on every shard).
    FOR t IN SELECT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
              WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relname IN ('events', 'consents')
                AND g.tgname IN ('events_resolve', 'consents_resolve') AND g.tgenabled <> 'D'
                AND NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = c.oid)
    LOOP
        EXECUTE format('ALTER TABLE %I DISABLE TRIGGER %I', t.relname, t.relname || '_resolve');
        paused := paused || t.relname::text;
    END LOOP;
    FOR t IN
        SELECT c.oid::regclass AS rel, c.relname = ANY (config) AS reference
          FROM pg_class c
          JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
          JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'profile_merge'
         WHERE c.relkind IN ('r', 'p')
           AND NOT EXISTS (SELECT FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = c.oid)
         ORDER BY c.relname = ANY (config) DESC, array_position(first, c.relname::text), c.relname
    LOOP
        IF t.reference THEN
            EXECUTE 'SELECT create_reference_table($1)' USING t.rel;
            EXECUTE 'SELECT truncate_local_data_after_distributing_table($1)' USING t.rel;
        ELSIF t.rel = 'profiles'::regclass THEN
            IF shard_count IS NULL THEN
                EXECUTE 'SELECT create_distributed_table($1, ''account_id'')' USING t.rel;
            ELSE
                EXECUTE 'SELECT create_distributed_table($1, ''account_id'', shard_count => $2)'
                  USING t.rel, shard_count;
            END IF;
        ELSE
            EXECUTE 'SELECT create_distributed_table($1, ''account_id'', colocate_with => ''profile_merge.profiles'')'
              USING t.rel;
            EXECUTE 'SELECT truncate_local_data_after_distributing_table($1)' USING t.rel;
        END IF;
    END LOOP;
    EXECUTE 'SET LOCAL session_replication_role = origin';
    FOREACH current_name IN ARRAY paused LOOP
        EXECUTE format('ALTER TABLE %I ENABLE TRIGGER %I', current_name, current_name || '_resolve');
    END LOOP;
    IF EXISTS (SELECT FROM pg_catalog.pg_dist_partition WHERE logicalrelid = 'profiles'::regclass) THEN
        EXECUTE 'SELECT truncate_local_data_after_distributing_table($1)' USING 'profiles'::regclass;
    END IF;

    -- Every function taking an account runs where the account lives: its
    -- locks and reads are that node's.
    FOR f IN
        SELECT p.oid::regprocedure AS fn
          FROM pg_proc p
          JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                          AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
          JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'profile_merge'
         WHERE p.prokind = 'f' AND p.proargnames[1] = 'account_id'
           AND NOT EXISTS (SELECT FROM pg_catalog.pg_dist_object o
                            WHERE o.classid = 'pg_proc'::regclass AND o.objid = p.oid
                              AND o.distribution_argument_index IS NOT NULL)
         ORDER BY 1::text
    LOOP
        EXECUTE 'SELECT create_distributed_function($1, ''account_id'','
                ' colocate_with := ''profile_merge.profiles'')' USING f.fn;
    END LOOP;

END $$;
REVOKE EXECUTE ON FUNCTION distribute(integer) FROM PUBLIC;
