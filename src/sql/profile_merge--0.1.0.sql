-- profile_merge 0.1.0: normalizers, profiles, identifiers, the consent ledger
-- and the resolution rules run by C++ triggers. See DESIGN.md and README.md.
\echo Use "CREATE EXTENSION profile_merge" to load this file. \quit

-- Nothing here is usable by PUBLIC unless granted below.
REVOKE ALL ON SCHEMA @extschema@ FROM PUBLIC;
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

------------------------------------------------------------------------------
-- Normalizers (DESIGN.md section 2)
------------------------------------------------------------------------------

CREATE FUNCTION normalize_email(raw text) RETURNS text
    AS 'MODULE_PATHNAME', 'pm_normalize_email'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION try_normalize_email(raw text) RETURNS text
    AS 'MODULE_PATHNAME', 'pm_try_normalize_email'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;

-- One argument: the region and acceptance come from settings, hence STABLE.
CREATE FUNCTION normalize_phone(raw text) RETURNS text
    AS 'MODULE_PATHNAME', 'pm_normalize_phone'
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;

-- Explicit region, always a valid number: IMMUTABLE, so it can back an index.
CREATE FUNCTION normalize_phone(raw text, region text) RETURNS text
    AS 'MODULE_PATHNAME', 'pm_normalize_phone'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION try_normalize_phone(raw text) RETURNS text
    AS 'MODULE_PATHNAME', 'pm_try_normalize_phone'
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION try_normalize_phone(raw text, region text) RETURNS text
    AS 'MODULE_PATHNAME', 'pm_try_normalize_phone'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;

-- What libphonenumber makes of a number; never an error.
CREATE TYPE phone_info_result AS (
    e164 text, is_valid boolean, is_possible boolean, region text,
    country_code integer, number_type text, national_format text,
    international_format text);

CREATE FUNCTION phone_info(raw text) RETURNS phone_info_result
    AS 'MODULE_PATHNAME', 'pm_phone_info'
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION phone_info(raw text, region text) RETURNS phone_info_result
    AS 'MODULE_PATHNAME', 'pm_phone_info'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;

------------------------------------------------------------------------------
-- Policy: sources and blocked values (DESIGN.md section 3). Account 0's rows
-- are the defaults of every account.
------------------------------------------------------------------------------

CREATE TABLE sources (
    source       text      NOT NULL CHECK (source <> ''),
    identify_by  text[]    NOT NULL,
    merges       boolean   NOT NULL DEFAULT false,
    may_override text[]    NOT NULL DEFAULT '{}',
    accepts      text[]    NOT NULL,
    account_id   bigint    NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, source),
    CONSTRAINT sources_kinds_known CHECK (
        identify_by  <@ ARRAY['profile', 'external_id', 'email', 'phone']
    AND accepts      <@ ARRAY['profile', 'external_id', 'email', 'phone']
    AND may_override <@ ARRAY['external_id', 'email', 'phone']
    AND array_position(identify_by, NULL) IS NULL
    AND array_position(accepts, NULL) IS NULL
    AND array_position(may_override, NULL) IS NULL),
    CONSTRAINT sources_identify_by_not_empty CHECK (cardinality(identify_by) > 0)
);

INSERT INTO sources (source, identify_by, merges, may_override, accepts) VALUES
    ('api',                '{profile,external_id,email,phone}', true,  '{email,phone,external_id}', '{profile,external_id,email,phone}'),
    ('form',               '{profile,email,phone}',             true,  '{phone}',                   '{profile,email,phone}'),
    ('checkout',           '{external_id,email,phone}',         false, '{phone}',                   '{external_id,email,phone}'),
    ('import',             '{external_id,email,phone}',         true,  '{phone}',                   '{external_id,email,phone}'),
    ('sms_keyword',        '{phone}',                           false, '{}',                        '{phone}'),
    ('click_to_text',      '{phone}',                           false, '{}',                        '{phone}'),
    ('sms_subscribe_link', '{phone}',                           false, '{}',                        '{phone}');

