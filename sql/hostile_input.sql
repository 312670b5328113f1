-- hostile_input: what a careless or hostile application can send (DESIGN.md
-- sections 3 and 6). Every input ends either in a clear error with its
-- SQLSTATE or in a stored row whose detail says what was done; no value ever
-- crosses an account; no backend ever dies. Accounts 900-999, -1 and
-- 9223372036854775807 belong to this suite. Ids come from sequences shared
-- with the other suites, so ids are printed relatively (as comparisons).
SET search_path = profile_merge, public;
\pset null '(null)'
-- a row wider than 160 characters prints expanded, one column a line
\pset columns 160
\x auto

-- A crash of any backend makes the postmaster re-initialize: the
-- postmaster's own start time does not change then, but every auxiliary
-- process (the checkpointer among them) is restarted. Both are compared at
-- the end.
SELECT pg_postmaster_start_time() AS start_time \gset
SELECT backend_start AS checkpointer_start FROM pg_stat_activity
 WHERE backend_type = 'checkpointer' \gset

-- pg_temp.try(statement): runs it and shows 'ok' or the SQLSTATE and
-- message it raised (a message longer than 300 characters would itself be a
-- failure: it is replaced by its length).
\ir test/sql/try.sql

-- pg_temp.ev(...): inserts one event and returns the stored row, so that a
-- list of cases can be run with LATERAL.
CREATE FUNCTION pg_temp.ev(account bigint, source text DEFAULT 'api', hint bigint DEFAULT NULL,
                           email text DEFAULT NULL, phone text DEFAULT NULL,
                           external_id text DEFAULT NULL, properties jsonb DEFAULT '{}')
RETURNS profile_merge.events
LANGUAGE sql AS $$
INSERT INTO profile_merge.events (account_id, source, profile_hint, email, phone, external_id, properties)
VALUES (account, source, hint, email, phone, external_id, properties)
RETURNING *
$$;

-- pg_temp.said(detail): the detail without values: action kind (reason),
-- one element a line.
CREATE FUNCTION pg_temp.said(detail jsonb) RETURNS text
LANGUAGE sql STRICT AS $$
SELECT coalesce(string_agg(e->>'action' || ' ' || (e->>'kind')
                           || coalesce(' (' || (e->>'reason') || ')', ''), E';\n' ORDER BY n), '')
  FROM jsonb_array_elements(detail) WITH ORDINALITY AS t(e, n)
$$;

------------------------------------------------------------------------------
-- 1 MB in every text column of events (account 900)
------------------------------------------------------------------------------
-- each event is stored; the 1 MB value is reported invalid, and detail
-- stays small (raw values are cut to 256 characters)
INSERT INTO events (account_id, email) VALUES (900, repeat('a', 1048576))
RETURNING outcome, pg_temp.said(detail), length(detail::text) < 2000 AS small_detail,
          length(email) AS stored_raw_length, email_normalized;
INSERT INTO events (account_id, phone) VALUES (900, repeat('5', 1048576))
RETURNING outcome, pg_temp.said(detail), length(detail::text) < 2000 AS small_detail, phone_e164;
INSERT INTO events (account_id, external_id) VALUES (900, repeat('x', 1048576))
RETURNING outcome, pg_temp.said(detail), length(detail::text) < 2000 AS small_detail;
-- a 1 MB region makes the number invalid; the region is quoted cut short
INSERT INTO events (account_id, phone, phone_region) VALUES (900, '+1 415 555 0100', repeat('U', 1048576))
RETURNING outcome, pg_temp.said(detail), length(detail::text) < 2000 AS small_detail;
-- a 1 MB region without a phone is not looked at
INSERT INTO events (account_id, email, phone_region) VALUES (900, 'region900@example.org', repeat('U', 1048576))
RETURNING outcome, pg_temp.said(detail);
-- 1 MB of multi-byte characters
INSERT INTO events (account_id, email, external_id) VALUES (900, repeat('é', 524288) || '@example.org', repeat('ü', 524288))
RETURNING outcome, pg_temp.said(detail), length(detail::text) < 2000 AS small_detail;
-- 1 MB source: an error, with the name cut short in the message
SELECT pg_temp.try($$INSERT INTO profile_merge.events (account_id, source, email)
                     VALUES (900, repeat('s', 1048576), 'source900@example.org')$$);
