-- profile_merge 0.2.0 -> 0.3.0: the closed lists of identifiers and consents,
-- and the object-only rule of profiles.properties, become domains instead of
-- table CHECK constraints; an index of the attached identifiers of each
-- profile.
\echo Use "ALTER EXTENSION profile_merge UPDATE TO '0.3.0'" to load this file. \quit

-- Why: PostgreSQL re-reads a table's CHECK constraints from their stored
-- text and plans them again in every INSERT or UPDATE statement. The
-- triggers write identifiers, consents and profiles rows through one short
-- statement each, so these checks cost about 10% of all the instructions an
-- event takes (callgrind, bench/README.md). A domain's constraint is parsed once
-- per backend (the type cache keeps it), and it checks the same values with
-- the same SQLSTATE (23514). Readers see the columns as before: a domain is
-- sent to clients as its base type (text, jsonb), information_schema names
-- that type as data_type, and it compares and operates as its base type.

CREATE DOMAIN identifier_kind AS text
    CONSTRAINT identifier_kind_known CHECK (VALUE IN ('email', 'phone', 'external_id'));
CREATE DOMAIN detach_reason AS text
    CONSTRAINT detach_reason_known CHECK (VALUE IN ('overridden', 'merged', 'forced', 'unmerged'));
CREATE DOMAIN consent_status AS text
    CONSTRAINT consent_status_known CHECK (VALUE IN ('subscribed', 'unsubscribed'));
CREATE DOMAIN profile_properties AS jsonb
    CONSTRAINT profile_properties_object CHECK (jsonb_typeof(VALUE) = 'object');

-- consents.channel keeps its CHECK: the consents trigger runs before a
-- table constraint and refuses an unknown channel with 22023 and a hint,
-- where a domain would refuse it earlier, as the row is formed, with 23514.

-- The view reads consents.status, so it is rebuilt around the change of its
-- type (same text, same columns).
DROP VIEW profile_consent;

ALTER TABLE identifiers
    DROP CONSTRAINT identifiers_kind_check,
    DROP CONSTRAINT identifiers_detach_reason_check,
    ALTER COLUMN kind TYPE identifier_kind,
    ALTER COLUMN detach_reason TYPE detach_reason;

ALTER TABLE consents
    DROP CONSTRAINT consents_status_check,
    ALTER COLUMN status TYPE consent_status;

ALTER TABLE profiles
    DROP CONSTRAINT properties_is_object,
    ALTER COLUMN properties TYPE profile_properties;

CREATE VIEW profile_consent AS
SELECT p.account_id, p.profile_id,
       p.email,
       coalesce((SELECT c.status::text FROM consents c
                  WHERE c.account_id = p.account_id AND c.channel = 'email' AND c.value = p.email
                  ORDER BY c.consent_id DESC LIMIT 1), 'never_subscribed') AS email_status,
       p.phone,
       coalesce((SELECT c.status::text FROM consents c
                  WHERE c.account_id = p.account_id AND c.channel = 'sms' AND c.value = p.phone
                  ORDER BY c.consent_id DESC LIMIT 1), 'never_subscribed') AS sms_status
  FROM profiles p
 WHERE p.merged_into IS NULL;

-- A merge detaches the merged profile's attached rows. identifiers_by_profile
-- holds every row a profile ever had, so a profile whose phone was replaced
-- 10,000 times made each merge read 10,000 detached rows (bench/merge_history).
-- This index holds the attached ones only; the C code reads it directly.
CREATE INDEX identifiers_attached_by_profile
    ON identifiers (account_id, profile_id) WHERE detached_at IS NULL;
