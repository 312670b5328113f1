-- What the rules must have done, computed from the raw rows the clients sent
-- (profile_merge.events keeps them as typed) without looking at what the
-- triggers wrote. Normalization itself is the extension's (its correctness is
-- the pg_regress suites' business); usable = valid, accepted by the source's
-- effective policy and not blocked.
-- Run it once the events are in: the per-event values are computed once
-- (a materialized view), and again on every run of this file.
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS pmtest;
DROP MATERIALIZED VIEW IF EXISTS pmtest.event_values CASCADE;

-- effective policy of every (account, source): the account's own row, else account 0's
CREATE OR REPLACE VIEW pmtest.policy AS
SELECT a.account_id, s.source,
       coalesce(o.identify_by, s.identify_by) AS identify_by,
       coalesce(o.accepts, s.accepts) AS accepts
  FROM (SELECT DISTINCT account_id FROM profile_merge.events
        UNION SELECT DISTINCT account_id FROM profile_merge.consents) a
 CROSS JOIN profile_merge.sources s
  LEFT JOIN profile_merge.sources o ON o.account_id = a.account_id AND o.source = s.source
 WHERE s.account_id = 0;

CREATE OR REPLACE FUNCTION pmtest.blocked(account bigint, k text, v text) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT FROM profile_merge.blocked_values b
                    WHERE b.kind = k AND b.value = v AND b.account_id IN (0, account)) $$;

CREATE MATERIALIZED VIEW pmtest.event_values AS
SELECT v.*,
       v.x_val IS NOT NULL AND 'external_id' = ANY (v.accepts)
           AND NOT pmtest.blocked(v.account_id, 'external_id', v.x_val) AS x_ok,
       v.e_val IS NOT NULL AND 'email' = ANY (v.accepts)
           AND NOT pmtest.blocked(v.account_id, 'email', v.e_val) AS e_ok,
       v.p_val IS NOT NULL AND 'phone' = ANY (v.accepts)
           AND NOT pmtest.blocked(v.account_id, 'phone', v.p_val) AS p_ok
  FROM (SELECT e.event_id, e.account_id, e.source, e.profile_hint, e.sms_consent, e.email_consent,
               e.email_normalized, e.phone_e164, p.identify_by, p.accepts,
               nullif(btrim(e.external_id), '') AS x_val,
               profile_merge.try_normalize_email(e.email) AS e_val,
               profile_merge.try_normalize_phone(e.phone, coalesce(nullif(btrim(e.phone_region), ''), 'US')) AS p_val
          FROM profile_merge.events e
          JOIN pmtest.policy p USING (account_id, source)) v;

-- one ledger row per consent flag with a usable value of its channel
CREATE OR REPLACE VIEW pmtest.expected_event_consents AS
SELECT event_id, account_id, 'sms'::text AS channel, p_val AS value,
       CASE WHEN sms_consent THEN 'subscribed' ELSE 'unsubscribed' END AS status
  FROM pmtest.event_values WHERE sms_consent IS NOT NULL AND p_ok
UNION ALL
SELECT event_id, account_id, 'email', e_val,
       CASE WHEN email_consent THEN 'subscribed' ELSE 'unsubscribed' END
  FROM pmtest.event_values WHERE email_consent IS NOT NULL AND e_ok;

-- The value of the first identify_by kind an event carries always ends up
-- attached (to its owner, or to the subject, or to a new profile), whatever
-- order the events came in. Events with a hint the source accepts are left
-- out: which profile a hint names depends on the order profiles were made.
CREATE OR REPLACE VIEW pmtest.lead_values AS
SELECT DISTINCT v.account_id, k.kind,
       CASE k.kind WHEN 'email' THEN v.e_val WHEN 'phone' THEN v.p_val ELSE v.x_val END AS value
  FROM pmtest.event_values v
 CROSS JOIN LATERAL (
        SELECT u.kind FROM unnest(v.identify_by) WITH ORDINALITY AS u(kind, ord)
         WHERE (u.kind = 'email' AND v.e_ok) OR (u.kind = 'phone' AND v.p_ok)
            OR (u.kind = 'external_id' AND v.x_ok)
         ORDER BY u.ord LIMIT 1) k
 WHERE NOT (v.profile_hint IS NOT NULL AND 'profile' = ANY (v.accepts));

-- every usable value some event carried (lead or not)
CREATE OR REPLACE VIEW pmtest.usable_values AS
SELECT account_id, 'email'::text AS kind, e_val AS value FROM pmtest.event_values WHERE e_ok
UNION SELECT account_id, 'phone', p_val FROM pmtest.event_values WHERE p_ok
UNION SELECT account_id, 'external_id', x_val FROM pmtest.event_values WHERE x_ok;