-- 1 MB of white space around a valid address is only white space
INSERT INTO events (account_id, email) VALUES (900, repeat(' ', 1048576) || 'Padded900@Example.org' || repeat(E'\t', 1048576))
RETURNING outcome, pg_temp.said(detail), email_normalized;
-- 1 MB of white space is an absent value, not an invalid one
INSERT INTO events (account_id, email, phone, external_id)
VALUES (900, repeat(' ', 1048576), repeat(E'\n', 1048576), repeat(' ', 1048576))
RETURNING outcome, detail;
-- a row that arrives resolved (outcome set) is kept as it is: that is how a
-- pg_dump restore works. Only the owner can do it: applications are granted
-- INSERT on the columns they write (test/sh/privileges.sh checks that such a
-- role cannot set outcome). Rolled back, since it points at no profile.
BEGIN;
INSERT INTO events (account_id, email, email_normalized, phone_e164, outcome, detail, profile_id)
VALUES (900, 'forger900@example.org', repeat('n', 1048576), repeat('p', 1048576), 'merged',
        '[{"action": "merged"}]', -42)
RETURNING outcome, pg_temp.said(detail), length(email_normalized), length(phone_e164), profile_id = -42 AS kept_as_given;
ROLLBACK;
SELECT count(*) AS events_stored_for_900 FROM events WHERE account_id = 900;
-- what was refused is not kept: 200 events with distinct 1 MB source names,
-- each refused, leave the backend's resident memory (Linux VmRSS) less than
-- 64 MB larger than before
CREATE FUNCTION pg_temp.rss_kb() RETURNS bigint
LANGUAGE sql AS $$
SELECT (regexp_match(pg_read_file('/proc/self/status'), 'VmRSS:\s+(\d+) kB'))[1]::bigint
$$;
SELECT pg_temp.rss_kb() AS rss_before \gset
DO $$
BEGIN
    FOR i IN 1 .. 200 LOOP
        BEGIN
            INSERT INTO profile_merge.events (account_id, source, email)
            VALUES (900, i::text || repeat('s', 1048576), 'refused900@example.org');
        EXCEPTION WHEN invalid_parameter_value THEN
            NULL;
        END;
    END LOOP;
END $$;
SELECT pg_temp.rss_kb() - :rss_before < 64 * 1024 AS refused_sources_not_kept;

------------------------------------------------------------------------------
-- 1 MB in every text column of consents (account 901)
------------------------------------------------------------------------------
SELECT pg_temp.try($$INSERT INTO profile_merge.consents (account_id, channel, value, status)
                     VALUES (901, 'email', repeat('v', 1048576), 'subscribed')$$) AS value_1mb_email;
SELECT pg_temp.try($$INSERT INTO profile_merge.consents (account_id, channel, value, status)
                     VALUES (901, 'sms', repeat('5', 1048576), 'subscribed')$$) AS value_1mb_sms;
SELECT pg_temp.try($$INSERT INTO profile_merge.consents (account_id, channel, value, status, source)
                     VALUES (901, 'email', 'ledger901@example.org', 'subscribed', repeat('s', 1048576))$$) AS source_1mb;
SELECT pg_temp.try($$INSERT INTO profile_merge.consents (account_id, channel, value, status)
                     VALUES (901, repeat('c', 1048576), 'ledger901@example.org', 'subscribed')$$) AS channel_1mb;
SELECT pg_temp.try($$INSERT INTO profile_merge.consents (account_id, channel, value, status)
                     VALUES (901, 'email', 'ledger901@example.org', repeat('u', 1048576))$$) AS status_1mb;
-- method is free text: stored as given
INSERT INTO consents (account_id, channel, value, status, method)
VALUES (901, 'email', ' Ledger901@Example.org ', 'subscribed', repeat('m', 1048576))
RETURNING value, status, length(method) AS method_length, profile_id IS NOT NULL AS has_profile;
-- nothing else reached the ledger of 901
SELECT count(*) AS consents_of_901 FROM consents WHERE account_id = 901;

