-- find_profile() and resolve_profile() (DESIGN.md section 5). Accounts 510, 511.
-- Ids come from sequences other suites share: they are printed relatively
-- (through \gset variables, names and booleans), never raw.
SET search_path = profile_merge, public;

-- pg_temp.try(statement, literal, name, ...): 'ok', or the SQLSTATE and
-- message it raised, the pairs (literal, name) replacing raw ids
\ir test/sql/try.sql

-- Profiles by name, to print ids relatively.
CREATE TEMP TABLE names (id bigint PRIMARY KEY, name text NOT NULL);
CREATE FUNCTION pg_temp.n(id bigint) RETURNS text
    LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT name FROM names WHERE names.id = $1), CASE WHEN $1 IS NOT NULL THEN 'unnamed' END)
$$;

------------------------------------------------------------------------------
-- find_profile normalizes what it is given
------------------------------------------------------------------------------
SELECT profile_id AS dana FROM identify(510, 'api', email => 'Dana.Ruiz@Example.com',
                                        phone => '+1 415 555 0140', external_id => 'CUST-9') \gset
SELECT profile_id AS ed FROM identify(510, 'sms_keyword', phone => '020 7946 0123', phone_region => 'GB') \gset
SELECT profile_id AS flo FROM identify(510, 'api', email => 'flo@example.com', external_id => 'CUST-10') \gset
INSERT INTO names VALUES (:dana, 'dana'), (:ed, 'ed'), (:flo, 'flo');
SELECT email, phone, external_id FROM profiles WHERE account_id = 510 ORDER BY profile_id;

-- email: white space, mailto:, case
SELECT pg_temp.n(find_profile(510, email => 'dana.ruiz@example.com')) AS exact,
       pg_temp.n(find_profile(510, email => '  MAILTO:DANA.RUIZ@example.COM ')) AS messy,
       pg_temp.n(find_profile(510, email => 'danaruiz@example.com')) AS no_dots_rewriting;
-- phone: formatted the ways people type it (default region US)
SELECT raw, pg_temp.n(find_profile(510, phone => raw)) AS found
  FROM unnest(ARRAY['+14155550140', '(415) 555-0140', '415.555.0140', '+1 415-555-0140',
                    '1 415 555 0140', '011 1 415 555 0140', '415 555 0141']) AS raw;
-- a national number of another country needs its region
SELECT pg_temp.n(find_profile(510, phone => '020 7946 0123')) AS as_us,
       pg_temp.n(find_profile(510, phone => '020 7946 0123', phone_region => 'GB')) AS gb,
       pg_temp.n(find_profile(510, phone => '020 7946 0123', phone_region => 'gb')) AS gb_lower,
       pg_temp.n(find_profile(510, phone => '+44 20 7946 0123')) AS international,
       pg_temp.n(find_profile(510, phone => '00 44 20 7946 0123', phone_region => 'GB')) AS gb_prefix;
-- or the setting the one-argument normalizer reads
SET profile_merge.default_region = 'GB';
SELECT pg_temp.n(find_profile(510, phone => '020 7946 0123')) AS default_region_gb;
RESET profile_merge.default_region;
-- with profile_merge.phone_accept = 'possible' an event keeps a possible
-- (not valid) number; find_profile must find it, with or without a region,
-- as the trigger normalized it (area code 199 does not exist)
SET profile_merge.phone_accept = 'possible';
SELECT profile_id AS zed, outcome FROM identify(510, phone => '199 555 0125', phone_region => 'US') \gset
\echo :outcome
INSERT INTO names VALUES (:zed, 'zed');
SELECT phone FROM profiles WHERE account_id = 510 AND profile_id = :zed;
SELECT pg_temp.n(find_profile(510, phone => '199 555 0125')) AS default_region,
       pg_temp.n(find_profile(510, phone => '199 555 0125', phone_region => 'US')) AS region_us,
       pg_temp.n(find_profile(510, phone => '+1 199 555 0125')) AS international;
RESET profile_merge.phone_accept;
-- external_id: trimmed, otherwise as typed (case-sensitive)
SELECT pg_temp.n(find_profile(510, external_id => 'CUST-9')) AS exact,
       pg_temp.n(find_profile(510, external_id => ' CUST-9  ')) AS trimmed,
       pg_temp.n(find_profile(510, external_id => 'cust-9')) AS other_case;
-- several identifiers: the profile holding any of them, external_id first,
-- then email, then phone
SELECT pg_temp.n(find_profile(510, email => 'nobody@example.com', phone => '415 555 0140')) AS by_phone,
       pg_temp.n(find_profile(510, email => 'flo@example.com', phone => '415 555 0140')) AS email_first,
       pg_temp.n(find_profile(510, email => 'dana.ruiz@example.com', external_id => 'CUST-10')) AS external_id_first;