CREATE TABLE blocked_values (
    kind       text   NOT NULL CHECK (kind IN ('email', 'phone', 'external_id')),
    value      text   NOT NULL,
    account_id bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, kind, value),
    CONSTRAINT blocked_phone_is_e164 CHECK (kind <> 'phone' OR value ~ '^\+[0-9]{2,15}$')
);

-- Values are stored normalized, so an admin may type them as people do.
CREATE FUNCTION blocked_values_normalize() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
BEGIN
    NEW.value := CASE NEW.kind
        WHEN 'email' THEN normalize_email(NEW.value)
        WHEN 'phone' THEN coalesce(try_normalize_phone(NEW.value), NEW.value)
        ELSE btrim(NEW.value) END;
    RETURN NEW;
END $$;

CREATE TRIGGER blocked_values_normalize BEFORE INSERT OR UPDATE ON blocked_values
    FOR EACH ROW EXECUTE FUNCTION blocked_values_normalize();

-- Junk that applications really send: placeholder addresses and numbers
-- that are all zeros, one repeated digit or a counting sequence.
INSERT INTO blocked_values (kind, value)
SELECT 'email', v FROM unnest(ARRAY[
    'test@test.com', 'test@example.com', 'email@example.com', 'user@example.com',
    'noemail@noemail.com', 'no@email.com', 'none@none.com', 'a@a.com',
    'asdf@asdf.com', 'test@gmail.com', 'noreply@example.com', 'null@null.com']) AS v
UNION ALL
SELECT 'phone', '+1' || repeat(d::text, 10) FROM generate_series(0, 9) AS d
UNION ALL
SELECT 'phone', v FROM unnest(ARRAY['+11234567890', '+12345678900', '+12345678901',
                                    '+10123456789', '+19876543210']) AS v;

------------------------------------------------------------------------------
-- Profiles and their identifiers (DESIGN.md section 3)
------------------------------------------------------------------------------

CREATE TABLE profiles (
    account_id  bigint      NOT NULL DEFAULT 0,
    profile_id  bigint      GENERATED BY DEFAULT AS IDENTITY,
    email       text,
    phone       text,
    external_id text,
    properties  jsonb       NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    merged_into bigint,
    PRIMARY KEY (account_id, profile_id),
    FOREIGN KEY (account_id, merged_into) REFERENCES profiles (account_id, profile_id),
    CONSTRAINT tombstones_hold_nothing CHECK (
        merged_into IS NULL OR (email IS NULL AND phone IS NULL AND external_id IS NULL)),
    CONSTRAINT properties_is_object CHECK (jsonb_typeof(properties) = 'object')
);

CREATE TABLE identifiers (
    account_id    bigint      NOT NULL DEFAULT 0,
    identifier_id bigint      GENERATED BY DEFAULT AS IDENTITY,
    kind          text        NOT NULL CHECK (kind IN ('email', 'phone', 'external_id')),
    value         text        NOT NULL,
    profile_id    bigint      NOT NULL,
    source        text,
    event_id      bigint,          -- the event that attached it, if any
    merge_id      bigint,          -- the merge that moved it here, if any
    attached_at   timestamptz NOT NULL DEFAULT now(),
    detached_at   timestamptz,
    detach_reason text CHECK (detach_reason IN ('overridden', 'merged', 'forced', 'unmerged')),
    detached_by_event bigint,
    PRIMARY KEY (account_id, identifier_id),
    FOREIGN KEY (account_id, profile_id) REFERENCES profiles (account_id, profile_id),
    CHECK ((detached_at IS NULL) = (detach_reason IS NULL))
);

-- The rule that makes one person one profile: an attached value has one owner.
CREATE UNIQUE INDEX identifiers_attached_value
    ON identifiers (account_id, kind, value) WHERE detached_at IS NULL;
CREATE INDEX identifiers_by_profile ON identifiers (account_id, profile_id);

------------------------------------------------------------------------------
-- The inbox (DESIGN.md section 3)
------------------------------------------------------------------------------

