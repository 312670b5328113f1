-- merge_profiles() (DESIGN.md section 5): the manual merge. Accounts 520, 521.
-- Ids come from sequences other suites share: they are printed by name
-- (through \gset variables and a names table), never raw.
SET search_path = profile_merge, public;

\ir test/sql/named_ids.sql

-- Profiles' identifiers, history included
CREATE FUNCTION pg_temp.identifiers_of(account bigint, VARIADIC ids bigint[])
RETURNS TABLE (profile text, kind text, value text, attached boolean, detach_reason text, merge text)
    LANGUAGE sql STABLE AS $$
    SELECT pg_temp.n(i.profile_id), i.kind, i.value, i.detached_at IS NULL, i.detach_reason,
           pg_temp.n(i.merge_id, 'merge')
      FROM profile_merge.identifiers i
     WHERE i.account_id = account AND i.profile_id = ANY (ids)
     ORDER BY 1, 2, i.identifier_id
$$;

-- Not for PUBLIC
SELECT has_function_privilege('public', 'merge_profiles(bigint, bigint, bigint, text, boolean)', 'EXECUTE')
       AS public_may_merge;

------------------------------------------------------------------------------
-- Compatible profiles: the older survives
------------------------------------------------------------------------------
SELECT profile_id AS amy FROM identify(520, 'form', email => 'amy@example.com', email_consent => true,
                                       properties => '{"a": "amy", "shared": "amy"}') \gset
SELECT profile_id AS bea FROM identify(520, 'sms_keyword', phone => '+1 646 555 0161', sms_consent => true) \gset
SELECT outcome FROM identify(520, profile_hint => :bea, properties => '{"b": "bea", "shared": "bea"}');
INSERT INTO names VALUES ('profile', :amy, 'amy'), ('profile', :bea, 'bea');

-- the newer one first: the order of the arguments does not matter
SELECT merge_profiles(520, :bea, :amy) AS m1 \gset
INSERT INTO names VALUES ('merge', :m1, 'm1');
SELECT pg_temp.n(survivor_id) AS survivor, pg_temp.n(merged_id) AS merged, event_id, reason,
       merged_at IS NOT NULL AS merged_at, unmerged_at,
       cardinality(moved_identifiers) AS moved, cardinality(added_identifiers) AS added
  FROM merges WHERE account_id = 520 AND merge_id = :m1;
SELECT pg_temp.n(profile_id) AS profile, email, phone, external_id, properties, pg_temp.n(merged_into) AS merged_into
  FROM profiles WHERE account_id = 520 AND profile_id IN (:amy, :bea) ORDER BY profile_id;
-- bea's number moved to amy: bea's row detached (history), a copy on amy
SELECT * FROM pg_temp.identifiers_of(520, :amy, :bea);
-- consent follows the number
SELECT pg_temp.n(profile_id) AS profile, email, email_status, phone, sms_status
  FROM profile_consent WHERE account_id = 520 AND profile_id IN (:amy, :bea);
SELECT pg_temp.n(find_profile(520, phone => '646 555 0161')) AS by_phone,
       pg_temp.n(resolve_profile(520, :bea)) AS bea_resolves_to;
-- an application still holding bea's id lands on amy
SELECT pg_temp.n(profile_id) AS profile, outcome FROM identify(520, profile_hint => :bea);

------------------------------------------------------------------------------
-- Tombstone ids are resolved first
------------------------------------------------------------------------------
SELECT profile_id AS cai FROM identify(520, external_id => 'C-1', properties => '{"c": "cai", "a": "cai"}') \gset
INSERT INTO names VALUES ('profile', :cai, 'cai');
-- bea is amy's tombstone: merging bea and cai merges amy and cai
SELECT merge_profiles(520, :bea, :cai, reason => 'support ticket 7') AS m2 \gset
INSERT INTO names VALUES ('merge', :m2, 'm2');
SELECT pg_temp.n(merge_id, 'merge') AS merge, pg_temp.n(survivor_id) AS survivor, pg_temp.n(merged_id) AS merged, reason
  FROM merges WHERE account_id = 520 ORDER BY merge_id;