-- NULL when nothing matches, when nothing is given, when the input is junk
SELECT find_profile(510, email => 'nobody@example.com') IS NULL AS unknown_email,
       find_profile(510, phone => '+1 415 555 0199') IS NULL AS unknown_phone,
       find_profile(510, external_id => 'CUST-404') IS NULL AS unknown_external_id,
       find_profile(510) IS NULL AS nothing_given,
       find_profile(510, email => '', phone => '', external_id => '') IS NULL AS blanks,
       find_profile(510, email => 'not an email', phone => 'call me') IS NULL AS junk;
-- (an unknown region is 22023 since 0.4.0: sql/first_hour_inputs)
-- never another account's profile
SELECT find_profile(511, email => 'dana.ruiz@example.com') IS NULL AS other_account,
       find_profile(NULL, email => 'dana.ruiz@example.com') IS NULL AS null_account;
-- a detached (overridden) value finds nobody; its replacement finds the profile
SELECT outcome FROM identify(510, 'checkout', email => 'dana.ruiz@example.com', phone => '+1 415 555 0142');
SELECT find_profile(510, phone => '415 555 0140') IS NULL AS old_number,
       pg_temp.n(find_profile(510, phone => '415 555 0142')) AS new_number;

------------------------------------------------------------------------------
-- resolve_profile follows merged_into to the active survivor
------------------------------------------------------------------------------
-- chain of length 0: an active profile is its own survivor
SELECT pg_temp.n(resolve_profile(510, :dana)) AS dana, pg_temp.n(resolve_profile(510, :ed)) AS ed;

-- w, z, y, x created in that order (w oldest): merging x into y, then y into
-- z, then z into w leaves x -> y -> z -> w
SELECT profile_id AS w FROM identify(510, email => 'w@example.com') \gset
SELECT profile_id AS z FROM identify(510, phone => '+1 312 555 0150') \gset
SELECT profile_id AS y FROM identify(510, external_id => 'CUST-Y') \gset
SELECT profile_id AS x FROM identify(510, email => 'x@example.com') \gset
INSERT INTO names VALUES (:w, 'w'), (:z, 'z'), (:y, 'y'), (:x, 'x');
SELECT merge_profiles(510, :x, :y) AS m1 \gset
SELECT pg_temp.n(resolve_profile(510, :x)) AS x_one_hop;
SELECT merge_profiles(510, :y, :z) AS m2 \gset
-- z now holds x@example.com, which clashes with w's email: forced
SELECT merge_profiles(510, :z, :w, force => true) AS m3 \gset
SELECT pg_temp.n(profile_id) AS profile, pg_temp.n(merged_into) AS merged_into
  FROM profiles WHERE account_id = 510 AND profile_id IN (:w, :z, :y, :x) ORDER BY profile_id;
SELECT pg_temp.n(resolve_profile(510, :x)) AS x_three_hops,
       pg_temp.n(resolve_profile(510, :y)) AS y_two_hops,
       pg_temp.n(resolve_profile(510, :z)) AS z_one_hop,
       pg_temp.n(resolve_profile(510, :w)) AS w_itself;
-- find_profile returns the survivor too (tombstones hold no identifiers)
SELECT pg_temp.n(find_profile(510, external_id => 'CUST-Y')) AS by_y_value,
       pg_temp.n(find_profile(510, phone => '312-555-0150')) AS by_z_value,
       find_profile(510, email => 'x@example.com') IS NULL AS forced_away;
-- unmerging the last merge makes z active again, with y and x behind it
SELECT pg_temp.n(unmerge(510, :m3)) AS reactivated;
SELECT pg_temp.n(resolve_profile(510, :x)) AS x_two_hops, pg_temp.n(resolve_profile(510, :z)) AS z_itself;

-- unknown, other account's profile: 22023 naming the id and the account
SELECT pg_temp.try('SELECT profile_merge.resolve_profile(510, -1)');
SELECT pg_temp.try(format('SELECT profile_merge.resolve_profile(511, %s)', :dana), 'profile ' || :dana, 'profile dana');
SELECT pg_temp.try(format('SELECT profile_merge.resolve_profile(511, %s)', :x), 'profile ' || :x, 'profile x');
-- NULL in, NULL out
SELECT resolve_profile(NULL, :dana) IS NULL AS null_account, resolve_profile(510, NULL) IS NULL AS null_id;

-- The shared invariants (every count must be 0). pg_regress feeds this file
-- to psql on stdin, so \ir resolves against the working directory (the top
-- of the source tree). Their text is not echoed, only their results, so that
-- rewording them does not change this suite's expected output.
\set ECHO none
\ir test/sql/check_invariants.sql
\set ECHO all