CREATE TABLE events (
    event_id         bigint      GENERATED BY DEFAULT AS IDENTITY,
    account_id       bigint      NOT NULL DEFAULT 0,
    source           text        NOT NULL DEFAULT 'api',
    profile_hint     bigint,
    email            text,
    phone            text,
    phone_region     text,
    external_id      text,
    sms_consent      boolean,
    email_consent    boolean,
    properties       jsonb       DEFAULT '{}',
    occurred_at      timestamptz DEFAULT now(),
    email_normalized text,
    phone_e164       text,
    profile_id       bigint,
    outcome          text CHECK (outcome IN ('created', 'matched', 'updated', 'merged', 'conflict', 'rejected')),
    detail           jsonb,
    PRIMARY KEY (account_id, event_id)
);
CREATE INDEX events_by_profile ON events (account_id, profile_id);

------------------------------------------------------------------------------
-- Consent: an append-only ledger per identifier (DESIGN.md section 3)
------------------------------------------------------------------------------

CREATE TABLE consents (
    consent_id  bigint      GENERATED BY DEFAULT AS IDENTITY,
    account_id  bigint      NOT NULL DEFAULT 0,
    channel     text        NOT NULL CHECK (channel IN ('email', 'sms')),
    value       text        NOT NULL,
    status      text        NOT NULL CHECK (status IN ('subscribed', 'unsubscribed')),
    source      text        NOT NULL DEFAULT 'api',
    method      text,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    event_id    bigint,
    profile_id  bigint,
    PRIMARY KEY (account_id, consent_id)
);
CREATE INDEX consents_latest ON consents (account_id, channel, value, consent_id);
CREATE INDEX consents_by_profile ON consents (account_id, profile_id);

CREATE VIEW profile_consent AS
SELECT p.account_id, p.profile_id,
       p.email,
       coalesce((SELECT c.status FROM consents c
                  WHERE c.account_id = p.account_id AND c.channel = 'email' AND c.value = p.email
                  ORDER BY c.consent_id DESC LIMIT 1), 'never_subscribed') AS email_status,
       p.phone,
       coalesce((SELECT c.status FROM consents c
                  WHERE c.account_id = p.account_id AND c.channel = 'sms' AND c.value = p.phone
                  ORDER BY c.consent_id DESC LIMIT 1), 'never_subscribed') AS sms_status
  FROM profiles p
 WHERE p.merged_into IS NULL;

------------------------------------------------------------------------------
-- The merge log (DESIGN.md section 3), with what an unmerge needs
------------------------------------------------------------------------------

CREATE TABLE merges (
    merge_id        bigint      GENERATED BY DEFAULT AS IDENTITY,
    account_id      bigint      NOT NULL DEFAULT 0,
    survivor_id     bigint      NOT NULL,
    merged_id       bigint      NOT NULL,
    event_id        bigint,
    reason          text        NOT NULL,
    merged_at       timestamptz NOT NULL DEFAULT now(),
    unmerged_at     timestamptz,
    survivor_before jsonb       NOT NULL,  -- survivor's columns before the merge
    merged_before   jsonb       NOT NULL,  -- merged profile's columns before
    moved_identifiers bigint[]  NOT NULL DEFAULT '{}',  -- merged profile's rows detached
    added_identifiers bigint[]  NOT NULL DEFAULT '{}',  -- their copies on the survivor
    PRIMARY KEY (account_id, merge_id)
);
CREATE INDEX merges_by_survivor ON merges (account_id, survivor_id);
CREATE INDEX merges_by_merged ON merges (account_id, merged_id);

------------------------------------------------------------------------------
-- The triggers (C++): resolution of every event and consent row
------------------------------------------------------------------------------

-- SECURITY DEFINER: an application role needs only INSERT on events and
-- consents; the rules write profiles, identifiers and merges for it, and only
-- for the inserted row's own account.
CREATE FUNCTION events_resolve() RETURNS trigger
    AS 'MODULE_PATHNAME', 'pm_events_resolve'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, @extschema@, pg_temp;

