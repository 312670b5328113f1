-- profile_merge 0.4.0 -> 0.5.0: identifiers as the platforms keep them now
-- (issue 15, DESIGN.md sections 3 and 4b): identifier_kinds (a limit per
-- kind, custom kinds), events.identifiers, profile_identifiers,
-- suspect_values.
\echo Use "ALTER EXTENSION profile_merge UPDATE TO '0.5.0'" to load this file. \quit

------------------------------------------------------------------------------
-- Kind names: the built-in three and any custom kind
------------------------------------------------------------------------------
-- A kind is a name an identifier_kinds row may carry; whether an account has
-- it is the engine's question (a value of a kind it does not have is
-- `ignored`, "unknown kind"), not the column's. 'profile' stays the hint's.
ALTER DOMAIN identifier_kind DROP CONSTRAINT identifier_kind_known;
-- The built-in names first: the check runs for every identifiers row the
-- triggers write, and the list costs less than the regular expression
-- (callgrind, bench/README.md, kinds).
ALTER DOMAIN identifier_kind ADD CONSTRAINT identifier_kind_name
    CHECK (VALUE IN ('email', 'phone', 'external_id')
           OR (VALUE ~ '^[a-z][a-z0-9_]{0,62}$' AND VALUE <> 'profile'));

ALTER TABLE blocked_values DROP CONSTRAINT blocked_values_kind_check;
ALTER TABLE blocked_values ALTER COLUMN kind TYPE identifier_kind;

-- Sources may identify by, accept and override custom kinds.
ALTER TABLE sources DROP CONSTRAINT sources_kinds_known;
ALTER TABLE sources ADD CONSTRAINT sources_kinds_named CHECK (
        (cardinality(identify_by) = 0
         OR array_to_string(identify_by, ',') ~ '^[a-z][a-z0-9_]{0,62}(,[a-z][a-z0-9_]{0,62})*$')
    AND (cardinality(accepts) = 0
         OR array_to_string(accepts, ',') ~ '^[a-z][a-z0-9_]{0,62}(,[a-z][a-z0-9_]{0,62})*$')
    AND (cardinality(may_override) = 0
         OR array_to_string(may_override, ',') ~ '^[a-z][a-z0-9_]{0,62}(,[a-z][a-z0-9_]{0,62})*$')
    AND NOT 'profile' = ANY (may_override)
    AND array_position(identify_by, NULL) IS NULL
    AND array_position(accepts, NULL) IS NULL
    AND array_position(may_override, NULL) IS NULL);

------------------------------------------------------------------------------
-- identifier_kinds
------------------------------------------------------------------------------
-- One row per kind: its normalizer and how many attached values of it one
-- profile may hold. Account 0's rows are every account's; an account's own
-- row replaces account 0's for that kind. A built-in kind without a row has
-- its classic model (its normalizer, limit 1).
CREATE TABLE identifier_kinds (
    account_id      bigint  NOT NULL DEFAULT 0,
    kind            text    NOT NULL,
    normalizer      text    NOT NULL,
    max_per_profile integer NOT NULL DEFAULT 1,
    PRIMARY KEY (account_id, kind),
    CONSTRAINT identifier_kinds_name CHECK (kind ~ '^[a-z][a-z0-9_]{0,62}$' AND kind <> 'profile'),
    CONSTRAINT identifier_kinds_normalizer_known CHECK (normalizer IN ('email', 'phone', 'text')),
    CONSTRAINT identifier_kinds_limit_range CHECK (max_per_profile BETWEEN 1 AND 100),
    CONSTRAINT identifier_kinds_builtin_normalizer CHECK (
        kind NOT IN ('email', 'phone', 'external_id')
        OR normalizer = CASE kind WHEN 'email' THEN 'email' WHEN 'phone' THEN 'phone' ELSE 'text' END)
);

INSERT INTO identifier_kinds (kind, normalizer, max_per_profile)
VALUES ('external_id', 'text', 1), ('email', 'email', 1), ('phone', 'phone', 1);

CREATE TRIGGER identifier_kinds_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON identifier_kinds
    FOR EACH STATEMENT EXECUTE FUNCTION policy_changed();

