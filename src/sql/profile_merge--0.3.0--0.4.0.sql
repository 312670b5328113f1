-- profile_merge 0.3.0 -> 0.4.0: PostgreSQL 15 through 18, the rough edges a
-- new user meets in the first hour, and the normalizers without a pinned
-- search_path (DESIGN.md section 6 exempts C functions that run no SQL).
\echo Use "ALTER EXTENSION profile_merge UPDATE TO '0.4.0'" to load this file. \quit

-- Each part below names the issue it belongs to.

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
                  HINT = 'On a Citus coordinator: CREATE EXTENSION citus, add the workers with '
                         'citus_add_node(), then call distribute() again. On one server there is '
                         'nothing to distribute.';
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
