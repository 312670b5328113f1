-- unmerge(account_id, merge_id) and unmerge(merge_id) (DESIGN.md section 5):
-- both profiles back as they were before the merge, or a clear error naming
-- what to undo first. Accounts 530-539.
-- Ids come from sequences other suites share: they are printed by name
-- (through \gset variables and a names table), never raw.
SET search_path = profile_merge, public;
-- a row wider than 160 characters prints expanded, one column a line
\pset columns 160
\x auto

\ir test/sql/named_ids.sql

-- A profile's state, to compare before and after: columns, properties,
-- attached identifiers, what profile_consent shows
CREATE FUNCTION pg_temp.state(account bigint, VARIADIC ids bigint[])
RETURNS TABLE (profile text, active boolean, email text, phone text, external_id text,
               properties jsonb, attached text[], email_status text, sms_status text)
    LANGUAGE sql STABLE AS $$
    SELECT pg_temp.n(p.profile_id), p.merged_into IS NULL, p.email, p.phone, p.external_id, p.properties,
           ARRAY(SELECT i.kind || ':' || i.value FROM profile_merge.identifiers i
                  WHERE i.account_id = p.account_id AND i.profile_id = p.profile_id
                    AND i.detached_at IS NULL ORDER BY 1),
           c.email_status, c.sms_status
      FROM profile_merge.profiles p
      LEFT JOIN profile_merge.profile_consent c USING (account_id, profile_id)
     WHERE p.account_id = account AND p.profile_id = ANY (ids)
     ORDER BY p.profile_id
$$;
-- Identifiers, history included
CREATE FUNCTION pg_temp.identifiers_of(account bigint, VARIADIC ids bigint[])
RETURNS TABLE (profile text, kind text, value text, attached boolean, detach_reason text,
               merge text, by_event text)
    LANGUAGE sql STABLE AS $$
    SELECT pg_temp.n(i.profile_id), i.kind, i.value, i.detached_at IS NULL, i.detach_reason,
           pg_temp.n(i.merge_id, 'merge'), pg_temp.n(i.detached_by_event, 'event')
      FROM profile_merge.identifiers i
     WHERE i.account_id = account AND i.profile_id = ANY (ids)
     ORDER BY 1, 2, i.identifier_id
$$;

-- Not for PUBLIC
SELECT has_function_privilege('public', 'unmerge(bigint, bigint)', 'EXECUTE') AS public_two_args,
       has_function_privilege('public', 'unmerge(bigint)', 'EXECUTE') AS public_one_arg;

------------------------------------------------------------------------------
-- An event merges two profiles; unmerge puts both back exactly
------------------------------------------------------------------------------
SELECT profile_id AS ann FROM identify(530, 'form', email => 'ann@example.com', email_consent => true,
                                       properties => '{"a": 1, "shared": "ann"}') \gset
SELECT profile_id AS ben FROM identify(530, 'sms_keyword', phone => '+1 646 555 0171', sms_consent => true) \gset
-- ben changes numbers (history), gives an external id and properties
SELECT event_id AS e0, outcome FROM identify(530, profile_hint => :ben, phone => '+1 646 555 0172', sms_consent => true,
                             external_id => 'B-1', properties => '{"b": 2, "shared": "ben"}') \gset
\echo :outcome
INSERT INTO names VALUES ('profile', :ann, 'ann'), ('profile', :ben, 'ben'), ('event', :e0, 'e0');
CREATE TEMP TABLE before AS SELECT * FROM pg_temp.state(530, :ann, :ben);
SELECT * FROM before;
SELECT * FROM pg_temp.identifiers_of(530, :ann, :ben);

-- a form with ann's email and ben's number (compatible): merged, ann older
SELECT event_id AS e1, outcome FROM identify(530, 'form', email => 'ann@example.com', phone => '646-555-0172') \gset
\echo :outcome
SELECT merge_id AS m1 FROM merges WHERE account_id = 530 AND event_id = :e1 \gset
INSERT INTO names VALUES ('event', :e1, 'e1'), ('merge', :m1, 'm1');
SELECT * FROM pg_temp.state(530, :ann, :ben);