-- A limit below what profiles hold already would leave them holding more
-- than the rules allow (and merges of them refused for ever): refused,
-- saying how many. Counts attached values, which only active profiles hold.
-- The limit a row leaves behind when it goes (DELETE, or an UPDATE of its
-- key) is account 0's row for an account, 1 for account 0.
CREATE FUNCTION identifier_kinds_refuse_lower_limit() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    acct       bigint;
    k          text;
    new_limit  integer;
    holders    bigint;
    example    bigint;
BEGIN
    -- A Citus placement (identifier_kinds_102012): the coordinator checked
    -- the logical table's row already, and a query from here would be a
    -- nested distributed one.
    IF TG_TABLE_NAME <> 'identifier_kinds' THEN
        RETURN coalesce(NEW, OLD);
    END IF;
    FOR acct, k, new_limit IN
        SELECT NEW.account_id, NEW.kind, NEW.max_per_profile WHERE TG_OP IN ('INSERT', 'UPDATE')
        UNION ALL
        SELECT OLD.account_id, OLD.kind,
               CASE WHEN OLD.account_id = 0 THEN 1
                    ELSE coalesce((SELECT z.max_per_profile FROM identifier_kinds z
                                    WHERE z.account_id = 0 AND z.kind = OLD.kind), 1) END
         WHERE TG_OP = 'DELETE'
            OR (TG_OP = 'UPDATE' AND (OLD.account_id, OLD.kind) IS DISTINCT FROM (NEW.account_id, NEW.kind))
    LOOP
        SELECT count(*), min(h.profile_id) INTO holders, example
          FROM (SELECT i.account_id, i.profile_id FROM identifiers i
                 WHERE i.kind = k AND i.detached_at IS NULL
                   AND (i.account_id = acct
                        OR (acct = 0 AND NOT EXISTS (SELECT FROM identifier_kinds o
                                                      WHERE o.account_id = i.account_id
                                                        AND o.account_id <> 0 AND o.kind = k)))
                 GROUP BY i.account_id, i.profile_id
                HAVING count(*) > new_limit) h;
        IF holders > 0 THEN
            RAISE EXCEPTION '% % % more than % value% of %', holders,
                            CASE WHEN holders = 1 THEN 'profile' ELSE 'profiles' END,
                            CASE WHEN acct = 0 THEN 'of the accounts without a row of their own'
                                 ELSE 'of account ' || acct END
                            || CASE WHEN holders = 1 THEN ' holds' ELSE ' hold' END,
                            new_limit, CASE WHEN new_limit = 1 THEN '' ELSE 's' END, k
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = format('Profile %s is one of them.', example),
                      HINT = 'Detach the values a profile should not keep (or unmerge), then lower the limit.';
        END IF;
    END LOOP;
    RETURN coalesce(NEW, OLD);
END $$;
CREATE TRIGGER identifier_kinds_refuse_lower_limit BEFORE INSERT OR UPDATE OR DELETE ON identifier_kinds
    FOR EACH ROW EXECUTE FUNCTION identifier_kinds_refuse_lower_limit();
REVOKE EXECUTE ON FUNCTION identifier_kinds_refuse_lower_limit() FROM PUBLIC;

-- As for sources: a restore's rows come after CREATE EXTENSION's defaults,
-- so a row whose key is there already replaces its settings (an edited
-- default survives a dump and restore) instead of failing.
CREATE FUNCTION identifier_kinds_upsert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    updated bigint;
BEGIN
    IF TG_TABLE_NAME = 'identifier_kinds' THEN
        UPDATE identifier_kinds SET normalizer = NEW.normalizer, max_per_profile = NEW.max_per_profile
         WHERE account_id = NEW.account_id AND kind = NEW.kind;
    ELSE  -- a Citus placement: act on it alone (see sources_upsert)
        EXECUTE format('UPDATE %I.%I SET normalizer = $1, max_per_profile = $2 WHERE account_id = $3 AND kind = $4',
                       TG_TABLE_SCHEMA, TG_TABLE_NAME)
          USING NEW.normalizer, NEW.max_per_profile, NEW.account_id, NEW.kind;
    END IF;
    GET DIAGNOSTICS updated = ROW_COUNT;
    IF updated > 0 THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER identifier_kinds_upsert BEFORE INSERT ON identifier_kinds
    FOR EACH ROW EXECUTE FUNCTION identifier_kinds_upsert();
REVOKE EXECUTE ON FUNCTION identifier_kinds_upsert() FROM PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('identifier_kinds', '');

