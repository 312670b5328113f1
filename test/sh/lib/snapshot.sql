-- A fingerprint of everything the extension stores for the accounts in the
-- psql variable :accounts (e.g. -v accounts='1,2'): per table, the row count
-- and the md5 of all rows in key order. Two equal fingerprints mean equal
-- contents.
SELECT * FROM (
SELECT 'profiles' AS t, count(*), md5(coalesce(string_agg(p::text, '|' ORDER BY account_id, profile_id), ''))
  FROM profile_merge.profiles p WHERE account_id IN (:accounts)
UNION ALL
SELECT 'active_profiles', count(*), '-' FROM profile_merge.profiles WHERE account_id IN (:accounts) AND merged_into IS NULL
UNION ALL
SELECT 'identifiers', count(*), md5(coalesce(string_agg(i::text, '|' ORDER BY account_id, identifier_id), ''))
  FROM profile_merge.identifiers i WHERE account_id IN (:accounts)
UNION ALL
SELECT 'attached_identifiers', count(*), '-' FROM profile_merge.identifiers WHERE account_id IN (:accounts) AND detached_at IS NULL
UNION ALL
SELECT 'events', count(*), md5(coalesce(string_agg(e::text, '|' ORDER BY account_id, event_id), ''))
  FROM profile_merge.events e WHERE account_id IN (:accounts)
UNION ALL
SELECT 'consents', count(*), md5(coalesce(string_agg(c::text, '|' ORDER BY account_id, consent_id), ''))
  FROM profile_merge.consents c WHERE account_id IN (:accounts)
UNION ALL
SELECT 'merges', count(*), md5(coalesce(string_agg(m::text, '|' ORDER BY account_id, merge_id), ''))
  FROM profile_merge.merges m WHERE account_id IN (:accounts)
) s ORDER BY t;
