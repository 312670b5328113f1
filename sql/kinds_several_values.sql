-- kinds_several_values: profiles that hold several values of a kind
-- (DESIGN.md section 4b): an account whose email limit is above 1, values
-- attached up to the limit, the least recently attached one overridden at
-- the limit (or a conflict), the primary chosen by consent then recency
-- (a consent row written straight into the ledger included), merges that
-- fit the limits and those that do not, merge_profiles with and without
-- force, unmerge putting every value back. Accounts 5101-5109 belong to
-- this suite.
SET search_path = profile_merge, public;
\pset null '(null)'
\pset columns 160
\x auto

\ir test/sql/story_helpers.sql

-- A profile's values, primary first, consent status included.
CREATE FUNCTION pg_temp.values_of(account bigint) RETURNS TABLE (profile text, kind text, value text,
                                                                 is_primary boolean, status text)
LANGUAGE sql AS $$
    SELECT pg_temp.who(i.profile_id), i.kind, i.value, i.is_primary, i.status
      FROM profile_merge.profile_identifiers i
     WHERE i.account_id = account
     ORDER BY pg_temp.who(i.profile_id), i.kind, i.is_primary DESC, i.value
$$;

------------------------------------------------------------------------------
-- Account 5101: up to three addresses a profile
------------------------------------------------------------------------------
INSERT INTO identifier_kinds (account_id, kind, normalizer, max_per_profile)
VALUES (5101, 'email', 'email', 3);

-- Ann signs up with her personal address, later gives her work address
-- through the app (her profile as hint), then a third in events.identifiers
INSERT INTO events (account_id, source, email)
VALUES (5101, 'form', 'ann@home.example')
RETURNING pg_temp.who(profile_id, 'ann') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, profile_hint, email)
VALUES (5101, 'api', pg_temp.id(5101, 'ann'), 'Ann@Work.Example')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, identifiers)
VALUES (5101, 'form', 'ann@home.example', '{"email": ["ann@club.example", "ANN@home.example"]}')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
-- every address reaches her; the primary is the one attached last
SELECT * FROM pg_temp.values_of(5101);
SELECT pg_temp.who(profile_id) AS profile, email FROM profiles WHERE account_id = 5101 AND merged_into IS NULL;

-- she subscribes with her personal address: subscribed comes first
INSERT INTO events (account_id, source, email, email_consent)
VALUES (5101, 'form', 'ann@home.example', true)
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
SELECT * FROM pg_temp.values_of(5101);
SELECT pg_temp.who(profile_id) AS profile, email, email_status FROM profile_consent WHERE account_id = 5101;

-- an unsubscribe written straight into the ledger: the primary is chosen again
INSERT INTO consents (account_id, channel, value, status, source, method)
VALUES (5101, 'email', 'Ann@Home.Example', 'unsubscribed', 'api', 'unsubscribe link');
SELECT pg_temp.who(profile_id) AS profile, email, email_status FROM profile_consent WHERE account_id = 5101;

-- at the limit: a form (email not in may_override) conflicts
INSERT INTO events (account_id, source, profile_hint, email)
VALUES (5101, 'form', pg_temp.id(5101, 'ann'), 'ann@new.example')
RETURNING pg_temp.who(profile_id) AS profile, outcome, detail -> 0 ->> 'action' AS action,
          detail -> 0 ->> 'value' AS value, detail -> 0 ->> 'reason' AS reason;
-- an api event (email in may_override) replaces the least recently attached
INSERT INTO events (account_id, source, profile_hint, email)
VALUES (5101, 'api', pg_temp.id(5101, 'ann'), 'ann@new.example')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
SELECT * FROM pg_temp.values_of(5101);
-- the replaced address is detached, its history and consent kept
SELECT kind, value, detach_reason FROM identifiers
 WHERE account_id = 5101 AND detached_at IS NOT NULL ORDER BY identifier_id;
SELECT channel, value, status FROM consents WHERE account_id = 5101 ORDER BY consent_id;

------------------------------------------------------------------------------
-- Account 5102: a merge whose values fit the limits, and its unmerge
------------------------------------------------------------------------------
INSERT INTO identifier_kinds (account_id, kind, normalizer, max_per_profile)
VALUES (5102, 'email', 'email', 3);
INSERT INTO events (account_id, source, email, identifiers)
VALUES (5102, 'form', 'bea@home.example', '{"email": "bea@work.example"}')
RETURNING pg_temp.who(profile_id, 'bea') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, phone)
VALUES (5102, 'form', 'bea@club.example', '(415) 555-0101')
RETURNING pg_temp.who(profile_id, 'bea_phone') AS profile, outcome, pg_temp.show(detail) AS detail;
-- a form connects her home address and the number: 3 addresses fit
INSERT INTO events (account_id, source, email, phone)
VALUES (5102, 'form', 'bea@home.example', '415-555-0101')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
SELECT * FROM pg_temp.values_of(5102);
SELECT step, kind, value FROM explain_profile(5102, pg_temp.id(5102, 'bea'))
 WHERE kind IS NOT NULL ORDER BY step, kind, value;