SELECT pg_temp.n(profile_id) AS profile, email, phone, external_id, properties, pg_temp.n(merged_into) AS merged_into
  FROM profiles WHERE account_id = 520 AND profile_id IN (:amy, :bea, :cai) ORDER BY profile_id;
SELECT * FROM pg_temp.identifiers_of(520, :amy, :cai);

-- the same profile, directly or through tombstones: 22023
SELECT pg_temp.try(format('SELECT profile_merge.merge_profiles(520, %s, %s)', :amy, :amy));
SELECT pg_temp.try(format('SELECT profile_merge.merge_profiles(520, %s, %s)', :bea, :amy));
SELECT pg_temp.try(format('SELECT profile_merge.merge_profiles(520, %s, %s)', :bea, :cai));

------------------------------------------------------------------------------
-- Incompatible profiles: 55000 without force
------------------------------------------------------------------------------
SELECT profile_id AS dov FROM identify(520, email => 'dov@example.com', phone => '+1 646 555 0162') \gset
INSERT INTO names VALUES ('profile', :dov, 'dov');
SELECT count(*) AS merges_before FROM merges WHERE account_id = 520 \gset
SELECT pg_temp.try(format('SELECT profile_merge.merge_profiles(520, %s, %s)', :dov, :amy));
SELECT pg_temp.try(format('SELECT profile_merge.merge_profiles(520, %s, %s, force => false)', :amy, :dov));
-- nothing changed
SELECT count(*) = :merges_before AS no_merge_logged FROM merges WHERE account_id = 520;
SELECT pg_temp.n(profile_id) AS profile, email, phone, external_id, merged_into
  FROM profiles WHERE account_id = 520 AND profile_id IN (:amy, :dov) ORDER BY profile_id;

------------------------------------------------------------------------------
-- force: the merged profile's clashing identifiers are detached, the rest move
------------------------------------------------------------------------------
SELECT profile_id AS eve FROM identify(520, email => 'eve@example.com', phone => '+1 646 555 0163') \gset
SELECT profile_id AS fay FROM identify(520, email => 'fay@example.com', external_id => 'F-1',
                                       email_consent => true, properties => '{"f": "fay"}') \gset
INSERT INTO names VALUES ('profile', :eve, 'eve'), ('profile', :fay, 'fay');
SELECT pg_temp.try(format('SELECT profile_merge.merge_profiles(520, %s, %s)', :fay, :eve));
SELECT merge_profiles(520, :fay, :eve, force => true) AS m3 \gset
INSERT INTO names VALUES ('merge', :m3, 'm3');
SELECT pg_temp.n(survivor_id) AS survivor, pg_temp.n(merged_id) AS merged, reason,
       cardinality(moved_identifiers) AS moved, cardinality(added_identifiers) AS added
  FROM merges WHERE account_id = 520 AND merge_id = :m3;
-- eve keeps her email; fay's external id moved; fay's email is detached
-- ('forced'), kept in fay's history, and held by nobody now
SELECT pg_temp.n(profile_id) AS profile, email, phone, external_id, properties, pg_temp.n(merged_into) AS merged_into
  FROM profiles WHERE account_id = 520 AND profile_id IN (:eve, :fay) ORDER BY profile_id;
SELECT * FROM pg_temp.identifiers_of(520, :eve, :fay);
SELECT find_profile(520, email => 'fay@example.com') IS NULL AS fay_email_free,
       pg_temp.n(find_profile(520, external_id => 'F-1')) AS by_fay_external_id;
-- the ledger still has fay's consent; eve's view shows her own email
SELECT channel, value, status, pg_temp.n(profile_id) AS profile FROM consents
 WHERE account_id = 520 AND value = 'fay@example.com';
SELECT pg_temp.n(profile_id) AS profile, email, email_status FROM profile_consent
 WHERE account_id = 520 AND profile_id IN (:eve, :fay);