-- A row that arrives resolved (outcome set: a restore from pg_dump, or the
-- bulk path) is kept as it is. Applications are granted INSERT on the
-- columns they write only (README, Security), so they cannot forge one.
CREATE TRIGGER events_resolve BEFORE INSERT ON events
    FOR EACH ROW WHEN (NEW.outcome IS NULL) EXECUTE FUNCTION events_resolve();

CREATE FUNCTION consents_resolve() RETURNS trigger
    AS 'MODULE_PATHNAME', 'pm_consents_resolve'
    LANGUAGE C SECURITY DEFINER
    SET search_path = pg_catalog, @extschema@, pg_temp;

-- Likewise a consent row whose profile_id is set (restored, or written by
-- the events trigger or the bulk path) is kept as it is.
CREATE TRIGGER consents_resolve BEFORE INSERT ON consents
    FOR EACH ROW WHEN (NEW.profile_id IS NULL) EXECUTE FUNCTION consents_resolve();

-- Whoever may execute a trigger function may attach it to a table of their
-- own; these run as the extension's owner, so nobody but the owner may.
-- (They also refuse to run on any table but their own.)
REVOKE EXECUTE ON FUNCTION events_resolve() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION consents_resolve() FROM PUBLIC;

-- Policies are cached per backend; any change to them tells every backend.
CREATE FUNCTION policy_changed() RETURNS trigger
    AS 'MODULE_PATHNAME', 'pm_policy_changed'
    LANGUAGE C
    SET search_path = pg_catalog, @extschema@, pg_temp;

CREATE TRIGGER sources_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sources
    FOR EACH STATEMENT EXECUTE FUNCTION policy_changed();
CREATE TRIGGER blocked_values_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON blocked_values
    FOR EACH STATEMENT EXECUTE FUNCTION policy_changed();
REVOKE EXECUTE ON FUNCTION policy_changed() FROM PUBLIC;

------------------------------------------------------------------------------
-- pg_dump keeps what admins add to the configuration tables
------------------------------------------------------------------------------

-- pg_dump dumps every row of these tables after CREATE EXTENSION has put the
-- defaults back. So that a restore does not collide with them, inserting a
-- policy row whose key exists replaces it (sources) or is a no-op
-- (blocked_values): an edited default survives a dump and restore.
CREATE FUNCTION sources_upsert() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
BEGIN
    UPDATE sources SET identify_by = NEW.identify_by, merges = NEW.merges,
                       may_override = NEW.may_override, accepts = NEW.accepts
     WHERE account_id = NEW.account_id AND source = NEW.source;
    IF FOUND THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER sources_upsert BEFORE INSERT ON sources
    FOR EACH ROW EXECUTE FUNCTION sources_upsert();

CREATE FUNCTION blocked_values_skip_duplicate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, @extschema@, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT FROM blocked_values
                WHERE account_id = NEW.account_id AND kind = NEW.kind AND value = NEW.value) THEN
        RETURN NULL;
    END IF;
    RETURN NEW;
END $$;

-- Named to fire after blocked_values_normalize (triggers fire by name).
CREATE TRIGGER blocked_values_zz_skip_duplicate BEFORE INSERT ON blocked_values
    FOR EACH ROW EXECUTE FUNCTION blocked_values_skip_duplicate();

SELECT pg_catalog.pg_extension_config_dump('sources', '');
SELECT pg_catalog.pg_extension_config_dump('blocked_values', '');
SELECT pg_catalog.pg_extension_config_dump('profiles', '');
SELECT pg_catalog.pg_extension_config_dump('identifiers', '');
SELECT pg_catalog.pg_extension_config_dump('events', '');
SELECT pg_catalog.pg_extension_config_dump('consents', '');
SELECT pg_catalog.pg_extension_config_dump('merges', '');
SELECT pg_catalog.pg_extension_config_dump('profiles_profile_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('identifiers_identifier_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('events_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('consents_consent_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('merges_merge_id_seq', '');