------------------------------------------------------------------------------
-- Deep and huge properties (accounts 902, 903)
------------------------------------------------------------------------------
-- 10,000 levels of arrays inside an object: jsonb accepts it, the event too
INSERT INTO events (account_id, email, properties)
VALUES (902, 'deep902@example.org', ('{"deep": ' || repeat('[', 10000) || repeat(']', 10000) || '}')::jsonb)
RETURNING outcome, pg_temp.said(detail);
-- and 10,000 levels of objects, merged into the same profile
INSERT INTO events (account_id, email, properties)
VALUES (902, 'deep902@example.org', ('{"deeper": ' || repeat('{"a": ', 10000) || '1' || repeat('}', 10000) || '}')::jsonb)
RETURNING outcome, pg_temp.said(detail);
SELECT length(properties::text) AS properties_length, properties ? 'deep' AND properties ? 'deeper' AS both_kept
  FROM profiles WHERE account_id = 902;
-- deeper than the server's stack allows: jsonb refuses it before any trigger
SELECT pg_temp.try($$INSERT INTO profile_merge.events (account_id, email, properties)
                     VALUES (902, 'deep902@example.org',
                             ('{"deep": ' || repeat('[', 200000) || repeat(']', 200000) || '}')::jsonb)$$) AS too_deep;
-- 5 MB objects: 50,000 keys, then one 5 MB string
INSERT INTO events (account_id, email, properties)
VALUES (903, 'big903@example.org',
        (SELECT jsonb_object_agg('k' || g, repeat('v', 100)) FROM generate_series(1, 50000) g))
RETURNING outcome, pg_temp.said(detail);
INSERT INTO events (account_id, email, properties)
VALUES (903, 'big903@example.org', jsonb_build_object('blob', repeat('z', 5 * 1048576)))
RETURNING outcome, pg_temp.said(detail);
SELECT (SELECT count(*) FROM jsonb_object_keys(properties)) AS keys,
       length(properties->>'blob') AS blob_length
  FROM profiles WHERE account_id = 903;
-- a merge and its unmerge carry both profiles' huge properties through the
-- merge log and back
SELECT md5(properties::text) AS deep_md5, profile_id AS deep_id
  FROM profiles WHERE account_id = 902 \gset
INSERT INTO events (account_id, phone, properties)
VALUES (902, '+1 415 555 0102', (SELECT jsonb_object_agg('k' || g, repeat('w', 100)) FROM generate_series(1, 50000) g))
RETURNING outcome, pg_temp.said(detail);
SELECT md5(properties::text) AS big_md5, profile_id AS big_id
  FROM profiles WHERE account_id = 902 AND phone IS NOT NULL \gset
SELECT merge_profiles(902, :deep_id, :big_id) AS merge_902 \gset
SELECT (SELECT count(*) FROM jsonb_object_keys(properties)) AS merged_keys
  FROM profiles WHERE account_id = 902 AND profile_id = :deep_id;
SELECT unmerge(902, :merge_902) = :big_id AS unmerged;
SELECT profile_id = :deep_id AS is_deep,
       md5(properties::text) = CASE WHEN profile_id = :deep_id THEN :'deep_md5' ELSE :'big_md5' END AS properties_restored
  FROM profiles WHERE account_id = 902 ORDER BY 1 DESC;
-- properties that are not an object are ignored and said so; the event is
-- still resolved
SELECT p AS properties, e.outcome, pg_temp.said(e.detail)
  FROM unnest(ARRAY['[1, 2]', '"text"', '42', 'null', 'true']) WITH ORDINALITY AS t(p, n),
       LATERAL pg_temp.ev(903, email => 'big903@example.org', properties => p::jsonb) e
 ORDER BY n;
-- a JSON null byte is refused by jsonb itself
SELECT pg_temp.try($$INSERT INTO profile_merge.events (account_id, email, properties)
                     VALUES (903, 'big903@example.org', '{"k\u0000": 1}')$$) AS nul_in_properties;

------------------------------------------------------------------------------
-- Negative, huge and NULL account ids
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, email, phone)
VALUES (-1, 'form', 'edge@example.org', '+1 415 555 0104'),
       (9223372036854775807, 'form', 'edge@example.org', '+1 415 555 0104')
RETURNING account_id, outcome, pg_temp.said(detail);
SELECT account_id, count(*) AS profiles FROM profiles
 WHERE account_id IN (-1, 9223372036854775807) GROUP BY 1 ORDER BY 1;