-- blocked_values of a custom kind are stored as the engine compares them:
-- by the kind's normalizer (an e-mail kind like email, a phone kind like
-- phone), a text kind folded to ASCII lower case like external_id.
CREATE OR REPLACE FUNCTION blocked_values_normalize() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
DECLARE
    info      phone_info_result;
    normalize text := CASE NEW.kind WHEN 'email' THEN 'email' WHEN 'phone' THEN 'phone' ELSE 'text' END;
BEGIN
    IF NEW.value IS NULL THEN
        RETURN NEW;  -- the NOT NULL column refuses it (23502)
    END IF;
    -- On a Citus placement the coordinator has normalized the row already
    -- (and identifier_kinds could not be read from here).
    IF NEW.kind NOT IN ('email', 'phone', 'external_id') AND TG_TABLE_NAME = 'blocked_values' THEN
        SELECT k.normalizer INTO normalize FROM identifier_kinds k
         WHERE k.account_id IN (0, NEW.account_id) AND k.kind = NEW.kind
         ORDER BY k.account_id DESC LIMIT 1;
        normalize := coalesce(normalize, 'text');
    END IF;
    IF normalize <> 'phone' THEN
        -- text kinds folded to ASCII lower case: blocked in every spelling
        -- (the engine folds a value the same way before it compares).
        NEW.value := CASE normalize WHEN 'email' THEN normalize_email(NEW.value)
            ELSE translate(btrim(NEW.value), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') END;
        IF NEW.value IS NULL THEN
            RAISE EXCEPTION 'blocked value of kind % is not a valid e-mail address', NEW.kind
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
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

------------------------------------------------------------------------------
-- events.identifiers
------------------------------------------------------------------------------
-- More identifiers of any kind: {"anonymous_id": "a1f3", "email": ["w@acme.com"]}.
ALTER TABLE events ADD COLUMN identifiers jsonb;

------------------------------------------------------------------------------
-- Primaries: the columns follow the rule of section 4b
------------------------------------------------------------------------------
-- unmerge() lets the columns follow the identifiers it gave back: the same
-- rule as the triggers' (subscribed first, then the most recently
-- attached), from the C++ that applies it there.
CREATE OR REPLACE FUNCTION profile_columns_follow_identifiers(account bigint, profile_ids bigint[])
RETURNS void
    AS 'MODULE_PATHNAME', 'pm_refresh_primaries'
    LANGUAGE C VOLATILE
    SET search_path = pg_catalog, @extschema@, pg_temp;

-- Every attached value of the active profiles. is_primary: the value in the
-- profile's column for the built-in kinds; for a custom kind (no column)
-- the most recently attached (then the highest identifier id). status: the
-- value's own consent for email and phone.
CREATE VIEW profile_identifiers AS
SELECT i.account_id, i.profile_id, i.kind::text AS kind, i.value,
       CASE i.kind
           WHEN 'email' THEN i.value = p.email
           WHEN 'phone' THEN i.value = p.phone
           WHEN 'external_id' THEN i.value = p.external_id
           ELSE i.identifier_id = (SELECT j.identifier_id FROM identifiers j
                                    WHERE j.account_id = i.account_id AND j.profile_id = i.profile_id
                                      AND j.kind = i.kind AND j.detached_at IS NULL
                                    ORDER BY j.attached_at DESC, j.identifier_id DESC LIMIT 1)
       END AS is_primary,
       CASE WHEN i.kind IN ('email', 'phone') THEN
           coalesce((SELECT c.status::text FROM consents c
                      WHERE c.account_id = i.account_id
                        AND c.channel = CASE i.kind WHEN 'phone' THEN 'sms' ELSE 'email' END
                        AND c.value = i.value
                      ORDER BY c.consent_id DESC LIMIT 1), 'never_subscribed')
       END AS status,
       i.source, i.attached_at
  FROM identifiers i
  JOIN profiles p ON p.account_id = i.account_id AND p.profile_id = i.profile_id
 WHERE i.detached_at IS NULL AND p.merged_into IS NULL;