SELECT pg_temp.n(unmerge(530, :m1)) AS reactivated;
-- exactly as before: columns, properties, attached identifiers, consent view
SELECT * FROM pg_temp.state(530, :ann, :ben);
SELECT count(*) AS differences FROM (
    (SELECT * FROM before EXCEPT SELECT * FROM pg_temp.state(530, :ann, :ben))
    UNION ALL
    (SELECT * FROM pg_temp.state(530, :ann, :ben) EXCEPT SELECT * FROM before)) d;
-- history kept: the rows the merge detached, the copy on ann detached by the
-- unmerge, and ben's values given back
SELECT * FROM pg_temp.identifiers_of(530, :ann, :ben);
SELECT unmerged_at IS NOT NULL AS unmerged, merged_at <= unmerged_at AS after_merge
  FROM merges WHERE account_id = 530 AND merge_id = :m1;
SELECT pg_temp.n(resolve_profile(530, :ben)) AS ben_resolves_to,
       pg_temp.n(find_profile(530, phone => '646 555 0172')) AS by_number,
       pg_temp.n(find_profile(530, external_id => 'B-1')) AS by_external_id;
-- events follow the profiles again
SELECT pg_temp.n(profile_id) AS profile, outcome FROM identify(530, 'form', phone => '646 555 0172');
SELECT pg_temp.n(profile_id) AS profile, outcome FROM identify(530, profile_hint => :ben);

-- already undone: 55000
SELECT pg_temp.try(format('SELECT profile_merge.unmerge(530, %s)', :m1));
SELECT pg_temp.try(format('SELECT profile_merge.unmerge(%s)', :m1));
-- unknown merge, other account's merge: 22023
SELECT pg_temp.try('SELECT profile_merge.unmerge(530, -1)');
SELECT pg_temp.try('SELECT profile_merge.unmerge(-1)');
SELECT pg_temp.try(format('SELECT profile_merge.unmerge(531, %s)', :m1));
-- a NULL argument is 22023, as for every admin function (since 0.4.0)
SELECT pg_temp.try('SELECT profile_merge.unmerge(530, NULL)');

------------------------------------------------------------------------------
-- A chain: A absorbed B, then C. B cannot go first; C then B works
------------------------------------------------------------------------------
SELECT profile_id AS a FROM identify(531, email => 'a@example.com', properties => '{"from": "a"}') \gset
SELECT profile_id AS b FROM identify(531, phone => '+1 646 555 0173', properties => '{"from": "b", "b": 1}') \gset
SELECT profile_id AS c FROM identify(531, external_id => 'C-1', properties => '{"from": "c", "c": 1}') \gset
INSERT INTO names VALUES ('profile', :a, 'a'), ('profile', :b, 'b'), ('profile', :c, 'c');
CREATE TEMP TABLE chain_before AS SELECT * FROM pg_temp.state(531, :a, :b, :c);
SELECT merge_profiles(531, :a, :b) AS m2 \gset
SELECT merge_profiles(531, :c, :a) AS m3 \gset
INSERT INTO names VALUES ('merge', :m2, 'm2'), ('merge', :m3, 'm3');
SELECT * FROM pg_temp.state(531, :a, :b, :c);
-- b first: blocked, naming merge m3
SELECT pg_temp.try(format('SELECT profile_merge.unmerge(531, %s)', :m2));
SELECT unmerged_at IS NULL AS still_merged FROM merges WHERE account_id = 531 AND merge_id = :m2;
-- c, then b
SELECT pg_temp.n(unmerge(531, :m3)) AS reactivated;
SELECT * FROM pg_temp.state(531, :a, :b, :c);
SELECT pg_temp.n(unmerge(531, :m2)) AS reactivated;
SELECT * FROM pg_temp.state(531, :a, :b, :c);
SELECT count(*) AS differences FROM (
    (SELECT * FROM chain_before EXCEPT SELECT * FROM pg_temp.state(531, :a, :b, :c))
    UNION ALL
    (SELECT * FROM pg_temp.state(531, :a, :b, :c) EXCEPT SELECT * FROM chain_before)) d;

