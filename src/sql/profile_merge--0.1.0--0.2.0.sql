-- profile_merge 0.1.0 -> 0.2.0: functions for applications and admins
-- (DESIGN.md section 5). Functions only: no table changes, so this upgrade
-- also runs unchanged on a distributed (Citus) install.
\echo Use "ALTER EXTENSION profile_merge UPDATE TO '0.2.0'" to load this file. \quit

------------------------------------------------------------------------------
-- For applications
------------------------------------------------------------------------------

-- Inserts an event (so the same trigger resolves it) and says what happened.
-- Call it as SELECT * FROM identify(...): SELECT (identify(...)).* would run
-- it once per output column.
CREATE FUNCTION identify(
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
    VALUES ($1, coalesce($2, 'api'), $3, $4, $5, coalesce($6, '{}'), $7, $8, $9, $10)
    RETURNING e.event_id, e.profile_id, e.outcome
$$;

-- A phone number normalized as the triggers normalize an event's: in the
-- given region (else profile_merge.default_region), accepted per
-- profile_merge.phone_accept; NULL when refused.
CREATE FUNCTION normalize_event_phone(raw text, region text DEFAULT NULL) RETURNS text
    AS 'MODULE_PATHNAME', 'pm_normalize_event_phone'
    LANGUAGE C STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;

-- The active profile holding any of the given identifiers, typed as people
-- type them; external_id is looked at first, then email, then phone.
CREATE FUNCTION find_profile(
    account_id   bigint,
    email        text DEFAULT NULL,
    phone        text DEFAULT NULL,
    external_id  text DEFAULT NULL,
    phone_region text DEFAULT NULL)
RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
    SELECT i.profile_id
      FROM identifiers i
     WHERE i.account_id = $1 AND i.detached_at IS NULL
       AND (   (i.kind = 'external_id' AND i.value = btrim($4))
            OR (i.kind = 'email' AND i.value = try_normalize_email($2))
            OR (i.kind = 'phone' AND i.value = normalize_event_phone($3, $5)))
     ORDER BY CASE i.kind WHEN 'external_id' THEN 1 WHEN 'email' THEN 2 ELSE 3 END
     LIMIT 1
$$;

-- The active survivor of any profile id of the account (itself if active).
CREATE FUNCTION resolve_profile(account_id bigint, profile_id bigint)
RETURNS bigint
    LANGUAGE plpgsql STABLE STRICT
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    current bigint := resolve_profile.profile_id;
    next_id bigint;
BEGIN
    -- A loop rather than a recursive CTE: each step is one index look-up
    -- filtered on the account (DESIGN.md section 8).
    FOR hops IN 1 .. 100000 LOOP
        SELECT p.merged_into INTO next_id
          FROM profiles p
         WHERE p.account_id = resolve_profile.account_id AND p.profile_id = current;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'profile % does not exist in account %', current, resolve_profile.account_id
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF next_id IS NULL THEN
            RETURN current;
        END IF;
        current := next_id;
    END LOOP;
    RAISE EXCEPTION 'merged_into chain of profile % does not end', resolve_profile.profile_id
        USING ERRCODE = 'data_corrupted';
END $$;

------------------------------------------------------------------------------
-- For admins: merge, unmerge
------------------------------------------------------------------------------

-- Manual merge; the older profile survives. Incompatible profiles need
-- force, which detaches the merged profile's clashing identifiers.
CREATE FUNCTION merge_profiles(
    account_id bigint, a bigint, b bigint,
    reason text DEFAULT 'manual', force boolean DEFAULT false)
RETURNS bigint
    AS 'MODULE_PATHNAME', 'pm_merge_profiles'
    LANGUAGE C VOLATILE
    SET search_path = pg_catalog, @extschema@, pg_temp;

-- Puts both profiles of a merge back: the merged profile's identifiers,
-- columns and properties; the survivor loses what the merge gave it (keys
-- changed since the merge stay). Refused while a later merge of either
-- profile is in place, or when a later event replaced a moved identifier.
CREATE FUNCTION unmerge(account_id bigint, merge_id bigint)
RETURNS bigint
    LANGUAGE plpgsql VOLATILE STRICT
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    m           merges%ROWTYPE;
    blocker     bigint;
    blocker_kind  text;
    blocker_value text;
    blocker_what  text;
    after_merge jsonb;
    current_props jsonb;
    restored    jsonb;
    key         text;
    val         jsonb;
BEGIN
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

    -- A profile an event created and merged away at once (it was led to
    -- an older profile only by a kind its source does not identify by)
    -- held nothing: splitting it off would leave an empty profile.
    IF cardinality(m.moved_identifiers) = 0 THEN
        RAISE EXCEPTION 'merge % moved no identifier: undoing it would leave profile % empty',
                        m.merge_id, m.merged_id
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;

    -- Same lock order as the triggers: profile rows by id.
    PERFORM FROM profiles p
      WHERE p.account_id = m.account_id AND p.profile_id IN (m.survivor_id, m.merged_id)
      ORDER BY p.profile_id FOR UPDATE;

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

    -- Every value the merge copied to the survivor must still be attached
    -- to it (possibly as a later copy, after another merge was undone), and
    -- every value a forced merge took away must still be free.
    SELECT o.kind, o.value,
           coalesce((SELECT 'event ' || h.event_id FROM identifiers h
                      WHERE h.account_id = o.account_id AND h.kind = o.kind AND h.value = o.value
                        AND h.detached_at IS NULL AND h.event_id IS NOT NULL),
                    (SELECT 'event ' || d.detached_by_event FROM identifiers d
                      WHERE d.account_id = o.account_id AND d.kind = o.kind AND d.value = o.value
                        AND d.profile_id = m.survivor_id AND d.detached_by_event IS NOT NULL
                      ORDER BY d.detached_at DESC LIMIT 1),
                    'a later change')
      INTO blocker_kind, blocker_value, blocker_what
      FROM identifiers o
     WHERE o.account_id = m.account_id AND o.identifier_id = ANY (m.moved_identifiers)
       AND NOT EXISTS (
           SELECT FROM identifiers h
            WHERE h.account_id = o.account_id AND h.kind = o.kind AND h.value = o.value
              AND h.detached_at IS NULL
              AND h.profile_id = CASE WHEN o.detach_reason = 'forced' THEN NULL ELSE m.survivor_id END)
       AND (o.detach_reason <> 'forced' OR EXISTS (
           SELECT FROM identifiers h
            WHERE h.account_id = o.account_id AND h.kind = o.kind AND h.value = o.value
              AND h.detached_at IS NULL))
     ORDER BY o.identifier_id LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'merge % cannot be undone exactly: % % is no longer where the merge left it (changed by %)',
                        m.merge_id, blocker_kind, blocker_value, blocker_what
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Undo that change first, or correct the profiles by hand.';
    END IF;

    -- Identifiers: the copies on the survivor are detached, the merged
    -- profile gets its values back (history rows stay).
    UPDATE identifiers i SET detached_at = now(), detach_reason = 'unmerged'
     WHERE i.account_id = m.account_id AND i.profile_id = m.survivor_id AND i.detached_at IS NULL
       AND (i.kind, i.value) IN (SELECT o.kind, o.value FROM identifiers o
                                  WHERE o.account_id = m.account_id
                                    AND o.identifier_id = ANY (m.added_identifiers));
    INSERT INTO identifiers (account_id, kind, value, profile_id, source, event_id, merge_id)
    SELECT m.account_id, o.kind, o.value, m.merged_id, o.source, o.event_id, m.merge_id
      FROM identifiers o
     WHERE o.account_id = m.account_id AND o.identifier_id = ANY (m.moved_identifiers);

    -- Properties: the survivor's keys go back to their values before the
    -- merge, except keys that changed after it.
    after_merge := (m.merged_before -> 'properties') || (m.survivor_before -> 'properties');
    SELECT p.properties INTO current_props FROM profiles p
     WHERE p.account_id = m.account_id AND p.profile_id = m.survivor_id;
    restored := m.survivor_before -> 'properties';
    FOR key, val IN SELECT * FROM jsonb_each(current_props) LOOP
        IF after_merge -> key IS DISTINCT FROM val THEN
            restored := restored || jsonb_build_object(key, val);
        END IF;
    END LOOP;

    UPDATE profiles p SET merged_into = NULL, properties = m.merged_before -> 'properties',
                          updated_at = now()
     WHERE p.account_id = m.account_id AND p.profile_id = m.merged_id;
    UPDATE profiles p SET properties = restored, updated_at = now()
     WHERE p.account_id = m.account_id AND p.profile_id = m.survivor_id;
    -- Columns follow the attached identifiers of each.
    UPDATE profiles p
       SET external_id = (SELECT i.value FROM identifiers i WHERE i.account_id = p.account_id
                             AND i.profile_id = p.profile_id AND i.kind = 'external_id' AND i.detached_at IS NULL),
           email = (SELECT i.value FROM identifiers i WHERE i.account_id = p.account_id
                       AND i.profile_id = p.profile_id AND i.kind = 'email' AND i.detached_at IS NULL),
           phone = (SELECT i.value FROM identifiers i WHERE i.account_id = p.account_id
                       AND i.profile_id = p.profile_id AND i.kind = 'phone' AND i.detached_at IS NULL)
     WHERE p.account_id = m.account_id AND p.profile_id IN (m.survivor_id, m.merged_id);

    UPDATE merges g SET unmerged_at = now()
     WHERE g.account_id = m.account_id AND g.merge_id = m.merge_id;
    RETURN m.merged_id;
END $$;

-- The same, when merge ids are unique in the database (one node).
CREATE FUNCTION unmerge(merge_id bigint)
RETURNS bigint
    LANGUAGE plpgsql VOLATILE STRICT
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    accounts bigint[];
BEGIN
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

REVOKE EXECUTE ON FUNCTION merge_profiles(bigint, bigint, bigint, text, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION unmerge(bigint, bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION unmerge(bigint) FROM PUBLIC;

------------------------------------------------------------------------------
-- Explaining a profile
------------------------------------------------------------------------------

-- The profiles whose history is part of this one: itself and, transitively,
-- every profile merged into it by a merge still in place.
CREATE FUNCTION lineage_of(account_id bigint, profile_id bigint)
RETURNS bigint[]
    LANGUAGE plpgsql STABLE STRICT
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    lineage bigint[] := ARRAY[lineage_of.profile_id];
    added   bigint[];
BEGIN
    IF NOT EXISTS (SELECT FROM profiles p WHERE p.account_id = lineage_of.account_id
                                          AND p.profile_id = lineage_of.profile_id) THEN
        RAISE EXCEPTION 'profile % does not exist in account %', lineage_of.profile_id, lineage_of.account_id
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    LOOP
        SELECT array_agg(DISTINCT g.merged_id) INTO added FROM merges g
         WHERE g.account_id = lineage_of.account_id AND g.survivor_id = ANY (lineage)
           AND g.unmerged_at IS NULL AND NOT g.merged_id = ANY (lineage);
        EXIT WHEN added IS NULL;
        lineage := lineage || added;
    END LOOP;
    RETURN lineage;
END $$;

CREATE TYPE lineage_step AS (
    at          timestamptz,
    step        text,
    profile_id  bigint,
    kind        text,
    value       text,
    source      text,
    event_id    bigint,
    merge_id    bigint,
    consent_id  bigint,
    detail      text);

-- Everything that shaped a profile, oldest first: its creation and that of
-- the profiles merged into it, every event, attachment, override,
-- detachment, merge, unmerge and consent.
CREATE FUNCTION explain_profile(account_id bigint, profile_id bigint)
RETURNS SETOF lineage_step
    LANGUAGE plpgsql STABLE STRICT
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    -- Resolved first: an unknown profile is an error, never an empty answer.
    members bigint[] := lineage_of($1, $2);
BEGIN
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
           e.source, e.event_id, NULL, NULL, e.outcome
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

-- The identity graph of a profile as a Mermaid flowchart: its lineage,
-- their identifiers (dashed when detached), merges, and conflicts recorded
-- by events with other profiles.
CREATE FUNCTION profile_graph(account_id bigint, profile_id bigint)
RETURNS text
    LANGUAGE plpgsql STABLE STRICT
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    lineage bigint[] := lineage_of(profile_graph.account_id, profile_graph.profile_id);
    lines   text[] := ARRAY['flowchart LR'];
    r       record;
BEGIN
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
        IF NOT r.merged_id = ANY (lineage) THEN
            lines := lines || format('    P%s["profile %s (split off)"]', r.merged_id, r.merged_id);
        END IF;
        lines := lines || format('    P%s ==>|merge %s%s%s| P%s', r.merged_id, r.merge_id,
                                 coalesce(', event ' || r.event_id, ''),
                                 CASE WHEN r.undone THEN ', undone' ELSE '' END, r.survivor_id);
    END LOOP;
    FOR r IN SELECT DISTINCT e.profile_id, (d ->> 'other_profile')::bigint AS other, d ->> 'kind' AS kind,
                    d ->> 'value' AS value, e.event_id
               FROM events e, jsonb_array_elements(e.detail) d
              WHERE e.account_id = profile_graph.account_id AND e.profile_id = ANY (lineage)
                AND e.outcome = 'conflict' AND d ->> 'action' = 'conflict'
                AND d ->> 'other_profile' IS NOT NULL
              ORDER BY e.event_id LOOP
        IF NOT r.other = ANY (lineage) THEN
            lines := lines || format('    P%s["profile %s"]', r.other, r.other);
        END IF;
        lines := lines || format('    P%s -. "conflict: %s %s (event %s)" .- P%s', r.profile_id, r.kind,
                                 replace(r.value, '"', '#quot;'), r.event_id, r.other);
    END LOOP;
    RETURN array_to_string(lines, E'\n');
END $$;

------------------------------------------------------------------------------
-- The bulk path
------------------------------------------------------------------------------

-- Replays the events staged in a table (any of the application columns of
-- events; missing ones take events' defaults), in physical order or by
-- order_by (a column name), through the same rules as the triggers, in
-- memory, and writes the results in bulk. The final state is the one
-- inserting the same events one by one would give. Takes SHARE ROW EXCLUSIVE
-- locks on the extension's tables: other writers wait until it commits.
-- Reports progress as NOTICEs; returns the number of events ingested.
CREATE FUNCTION ingest(source_table regclass, order_by text DEFAULT NULL)
RETURNS bigint
    AS 'MODULE_PATHNAME', 'pm_ingest'
    LANGUAGE C VOLATILE
    SET search_path = pg_catalog, @extschema@, pg_temp;

REVOKE EXECUTE ON FUNCTION ingest(regclass, text) FROM PUBLIC;
