-- Checks against what the clients sent (needs lib/expect.sql loaded).
-- psql variables: events_sent, direct_consents_sent (counted by the clients),
-- direct_method (the consents.method the direct inserts used).
-- Each query: one column named after the check, the number of violations.

SELECT abs(count(*) - :events_sent) AS events_stored_minus_sent FROM profile_merge.events;

-- every consent an event gave is in the ledger, exactly once, with its value
-- and status; and the ledger holds nothing an event did not give
SELECT count(*) AS event_consents_missing FROM (
    SELECT event_id, account_id, channel, value, status FROM pmtest.expected_event_consents
    EXCEPT ALL
    SELECT event_id, account_id, channel, value, status FROM profile_merge.consents
     WHERE event_id IS NOT NULL) x;

SELECT count(*) AS event_consents_unexpected FROM (
    SELECT event_id, account_id, channel, value, status FROM profile_merge.consents
     WHERE event_id IS NOT NULL
    EXCEPT ALL
    SELECT event_id, account_id, channel, value, status FROM pmtest.expected_event_consents) x;

-- every consent row inserted directly is there, tied to a profile
SELECT abs(count(*) - :direct_consents_sent) AS direct_consents_stored_minus_sent
  FROM profile_merge.consents WHERE method = :'direct_method';

SELECT count(*) AS direct_consents_without_profile
  FROM profile_merge.consents WHERE method = :'direct_method' AND profile_id IS NULL;

SELECT count(*) AS consents_neither_event_nor_direct
  FROM profile_merge.consents
 WHERE event_id IS NULL AND method IS DISTINCT FROM :'direct_method';

-- the trigger's normalizations equal the normalizers'
SELECT count(*) AS events_with_unexpected_normalization
  FROM pmtest.event_values
 WHERE email_normalized IS DISTINCT FROM e_val OR phone_e164 IS DISTINCT FROM p_val;

-- an event with no usable identifier and no hint is rejected, and only such
-- an event without a hint is
SELECT count(*) AS rejected_events_not_as_expected
  FROM pmtest.event_values v JOIN profile_merge.events e USING (account_id, event_id)
 WHERE v.profile_hint IS NULL
   AND ((e.outcome = 'rejected') <> NOT (v.x_ok OR v.e_ok OR v.p_ok));

-- the value an event leads with (first identify_by kind it carries) has been
-- attached at some point
SELECT count(*) AS lead_values_never_attached
  FROM pmtest.lead_values l
 WHERE NOT EXISTS (SELECT FROM profile_merge.identifiers i
                    WHERE i.account_id = l.account_id AND i.kind = l.kind AND i.value = l.value);

-- nothing that no event carried was ever attached
SELECT count(*) AS identifiers_nobody_sent
  FROM (SELECT DISTINCT account_id, kind, value FROM profile_merge.identifiers) i
 WHERE NOT EXISTS (SELECT FROM pmtest.usable_values u
                    WHERE u.account_id = i.account_id AND u.kind = i.kind AND u.value = i.value)
   AND NOT EXISTS (SELECT FROM profile_merge.consents c
                    WHERE c.method = :'direct_method' AND c.account_id = i.account_id
                      AND c.value = i.value
                      AND c.channel = CASE i.kind WHEN 'phone' THEN 'sms' ELSE i.kind END);

-- an event's profile (active or tombstone) belongs to its own account
SELECT count(*) AS events_with_profile_of_other_account
  FROM profile_merge.events e
 WHERE e.profile_id IS NOT NULL
   AND NOT EXISTS (SELECT FROM profile_merge.profiles p
                    WHERE p.account_id = e.account_id AND p.profile_id = e.profile_id);