-- The same when the survivor is itself merged later: x absorbed y, then the
-- older w absorbed x. y cannot go first; x then y works.
SELECT profile_id AS w FROM identify(532, email => 'w@example.com') \gset
SELECT profile_id AS x FROM identify(532, phone => '+1 646 555 0174') \gset
SELECT profile_id AS y FROM identify(532, external_id => 'Y-1') \gset
INSERT INTO names VALUES ('profile', :w, 'w'), ('profile', :x, 'x'), ('profile', :y, 'y');
CREATE TEMP TABLE chain2_before AS SELECT * FROM pg_temp.state(532, :w, :x, :y);
SELECT merge_profiles(532, :x, :y) AS m4 \gset
SELECT merge_profiles(532, :x, :w) AS m5 \gset
INSERT INTO names VALUES ('merge', :m4, 'm4'), ('merge', :m5, 'm5');
SELECT * FROM pg_temp.state(532, :w, :x, :y);
SELECT pg_temp.try(format('SELECT profile_merge.unmerge(532, %s)', :m4));
SELECT pg_temp.n(unmerge(532, :m5)) AS reactivated;
SELECT * FROM pg_temp.state(532, :w, :x, :y);
-- x is back with y's external id (the copy m5 gave back); undoing m4 must
-- now take that copy from x and give y its value
SELECT pg_temp.try(format('SELECT profile_merge.unmerge(532, %s)', :m4));
SELECT * FROM pg_temp.state(532, :w, :x, :y);
SELECT count(*) AS differences FROM (
    (SELECT * FROM chain2_before EXCEPT SELECT * FROM pg_temp.state(532, :w, :x, :y))
    UNION ALL
    (SELECT * FROM pg_temp.state(532, :w, :x, :y) EXCEPT SELECT * FROM chain2_before)) d;

------------------------------------------------------------------------------
-- A forced merge: unmerge gives back the detached identifiers
------------------------------------------------------------------------------
SELECT profile_id AS eve FROM identify(533, email => 'eve@example.com', phone => '+1 646 555 0175') \gset
SELECT profile_id AS fay FROM identify(533, email => 'fay@example.com', external_id => 'F-1',
                                       email_consent => true, properties => '{"f": 1}') \gset
INSERT INTO names VALUES ('profile', :eve, 'eve'), ('profile', :fay, 'fay');
CREATE TEMP TABLE forced_before AS SELECT * FROM pg_temp.state(533, :eve, :fay);
SELECT merge_profiles(533, :eve, :fay, force => true) AS m6 \gset
INSERT INTO names VALUES ('merge', :m6, 'm6');
SELECT * FROM pg_temp.state(533, :eve, :fay);
SELECT pg_temp.n(unmerge(533, :m6)) AS reactivated;
SELECT * FROM pg_temp.state(533, :eve, :fay);
SELECT count(*) AS differences FROM (
    (SELECT * FROM forced_before EXCEPT SELECT * FROM pg_temp.state(533, :eve, :fay))
    UNION ALL
    (SELECT * FROM pg_temp.state(533, :eve, :fay) EXCEPT SELECT * FROM forced_before)) d;
SELECT * FROM pg_temp.identifiers_of(533, :eve, :fay);

-- A value a forced merge took away, claimed since by an event: blocked,
-- naming that event
SELECT profile_id AS gil FROM identify(533, email => 'gil@example.com') \gset
SELECT profile_id AS hub FROM identify(533, email => 'hub@example.com', phone => '+1 646 555 0176') \gset
INSERT INTO names VALUES ('profile', :gil, 'gil'), ('profile', :hub, 'hub');
SELECT merge_profiles(533, :gil, :hub, force => true) AS m7 \gset
SELECT event_id AS e2, profile_id AS ida FROM identify(533, email => 'hub@example.com') \gset
INSERT INTO names VALUES ('merge', :m7, 'm7'), ('event', :e2, 'e2'), ('profile', :ida, 'ida');
SELECT pg_temp.try(format('SELECT profile_merge.unmerge(533, %s)', :m7));
SELECT * FROM pg_temp.state(533, :gil, :hub, :ida);

