-- normalize_email / try_normalize_email (DESIGN.md section 2).
--   trim surrounding white space and a leading mailto:, lower-case the whole
--   address, one @, a dot-atom local part, a domain of at least two labels,
--   IDN domains converted to punycode, at most 254 octets, no provider
--   rewriting (Gmail dots and +tags stay). Bad input: ERROR 22023 whose
--   message names the reason (normalize_email), NULL (try_normalize_email).
SET search_path = profile_merge, public;
\pset null '<NULL>'
-- a row wider than 160 characters prints expanded, one column a line
\pset columns 160
\x auto

-- Runs normalize_email and shows either its result or the SQLSTATE and
-- message it raised. psql prints control characters in a result cell as \xNN,
-- so messages that quote such input stay readable here.
CREATE FUNCTION pg_temp.email_result(raw text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    RETURN 'ok: ' || coalesce(profile_merge.normalize_email(raw), '<NULL>');
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

------------------------------------------------------------------------------
-- Messy but valid addresses as people and forms send them
------------------------------------------------------------------------------
CREATE TEMP TABLE valid_cases (n serial, label text, raw text);
INSERT INTO valid_cases (label, raw) VALUES
    ('mixed case, spaces around',      ' Ana@Example.COM '),
    ('all upper case',                 'ANA@EXAMPLE.COM'),
    ('tab before, newline after',      E'\tBOB@example.com\n'),
    ('CR LF on both sides',            E'\r\n  carol@example.org  \r\n'),
    ('no-break and ideographic space', E'\u00a0dana@example.com\u3000'),
    ('zero width space and BOM',       E'\u200berin@example.com\ufeff'),
    ('mailto: prefix',                 'mailto:Dave@Example.com'),
    ('MAILTO: prefix, upper case',     'MAILTO:eve@example.com'),
    ('mailto: inside white space',     '  mailto:frank@example.com  '),
    ('gmail dots and +tag stay',       'John.Smith+news@Gmail.com'),
    ('gmail dots stay',                'j.o.h.n@gmail.com'),
    ('googlemail stays googlemail',    'john.smith@googlemail.com'),
    ('+tag on another provider',       'ana+shop@fastmail.fm'),
    ('apostrophe in local part',       'O''Brien@example.ie'),
    ('every atext character',          'a!#$%&''*+/=?^_`{|}~-z@example.com'),
    ('many labels',                    'user@mail.sub.domain.example.co.uk'),
    ('digits and hyphens in labels',   'user@123-go.example'),
    ('double hyphen label',            'ana@ex--ample.com'),
    ('one-letter labels',              'a@b.co'),
    ('IDN German',                     'user@bücher.de'),
    ('IDN German, upper case',         'USER@BÜCHER.DE'),
    ('IDN city',                       'info@münchen.DE'),
    ('IDN sharp s (nontransitional)',  'ana@straße.de'),
    ('IDN Japanese',                   'user@例え.jp'),
    ('IDN Cyrillic with Cyrillic TLD', 'user@пример.рф'),
    ('IDN Greek, upper case',          'ana@ΕΛΛΗΝΙΚΆ.GR'),
    ('IDN Arabic',                     'ana@مثال.إختبار'),
    ('IDN Hebrew',                     'ana@אתר.com'),
    ('IDN Chinese',                    'ana@例子.中国'),
    ('punycode given already',         'user@xn--bcher-kva.de'),
    ('punycode, upper case',           'USER@XN--BCHER-KVA.DE'),
    ('fullwidth letters in domain',    'ana@ｅｘａｍｐｌｅ.com'),
    ('local part of 64 octets',        repeat('a', 64) || '@example.com'),
    ('domain label of 63 octets',      'a@' || repeat('b', 63) || '.com'),
    ('address of exactly 254 octets',  repeat('a', 64) || '@' || repeat('b', 63) || '.' || repeat('c', 63) || '.' || repeat('d', 57) || '.com');

-- (results longer than 100 characters continue on the next line)
SELECT n, label, regexp_replace(pg_temp.email_result(raw), '(.{100})(?=.)', E'\\1\n', 'g') AS result
  FROM valid_cases ORDER BY n;

-- the canonical form is a fixed point, and try_ agrees with normalize_
SELECT count(*) AS cases,
       count(*) FILTER (WHERE normalize_email(normalize_email(raw)) = normalize_email(raw)) AS idempotent,
       count(*) FILTER (WHERE try_normalize_email(raw) = normalize_email(raw)) AS try_agrees,
       count(*) FILTER (WHERE octet_length(normalize_email(raw)) <= 254) AS at_most_254
  FROM valid_cases;

-- the 254-octet address really is 254 octets
SELECT octet_length(normalize_email(raw)) FROM valid_cases WHERE label = 'address of exactly 254 octets';

-- spellings of one person's address meet in one canonical value
SELECT count(DISTINCT normalize_email(raw)) AS distinct_values
  FROM (VALUES ('Ana@Example.com'), (' ana@example.com'), ('mailto:ANA@EXAMPLE.COM'),
               (E'ana@example.com\n'), ('ana@EXAMPLE.com ')) v(raw);

-- but no provider-specific rewriting: four Gmail spellings stay four values
SELECT normalize_email(raw)
  FROM (VALUES ('johnsmith@gmail.com'), ('john.smith@gmail.com'),
               ('johnsmith+shop@gmail.com'), ('johnsmith@googlemail.com')) v(raw)
 ORDER BY 1;

------------------------------------------------------------------------------
-- Invalid addresses: SQLSTATE 22023 and a message naming the reason
------------------------------------------------------------------------------
CREATE TEMP TABLE invalid_cases (n serial, label text, raw text);
INSERT INTO invalid_cases (label, raw) VALUES
    ('empty string',                   ''),
    ('only spaces',                    '   '),
    ('only white space of all kinds',  E' \t\r\n\u00a0\u3000 '),
    ('mailto: and nothing',            'mailto:'),
    ('mailto: and spaces',             'mailto:   '),
    ('no @',                           'ana.example.com'),
    ('just a name',                    'ana'),
    ('nothing before @',               '@example.com'),
    ('nothing after @',                'ana@'),
    ('two @ together',                 'ana@@example.com'),
    ('two @',                          'ana@b@example.com'),
    ('quoted local part',              '"ana"@example.com'),
    ('quoted local part with space',   '"ana smith"@example.com'),
    ('comment',                        'ana(comment)@example.com'),
    ('display name',                   'Ana Smith <ana@example.com>'),
    ('space in local part',            'ana smith@example.com'),
    ('space in domain',                'ana@ex ample.com'),
    ('mailto: with a space after',     'mailto: ana@example.com'),
    ('mailto: with a query',           'mailto:ana@example.com?subject=hi'),
    ('leading dot in local part',      '.ana@example.com'),
    ('trailing dot in local part',     'ana.@example.com'),
    ('consecutive dots in local part', 'an..a@example.com'),
    ('comma instead of dot',           'ana@example,com'),
    ('backslash in domain',            'ana@ex\ample.com'),
    ('underscore in domain',           'ana@exa_mple.com'),
    ('single-label domain',            'ana@localhost'),
    ('all-digit top-level label',      'ana@example.123'),
    ('IPv4 address as domain',         'ana@192.168.0.1'),
    ('domain literal',                 'ana@[192.168.0.1]'),
    ('leading dot in domain',          'ana@.example.com'),
    ('trailing dot in domain',         'ana@example.com.'),
    ('consecutive dots in domain',     'ana@example..com'),
    ('label starting with hyphen',     'ana@-example.com'),
    ('label ending with hyphen',       'ana@example-.com'),
    ('invalid punycode label',         'ana@xn--zz.com'),
    ('zero width joiner in domain',    E'ana@a\u200db.com'),
    ('non-ASCII local part (Latin)',   'josé@example.com'),
    ('non-ASCII local part (Chinese)', '用户@例子.广告'),
    ('non-ASCII local part (Cyrillic)','иван@пример.рф'),
    ('local part of 65 octets',        repeat('a', 65) || '@example.com'),
    ('domain label of 64 octets',      'a@' || repeat('b', 64) || '.com'),
    ('address of 255 octets',          repeat('a', 64) || '@' || repeat('b', 63) || '.' || repeat('c', 63) || '.' || repeat('d', 58) || '.com'),
    ('C0 control character',           E'ana\x01@example.com'),
    ('newline inside',                 E'ana\n@example.com'),
    ('DEL at the end',                 E'ana@example.com\x7f'),
    ('C1 control character',           E'ana\u0085x@example.com');

-- (results longer than 100 characters continue on the next line)
SELECT n, label, regexp_replace(pg_temp.email_result(raw), '(.{100})(?=.)', E'\\1\n', 'g') AS result
  FROM invalid_cases ORDER BY n;

-- every one of them is NULL for try_normalize_email and 22023 for normalize_email
SELECT count(*) AS cases,
       count(*) FILTER (WHERE try_normalize_email(raw) IS NULL) AS try_null,
       count(*) FILTER (WHERE pg_temp.email_result(raw) LIKE '22023: invalid email address %') AS error_22023
  FROM invalid_cases;

-- errors reach psql as they are raised
SELECT normalize_email('ana.example.com');
\echo :LAST_ERROR_SQLSTATE
SELECT normalize_email('');
\echo :LAST_ERROR_SQLSTATE
SELECT normalize_email('   ');
\echo :LAST_ERROR_SQLSTATE
SELECT try_normalize_email(''), try_normalize_email('   '), try_normalize_email('mailto:');

------------------------------------------------------------------------------
-- NULL: the functions are STRICT
------------------------------------------------------------------------------
SELECT normalize_email(NULL) AS normalize, try_normalize_email(NULL) AS try;

------------------------------------------------------------------------------
-- Huge input: refused at once, with a short message (not the whole input)
------------------------------------------------------------------------------
SELECT normalize_email(repeat('a', 1000000) || '@example.com');
\echo :LAST_ERROR_SQLSTATE
SELECT try_normalize_email(repeat('a', 1000000) || '@example.com') AS try_1mb;
SELECT length(pg_temp.email_result(repeat('a', 1000000) || '@example.com')) < 200 AS message_is_short;
-- multi-byte input is cut on a character boundary
SELECT pg_temp.email_result(repeat('é', 500000) || '@example.com');

------------------------------------------------------------------------------
-- Control characters are refused, not silently removed
------------------------------------------------------------------------------
SELECT pg_temp.email_result(E'ana\x01@example.com');
SELECT pg_temp.email_result(E'ana@exam\x1bple.com');
SELECT try_normalize_email(E'ana\x01@example.com') AS c0,
       try_normalize_email(E'ana@example.com\x7f') AS del,
       try_normalize_email(E'\x02ana@example.com') AS leading_c0;

------------------------------------------------------------------------------
-- Catalog: IMMUTABLE (can back an index), STRICT, PARALLEL SAFE
------------------------------------------------------------------------------
SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict, p.proparallel,
       p.prorettype::regtype AS returns
  FROM pg_proc p
 WHERE p.pronamespace = 'profile_merge'::regnamespace
   AND p.proname IN ('normalize_email', 'try_normalize_email')
 ORDER BY 1::text;

-- a unique expression index makes one person's spellings collide
CREATE TEMP TABLE signups (id int, email text);
CREATE UNIQUE INDEX signups_email ON signups (profile_merge.normalize_email(email));
INSERT INTO signups VALUES (1, 'Ana@Example.com');
INSERT INTO signups VALUES (2, ' mailto:ANA@example.COM ');
INSERT INTO signups VALUES (3, 'ana+shop@example.com');
INSERT INTO signups VALUES (4, 'not an address');
\echo :LAST_ERROR_SQLSTATE
SELECT id, email FROM signups ORDER BY id;
DROP TABLE signups;