------------------------------------------------------------------------------
-- suspect_values
------------------------------------------------------------------------------
-- Values that events carried together with many different values of
-- another kind whose limit is 1: an external_id seen with 20 different
-- e-mails is a placeholder, not a person. Such a value glues the events of
-- strangers onto the one profile that holds it, which then holds value
-- after value of the other kind: so the candidates are the profiles that
-- let go of at least 4 values of a kind whose limit is 1 (detached rows of
-- identifiers: replaced, or moved by a merge), and only their events are
-- read. (Counting distinct values over every row of the account instead
-- sorted them all: 1.1 s on a million events, bench/suspect.)
-- A value is suspect when the events of such a profile that carried it
-- carried at least 5 different values of that kind. profiles: the profile
-- and every other one its events' conflicts named; events, first_seen,
-- last_seen: the events of the profile that carried it. Most different
-- values first.
CREATE VIEW suspect_values AS
SELECT s.account_id, s.kind, s.value, max(s.profiles) AS profiles, max(s.events) AS events,
       min(s.first_seen) AS first_seen, max(s.last_seen) AS last_seen
  FROM (SELECT c.account_id, c.profile_id, c.other_kind, v.kind, v.value,
               count(DISTINCT w.value) AS other_values,
               count(DISTINCT e.event_id) AS events,
               min(e.occurred_at) AS first_seen, max(e.occurred_at) AS last_seen,
               1 + count(DISTINCT f.other_profile) AS profiles
          FROM (SELECT i.account_id, i.profile_id, i.kind::text AS other_kind
                  FROM identifiers i
                  LEFT JOIN identifier_kinds own ON own.account_id = i.account_id AND own.kind = i.kind
                  LEFT JOIN identifier_kinds zero ON zero.account_id = 0 AND zero.kind = i.kind
                 WHERE i.detached_at IS NOT NULL
                   AND coalesce(own.max_per_profile, zero.max_per_profile, 1) = 1
                 GROUP BY i.account_id, i.profile_id, i.kind
                HAVING count(*) >= 4) c
          JOIN events e ON e.account_id = c.account_id AND e.profile_id = c.profile_id
         CROSS JOIN LATERAL (
            SELECT 'external_id' AS kind, btrim(e.external_id) AS value
            UNION ALL SELECT 'email', e.email_normalized
            UNION ALL SELECT 'phone', e.phone_e164
            UNION ALL
            SELECT x.key, btrim(CASE x.key WHEN 'email' THEN lower(y.value) ELSE y.value END)
              FROM jsonb_each(CASE jsonb_typeof(e.identifiers) WHEN 'object' THEN e.identifiers END) x
             CROSS JOIN LATERAL (
                    SELECT x.value #>> '{}' AS value WHERE jsonb_typeof(x.value) = 'string'
                    UNION ALL
                    SELECT a #>> '{}' FROM jsonb_array_elements(
                           CASE jsonb_typeof(x.value) WHEN 'array' THEN x.value END) a
                     WHERE jsonb_typeof(a) = 'string') y
           ) v
         CROSS JOIN LATERAL (
            SELECT 'external_id' AS kind, btrim(e.external_id) AS value
            UNION ALL SELECT 'email', e.email_normalized
            UNION ALL SELECT 'phone', e.phone_e164
            UNION ALL
            SELECT x.key, btrim(CASE x.key WHEN 'email' THEN lower(y.value) ELSE y.value END)
              FROM jsonb_each(CASE jsonb_typeof(e.identifiers) WHEN 'object' THEN e.identifiers END) x
             CROSS JOIN LATERAL (
                    SELECT x.value #>> '{}' AS value WHERE jsonb_typeof(x.value) = 'string'
                    UNION ALL
                    SELECT a #>> '{}' FROM jsonb_array_elements(
                           CASE jsonb_typeof(x.value) WHEN 'array' THEN x.value END) a
                     WHERE jsonb_typeof(a) = 'string') y
           ) w
          LEFT JOIN LATERAL (
                SELECT d ->> 'other_profile' AS other_profile FROM jsonb_array_elements(e.detail) d
                 WHERE d ->> 'action' = 'conflict' AND d ->> 'other_profile' IS NOT NULL) f ON true
         WHERE v.value IS NOT NULL AND v.value <> '' AND v.kind <> c.other_kind
           AND w.kind = c.other_kind AND w.value IS NOT NULL AND w.value <> ''
         GROUP BY c.account_id, c.profile_id, c.other_kind, v.kind, v.value) s
 WHERE s.other_values >= 5
 GROUP BY s.account_id, s.kind, s.value
 ORDER BY max(s.other_values) DESC, max(s.events) DESC, s.account_id, s.kind, s.value;