------------------------------------------------------------------------------
-- An event that later overrode a moved identifier blocks the unmerge
------------------------------------------------------------------------------
SELECT profile_id AS kit FROM identify(534, email => 'kit@example.com') \gset
SELECT profile_id AS lee FROM identify(534, phone => '+1 646 555 0177', sms_consent => true) \gset
INSERT INTO names VALUES ('profile', :kit, 'kit'), ('profile', :lee, 'lee');
SELECT merge_profiles(534, :lee, :kit) AS m8 \gset
-- a checkout replaces the number lee brought (checkout may override phone)
SELECT event_id AS e3, outcome FROM identify(534, 'checkout', email => 'kit@example.com', phone => '+1 646 555 0178') \gset
INSERT INTO names VALUES ('merge', :m8, 'm8'), ('event', :e3, 'e3');
\echo :outcome
SELECT pg_temp.try(format('SELECT profile_merge.unmerge(534, %s)', :m8));
SELECT unmerged_at IS NULL AS still_merged FROM merges WHERE account_id = 534 AND merge_id = :m8;
SELECT * FROM pg_temp.state(534, :kit, :lee);

------------------------------------------------------------------------------
-- Changes made after the merge: new keys and changed keys stay with the
-- survivor, a new identifier too; consent follows the identifier
------------------------------------------------------------------------------
SELECT profile_id AS max FROM identify(535, email => 'max@example.com', properties => '{"m": 1}') \gset
SELECT profile_id AS ned FROM identify(535, phone => '+1 646 555 0179', sms_consent => true,
                                       properties => '{"n": 1, "k": "ned"}') \gset
INSERT INTO names VALUES ('profile', :max, 'max'), ('profile', :ned, 'ned');
SELECT merge_profiles(535, :max, :ned) AS m9 \gset
INSERT INTO names VALUES ('merge', :m9, 'm9');
SELECT outcome FROM identify(535, email => 'max@example.com', external_id => 'M-1',
                             properties => '{"k": "changed", "late": true}');
-- STOP from ned's number while it sits on max
SELECT outcome FROM identify(535, 'sms_keyword', phone => '646 555 0179', sms_consent => false);
SELECT * FROM pg_temp.state(535, :max, :ned);
SELECT pg_temp.n(unmerge(535, :m9)) AS reactivated;
SELECT * FROM pg_temp.state(535, :max, :ned);

------------------------------------------------------------------------------
-- unmerge(merge_id): the one-argument form
------------------------------------------------------------------------------
SELECT profile_id AS oli FROM identify(536, email => 'oli@example.com') \gset
SELECT profile_id AS pat FROM identify(536, phone => '+1 646 555 0180') \gset
INSERT INTO names VALUES ('profile', :oli, 'oli'), ('profile', :pat, 'pat');
SELECT merge_profiles(536, :oli, :pat) AS m10 \gset
INSERT INTO names VALUES ('merge', :m10, 'm10');
SELECT pg_temp.n(unmerge(:m10)) AS reactivated;
SELECT * FROM pg_temp.state(536, :oli, :pat);
SELECT unmerged_at IS NOT NULL AS unmerged FROM merges WHERE account_id = 536 AND merge_id = :m10;
-- a merge id that exists in two accounts (ids are per account on a
-- distributed install) needs the account
SELECT merge_profiles(536, :oli, :pat) AS m11 \gset
INSERT INTO names VALUES ('merge', :m11, 'm11');
INSERT INTO merges (merge_id, account_id, survivor_id, merged_id, reason, survivor_before, merged_before)
VALUES (:m11, 537, 1, 2, 'copy', '{}', '{}');
SELECT pg_temp.try(format('SELECT profile_merge.unmerge(%s)', :m11));
DELETE FROM merges WHERE account_id = 537;
SELECT pg_temp.n(unmerge(:m11)) AS reactivated;

-- (A profile an event created and merged away at once: sql/first_hour_admin,
-- where such a merge is undone since 0.4.0.)

-- The shared invariants (every count must be 0). pg_regress feeds this file
-- to psql on stdin, so \ir resolves against the working directory (the top
-- of the source tree). Their text is not echoed, only their results, so that
-- rewording them does not change this suite's expected output.
\set ECHO none
\ir test/sql/check_invariants.sql
\set ECHO all