-- unmerge: every value goes back where it was
SELECT unmerge(5102, (SELECT merge_id FROM merges WHERE account_id = 5102)) = pg_temp.id(5102, 'bea_phone')
       AS bea_phone_back;
SELECT * FROM pg_temp.values_of(5102);
SELECT pg_temp.who(profile_id) AS profile, email, phone FROM profiles
 WHERE account_id = 5102 ORDER BY profile_id;

------------------------------------------------------------------------------
-- Account 5103: profiles whose values together exceed a limit never merge
------------------------------------------------------------------------------
INSERT INTO identifier_kinds (account_id, kind, normalizer, max_per_profile)
VALUES (5103, 'email', 'email', 2);
INSERT INTO events (account_id, source, email, identifiers)
VALUES (5103, 'form', 'cy@home.example', '{"email": "cy@work.example"}')
RETURNING pg_temp.who(profile_id, 'cy') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, phone)
VALUES (5103, 'form', 'cy@club.example', '(415) 555-0102')
RETURNING pg_temp.who(profile_id, 'cy_phone') AS profile, outcome, pg_temp.show(detail) AS detail;
INSERT INTO events (account_id, source, email, phone)
VALUES (5103, 'form', 'cy@home.example', '415-555-0102')
RETURNING pg_temp.who(profile_id) AS profile, outcome, pg_temp.show(detail) AS detail;
SELECT * FROM pg_temp.values_of(5103);

------------------------------------------------------------------------------
-- Account 5104: merge_profiles counts against the limits; force detaches
-- the merged profile's values of a kind that would not fit, unmerge gives
-- them back
------------------------------------------------------------------------------
INSERT INTO identifier_kinds (account_id, kind, normalizer, max_per_profile)
VALUES (5104, 'email', 'email', 2);
INSERT INTO events (account_id, source, email) VALUES (5104, 'form', 'dee@one.example')
RETURNING pg_temp.who(profile_id, 'dee') AS profile, outcome;
INSERT INTO events (account_id, source, email) VALUES (5104, 'form', 'dee@two.example')
RETURNING pg_temp.who(profile_id, 'dee_two') AS profile, outcome;
INSERT INTO events (account_id, source, email, phone) VALUES (5104, 'form', 'dee@three.example', '415 555 0103')
RETURNING pg_temp.who(profile_id, 'dee_three') AS profile, outcome;
-- two addresses fit
SELECT merge_profiles(5104, pg_temp.id(5104, 'dee'), pg_temp.id(5104, 'dee_two')) > 0 AS merged;
SELECT * FROM pg_temp.values_of(5104);
-- a third does not (55000; the message names the profiles by id)
\set VERBOSITY sqlstate
SELECT merge_profiles(5104, pg_temp.id(5104, 'dee'), pg_temp.id(5104, 'dee_three'));
\set VERBOSITY default
SELECT merge_profiles(5104, pg_temp.id(5104, 'dee'), pg_temp.id(5104, 'dee_three'), force => true) AS forced \gset
SELECT * FROM pg_temp.values_of(5104);
SELECT kind, value, detach_reason FROM identifiers
 WHERE account_id = 5104 AND detach_reason = 'forced';
SELECT unmerge(5104, :forced) = pg_temp.id(5104, 'dee_three') AS dee_three_back;
SELECT * FROM pg_temp.values_of(5104);

------------------------------------------------------------------------------
-- Account 5105: a limit cannot be lowered below what profiles hold
------------------------------------------------------------------------------
INSERT INTO identifier_kinds (account_id, kind, normalizer, max_per_profile)
VALUES (5105, 'email', 'email', 3);
INSERT INTO events (account_id, source, email, identifiers)
VALUES (5105, 'form', 'eli@one.example', '{"email": ["eli@two.example", "eli@three.example"]}')
RETURNING outcome;
-- (terse: the DETAIL names one of the profiles by id)
\set VERBOSITY terse
UPDATE identifier_kinds SET max_per_profile = 2 WHERE account_id = 5105 AND kind = 'email';
DELETE FROM identifier_kinds WHERE account_id = 5105 AND kind = 'email';
\set VERBOSITY default
SELECT max_per_profile FROM identifier_kinds WHERE account_id = 5105;

\ir test/sql/check_invariants.sql