-- the same person in two accounts: two profiles, never one
SELECT find_profile(-1, email => 'edge@example.org') <> find_profile(9223372036854775807, email => 'edge@example.org')
       AS two_profiles,
       find_profile(904, email => 'edge@example.org') AS not_in_904;
-- the extreme account's profile as a hint from account -1 is not followed
INSERT INTO events (account_id, profile_hint, email)
VALUES (-1, find_profile(9223372036854775807, email => 'edge@example.org'), 'edge@example.org')
RETURNING outcome, pg_temp.said(detail),
          profile_id = find_profile(-1, email => 'edge@example.org') AS stays_in_own_account;
-- NULL account: an error with its SQLSTATE, never a crash
SELECT pg_temp.try($$INSERT INTO profile_merge.events (account_id, email) VALUES (NULL, 'null@example.org')$$) AS events_null_account;
SELECT pg_temp.try($$INSERT INTO profile_merge.consents (account_id, channel, value, status)
                     VALUES (NULL, 'email', 'null@example.org', 'subscribed')$$) AS consents_null_account;
SELECT pg_temp.try($$SELECT * FROM profile_merge.identify(NULL, 'api', 'null@example.org')$$) AS identify_null_account;
SELECT pg_temp.try($$SELECT profile_merge.merge_profiles(NULL, 1, 2)$$) AS merge_null_account;
SELECT find_profile(NULL, email => 'edge@example.org') AS find_null_account,
       resolve_profile(NULL, 1) AS resolve_null_account;
-- the admin functions refuse a NULL argument with 22023 (since 0.4.0)
SELECT pg_temp.try($$SELECT profile_merge.unmerge(NULL, 1)$$) AS unmerge_null_account;
SELECT pg_temp.try($$SELECT profile_merge.profile_graph(NULL, 1)$$) AS graph_null_account;
SELECT pg_temp.try($$SELECT * FROM profile_merge.explain_profile(NULL, 1)$$) AS explain_null_account;

------------------------------------------------------------------------------
-- profile_hint: another account's profile, nonexistent, extreme (905, 906)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, email, phone)
VALUES (905, 'form', 'owner905@example.org', '+1 415 555 0105')
RETURNING profile_id AS p905 \gset
SELECT updated_at AS p905_updated FROM profiles WHERE account_id = 905 AND profile_id = :p905 \gset
-- an api event in 906 naming 905's profile: treated as unknown, said in
-- detail, and the event makes its own profile in 906
INSERT INTO events (account_id, source, profile_hint, email, properties)
VALUES (906, 'api', :p905, 'intruder906@example.org', '{"stolen": true}')
RETURNING outcome, pg_temp.said(detail), detail->0->>'value' = :'p905' AS hint_named_in_detail,
          profile_id <> :p905 AS own_profile;
-- a form with the hint alone: rejected, nothing touched
INSERT INTO events (account_id, source, profile_hint, email_consent, sms_consent)
VALUES (906, 'form', :p905, true, true)
RETURNING outcome, profile_id, pg_temp.said(detail);
-- with the victim's own email and number: they are looked up in 906 only
INSERT INTO events (account_id, source, profile_hint, email, phone)
VALUES (906, 'api', :p905, 'owner905@example.org', '+1 415 555 0105')
RETURNING outcome, profile_id <> :p905 AS own_profile, pg_temp.said(detail);
-- 905's profile is exactly as it was
SELECT updated_at = :'p905_updated' AS untouched, email, phone, properties
  FROM profiles WHERE account_id = 905;