-- the value is free: a new event gets it a new profile
SELECT outcome FROM identify(520, email => 'fay@example.com');
-- force on compatible profiles is an ordinary merge
SELECT profile_id AS gus FROM identify(520, email => 'gus@example.com') \gset
SELECT profile_id AS hal FROM identify(520, phone => '+1 646 555 0164') \gset
INSERT INTO names VALUES ('profile', :gus, 'gus'), ('profile', :hal, 'hal');
SELECT merge_profiles(520, :gus, :hal, force => true) AS m4 \gset
INSERT INTO names VALUES ('merge', :m4, 'm4');
SELECT * FROM pg_temp.identifiers_of(520, :gus, :hal);

------------------------------------------------------------------------------
-- Which one is older: created_at first, then the smaller id
------------------------------------------------------------------------------
BEGIN;
SELECT profile_id AS ivy FROM identify(520, email => 'ivy@example.com') \gset
SELECT profile_id AS jon FROM identify(520, email => 'jon@example.org') \gset
COMMIT;
INSERT INTO names VALUES ('profile', :ivy, 'ivy'), ('profile', :jon, 'jon');
SELECT a.created_at = b.created_at AS same_created_at, :ivy < :jon AS ivy_smaller_id
  FROM profiles a, profiles b
 WHERE a.account_id = 520 AND a.profile_id = :ivy AND b.account_id = 520 AND b.profile_id = :jon;
SELECT merge_profiles(520, :jon, :ivy, force => true) AS m5 \gset
INSERT INTO names VALUES ('merge', :m5, 'm5');
SELECT pg_temp.n(survivor_id) AS survivor, pg_temp.n(merged_id) AS merged FROM merges
 WHERE account_id = 520 AND merge_id = :m5;
-- kim is newer by id, but older by created_at: kim survives
SELECT profile_id AS kay FROM identify(520, email => 'kay@example.com') \gset
SELECT profile_id AS kim FROM identify(520, phone => '+1 646 555 0165') \gset
INSERT INTO names VALUES ('profile', :kay, 'kay'), ('profile', :kim, 'kim');
UPDATE profiles SET created_at = created_at - interval '1 day' WHERE account_id = 520 AND profile_id = :kim;
SELECT merge_profiles(520, :kay, :kim) AS m6 \gset
INSERT INTO names VALUES ('merge', :m6, 'm6');
SELECT pg_temp.n(survivor_id) AS survivor, pg_temp.n(merged_id) AS merged FROM merges
 WHERE account_id = 520 AND merge_id = :m6;

------------------------------------------------------------------------------
-- Bad arguments: 22023, saying which
------------------------------------------------------------------------------
SELECT profile_id AS lou FROM identify(521, email => 'lou@example.com') \gset
INSERT INTO names VALUES ('profile', :lou, 'lou');
-- another account's profile
SELECT pg_temp.try(format('SELECT profile_merge.merge_profiles(520, %s, %s)', :gus, :lou));
SELECT pg_temp.try(format('SELECT profile_merge.merge_profiles(521, %s, %s)', :lou, :gus));
-- a profile that does not exist
SELECT pg_temp.try(format('SELECT profile_merge.merge_profiles(520, %s, -5)', :gus));
SELECT pg_temp.try(format('SELECT profile_merge.merge_profiles(520, -5, %s)', :gus));
-- NULLs
SELECT pg_temp.try(format('SELECT profile_merge.merge_profiles(520, NULL, %s)', :gus));
SELECT pg_temp.try(format('SELECT profile_merge.merge_profiles(NULL, %s, %s)', :gus, :kay));
-- nothing of that was logged
SELECT pg_temp.n(merge_id, 'merge') AS merge, pg_temp.n(survivor_id) AS survivor, pg_temp.n(merged_id) AS merged
  FROM merges WHERE account_id IN (520, 521) ORDER BY merge_id;

-- The shared invariants (every count must be 0). pg_regress feeds this file
-- to psql on stdin, so \ir resolves against the working directory (the top
-- of the source tree). Their text is not echoed, only their results, so that
-- rewording them does not change this suite's expected output.
\set ECHO none
\ir test/sql/check_invariants.sql
\set ECHO all