SELECT count(*) AS identifiers_of_905 FROM identifiers WHERE account_id = 905;
-- the hint through the functions: another account's profile does not exist
-- (its id is shown as <905's profile>)
SELECT f AS function, replace(pg_temp.try(format(stmt, :p905, find_profile(906, email => 'intruder906@example.org'))),
                              'profile ' || :p905 || ' ', 'profile <905''s profile> ') AS result
  FROM (VALUES (1, 'resolve_profile', 'SELECT profile_merge.resolve_profile(906, %s)'),
               (2, 'merge_profiles', 'SELECT profile_merge.merge_profiles(906, %s, %s)'),
               (3, 'explain_profile', 'SELECT * FROM profile_merge.explain_profile(906, %s)'),
               (4, 'profile_graph', 'SELECT profile_merge.profile_graph(906, %s)')) AS c(n, f, stmt)
 ORDER BY n;
-- nonexistent profiles as hints: far beyond every id, -1, 0, the largest bigint
SELECT h.label, e.outcome, pg_temp.said(e.detail), e.detail->0->>'value' = h.hint::text AS hint_named
  FROM (VALUES (1, 'beyond every id', (SELECT max(profile_id) + 1000000 FROM profiles)),
               (2, 'minus one', -1::bigint), (3, 'zero', 0::bigint),
               (4, 'largest bigint', 9223372036854775807::bigint),
               (5, 'smallest bigint', (-9223372036854775808)::bigint)) AS h(n, label, hint),
       LATERAL pg_temp.ev(906, 'api', h.hint, 'intruder906@example.org') e
 ORDER BY h.n;
-- a source that does not accept hints says so instead
INSERT INTO events (account_id, source, profile_hint, phone)
VALUES (906, 'sms_keyword', :p905, '+1 415 555 0106')
RETURNING outcome, pg_temp.said(detail);

------------------------------------------------------------------------------
-- Policies of one account do not apply to another (907, 908)
------------------------------------------------------------------------------
INSERT INTO sources VALUES ('pos907', '{phone}', false, '{}', '{phone}', 907);
INSERT INTO blocked_values (kind, value, account_id) VALUES ('email', 'shared@family907.example', 907);
INSERT INTO events (account_id, source, phone) VALUES (907, 'pos907', '+1 415 555 0107')
RETURNING outcome, pg_temp.said(detail);
SELECT pg_temp.try($$INSERT INTO profile_merge.events (account_id, source, phone)
                     VALUES (908, 'pos907', '+1 415 555 0108')$$) AS other_accounts_source;
INSERT INTO events (account_id, email) VALUES (907, 'Shared@Family907.example'), (908, 'Shared@Family907.example')
RETURNING account_id, outcome, pg_temp.said(detail);

------------------------------------------------------------------------------
-- Strings made to look like SQL (account 909)
------------------------------------------------------------------------------
\set sqlish '''; DROP TABLE profile_merge.profiles; --'
INSERT INTO events (account_id, email, phone, external_id, properties)
VALUES (909, :'sqlish', :'sqlish', :'sqlish', jsonb_build_object(:'sqlish', :'sqlish'))
RETURNING outcome, pg_temp.said(detail);
INSERT INTO events (account_id, email, external_id)
VALUES (909, 'robert''); DROP TABLE profile_merge.events;--@example.org', 'x"); DELETE FROM profile_merge.identifiers; --')
RETURNING outcome, pg_temp.said(detail);
SELECT external_id = :'sqlish' AS external_id_kept, properties ->> :'sqlish' = :'sqlish' AS property_kept
  FROM profiles WHERE account_id = 909 AND external_id = :'sqlish';
SELECT find_profile(909, external_id => :'sqlish') IS NOT NULL AS found_by_it;
SELECT pg_temp.try(format('INSERT INTO profile_merge.events (account_id, source, email) VALUES (909, %L, %L)',
                          :'sqlish', 'ok909@example.org')) AS as_source;
SELECT pg_temp.try(format('INSERT INTO profile_merge.consents (account_id, channel, value, status) VALUES (909, %L, %L, %L)',
                          'sms', :'sqlish', 'subscribed')) AS as_consent_value;
SELECT pg_temp.try(format('INSERT INTO profile_merge.consents (account_id, channel, value, status, source) VALUES (909, %L, %L, %L, %L)',
                          'email', 'ok909@example.org', 'subscribed', :'sqlish')) AS as_consent_source;
INSERT INTO consents (account_id, channel, value, status, method)
VALUES (909, 'email', 'ok909@example.org', 'subscribed', :'sqlish')
RETURNING value, method = :'sqlish' AS method_kept;
-- the graph quotes it as data
SELECT profile_graph(909, find_profile(909, external_id => :'sqlish')) LIKE '%DROP TABLE profile_merge.profiles%'
       AS graph_shows_it;
SELECT to_regclass('profile_merge.profiles') IS NOT NULL AS profiles_still_there,
       to_regclass('profile_merge.events') IS NOT NULL AS events_still_there,
       (SELECT count(*) > 0 FROM identifiers) AS identifiers_still_there;

------------------------------------------------------------------------------
-- Every default source name misspelled: ERROR 22023 (account 910)
------------------------------------------------------------------------------
SELECT s AS source, pg_temp.try(format(
         'INSERT INTO profile_merge.events (account_id, source, email, phone) VALUES (910, %L, %L, %L)',
         s, 'typo910@example.org', '+1 415 555 0110')) AS events,
       pg_temp.try(format(
         'INSERT INTO profile_merge.consents (account_id, channel, value, status, source) VALUES (910, %L, %L, %L, %L)',
         'sms', '+1 415 555 0110', 'subscribed', s)) AS consents
  FROM unnest(ARRAY['API', 'Api', 'api ', ' api', E'api\n', 'аpi', 'form ', 'Form', 'forms',
                    'check-out', 'Checkout', 'check_out', 'imports', 'IMPORT',
                    'sms keyword', 'sms-keyword', 'SMS_KEYWORD', 'clicktotext', 'click to text',
                    'sms_subscribe', 'sms_subscribe_link ', '', '''api''']) WITH ORDINALITY AS t(s, n)
 ORDER BY n;
SELECT pg_temp.try($$SELECT * FROM profile_merge.identify(910, 'Form', 'typo910@example.org')$$) AS identify_typo;
SELECT count(*) AS events_of_910, (SELECT count(*) FROM consents WHERE account_id = 910) AS consents_of_910,
       (SELECT count(*) FROM profiles WHERE account_id = 910) AS profiles_of_910
  FROM events WHERE account_id = 910;

------------------------------------------------------------------------------
-- NULL wherever it is allowed (account 911)
------------------------------------------------------------------------------
INSERT INTO events (account_id, source, profile_hint, email, phone, phone_region, external_id,
                    sms_consent, email_consent, properties, occurred_at)
VALUES (911, 'api', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
RETURNING outcome, profile_id, detail;
INSERT INTO events (account_id, email, sms_consent, email_consent, properties, occurred_at)
VALUES (911, 'nulls911@example.org', true, true, NULL, NULL)
RETURNING outcome, pg_temp.said(detail);
SELECT channel, status, recorded_at IS NOT NULL AS has_time FROM consents WHERE account_id = 911;
-- NULL where it is not: errors with their SQLSTATE
SELECT pg_temp.try($$INSERT INTO profile_merge.events (account_id, source, email) VALUES (911, NULL, 'nulls911@example.org')$$) AS source_null;
SELECT c AS null_column, pg_temp.try(format(
         'INSERT INTO profile_merge.consents (account_id, channel, value, status, source, recorded_at) VALUES (911, %s, %s, %s, %s, %s)',
         CASE c WHEN 'channel' THEN 'NULL' ELSE '''email''' END,
         CASE c WHEN 'value' THEN 'NULL' ELSE '''nulls911@example.org''' END,
         CASE c WHEN 'status' THEN 'NULL' ELSE '''subscribed''' END,
         CASE c WHEN 'source' THEN 'NULL' ELSE '''api''' END,
         CASE c WHEN 'recorded_at' THEN 'NULL' ELSE 'now()' END)) AS result
  FROM unnest(ARRAY['channel', 'value', 'status', 'source', 'recorded_at']) WITH ORDINALITY AS t(c, n)
 ORDER BY n;
-- the functions with NULL arguments
-- (a NULL source is 23502 since 0.4.0, as for a plain INSERT)
SELECT pg_temp.try($$SELECT * FROM profile_merge.identify(911, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)$$) AS null_source;
SELECT profile_id, outcome FROM identify(911, 'api', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
SELECT find_profile(911) AS find_nothing,
       find_profile(911, email => NULL, phone => NULL, external_id => NULL, phone_region => NULL) AS find_nulls,
       resolve_profile(911, NULL) AS resolve_null,
       normalize_email(NULL) AS email_null, normalize_phone(NULL) AS phone_null;
-- the admin functions: 22023 (since 0.4.0)
SELECT pg_temp.try($$SELECT profile_merge.unmerge(NULL)$$) AS unmerge_null,
       pg_temp.try($$SELECT profile_merge.profile_graph(911, NULL)$$) AS graph_null;
SELECT pg_temp.try(format('SELECT profile_merge.merge_profiles(911, %s, NULL)',
                          find_profile(911, email => 'nulls911@example.org'))) AS merge_with_null;
-- NULL reason or force is 22023 (since 0.4.0: no silent default)
INSERT INTO events (account_id, phone) VALUES (911, '+1 415 555 0111') RETURNING profile_id AS p911b \gset
SELECT pg_temp.try(format('SELECT profile_merge.merge_profiles(911, %s, %s, NULL, NULL)',
                          find_profile(911, email => 'nulls911@example.org'), :p911b)) AS null_reason;

------------------------------------------------------------------------------
-- Control characters and other scripts (account 912)
------------------------------------------------------------------------------
SELECT label, e.outcome, pg_temp.said(e.detail)
  FROM (VALUES (1, 'C0 control in email',        E'ctl\x01@example.org',   NULL::text, NULL::text),
               (2, 'BEL in a domain',            E'bell@exa\x07mple.org',   NULL, NULL),
               (3, 'backspace in a number',      NULL, E'+1 415 555 01\x0812', NULL),
               (4, 'escape sequence external_id', NULL, NULL, E'ext\x1b[31mred'),
               (5, 'DEL in external_id',         NULL, NULL, E'ext\x7f'),
               (6, 'C1 CSI in external_id',      NULL, NULL, E'ext\u009b31m'),
               (7, 'C1 NEL inside external_id',  NULL, NULL, E'ext\u0085id'),
               (8, 'right-to-left override',     E'evil\u202e@example.org', NULL, NULL),
               (9, 'zero-width joiner in domain', E'user@ex\u200dample.org', NULL, NULL),
               (10, 'Japanese domain',            'user@例え.テスト',       NULL, NULL),
               (11, 'Cyrillic domain',            'user@пример.рф',         NULL, NULL),
               (12, 'accented local part',        'josé@example.org',        NULL, NULL),
               (13, 'Arabic-Indic digits',        NULL, '٤١٥٥٥٥٠١١٢',       NULL),
               (14, 'fullwidth digits',           NULL, '＋１ ４１５ ５５５ ０１１３', NULL),
               (15, 'emoji and Hebrew',           NULL, NULL, 'ユーザー 😀 עברית'),
               (16, 'no-break spaces around',     E'\u00a0nbsp912@example.org\u3000', NULL, E'\u00a0ext-nbsp\u00a0'))
       AS c(n, label, email, phone, external_id),
       LATERAL pg_temp.ev(912, email => c.email, phone => c.phone, external_id => c.external_id) e
 ORDER BY c.n;
-- what was stored, as psql shows it
SELECT kind, value FROM identifiers WHERE account_id = 912 ORDER BY kind, value;
-- a NUL byte never reaches the extension
SELECT pg_temp.try($$INSERT INTO profile_merge.events (account_id, phone) VALUES (912, E'+1 415\x00 555')$$) AS nul_byte;
-- consents: a control character in the value is an error; the method keeps anything
SELECT pg_temp.try($$INSERT INTO profile_merge.consents (account_id, channel, value, status)
                     VALUES (912, 'email', E'x\x01@example.org', 'subscribed')$$) AS control_in_value;
INSERT INTO consents (account_id, channel, value, status, method)
VALUES (912, 'sms', '٤١٥٥٥٥٠١١٢', 'unsubscribed', E'STOP \x1b[0m 😀 עברית')
RETURNING value, status, method;
-- properties in any script, control characters escaped by jsonb
INSERT INTO events (account_id, external_id, properties)
VALUES (912, 'ユーザー 😀 עברית', '{"\u0001ctl": "\u001b[0m", "😀": "עברית", "名前": "テスト"}')
RETURNING outcome, pg_temp.said(detail);
SELECT properties FROM profiles WHERE account_id = 912 AND external_id = 'ユーザー 😀 עברית';

------------------------------------------------------------------------------
-- Nothing crashed, nothing is inconsistent
------------------------------------------------------------------------------
-- pg_regress feeds this file to psql on stdin, so \ir resolves against the
-- directory make runs in (the top of the tree).
\ir test/sql/check_invariants.sql
SELECT pg_postmaster_start_time() = :'start_time'::timestamptz AS postmaster_not_restarted;
SELECT backend_start = :'checkpointer_start'::timestamptz AS no_backend_crashed
  FROM pg_stat_activity WHERE backend_type = 'checkpointer';
