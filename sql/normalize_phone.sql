-- normalize_phone(raw [, region]) / try_normalize_phone (DESIGN.md section 2).
--   E.164 through libphonenumber. A number written with + needs no region;
--   the region's own international prefix works too (00 from GB, 011 from
--   US); otherwise the region argument, else profile_merge.default_region
--   (default US). Region codes are case-insensitive. Bad input: ERROR 22023
--   (normalize_phone), NULL (try_normalize_phone). One-argument forms STABLE,
--   two-argument forms IMMUTABLE; all STRICT and PARALLEL SAFE.
-- The settings themselves are tested in settings.sql; here they keep their
-- defaults (US, valid).
SET search_path = profile_merge, public;
\pset null '<NULL>'
-- a row wider than 160 characters prints expanded, one column a line
\pset columns 160
\x auto

CREATE FUNCTION pg_temp.phone_result(raw text, region text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    RETURN 'ok: ' || coalesce(profile_merge.normalize_phone(raw, region), '<NULL>');
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

CREATE FUNCTION pg_temp.phone_result(raw text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    RETURN 'ok: ' || coalesce(profile_merge.normalize_phone(raw), '<NULL>');
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;

------------------------------------------------------------------------------
-- Numbers as people type them, in their own region's conventions
------------------------------------------------------------------------------
CREATE TEMP TABLE typed (n serial, region text, raw text);
INSERT INTO typed (region, raw) VALUES
    -- United States / Canada (NANP)
    ('US', '(650) 253-0000'),
    ('US', '650.253.0000'),
    ('US', '650-253-0000'),
    ('US', '6502530000'),
    ('US', '1 (650) 253-0000'),
    ('US', '1-650-253-0000'),
    ('US', '+1 (415) 555-0132'),
    ('US', '  (212) 555-0100  '),
    ('US', E'\t650 253 0000\n'),
    ('US', 'tel:+1-650-253-0000'),
    ('US', '1-800-FLOWERS'),
    ('CA', '(416) 363-8000'),
    ('CA', '416 363 8000'),
    -- United Kingdom
    ('GB', '020 7946 0958'),
    ('GB', '(020) 7946 0958'),
    ('GB', '07911 123456'),
    ('GB', '+44 (0)20 7946 0958'),
    ('GB', '+44 (0) 7911 123456'),
    -- Germany
    ('DE', '030 901820'),
    ('DE', '030/12345678'),
    ('DE', '0151 23456789'),
    ('DE', '+49 (0)30 901820'),
    -- France
    ('FR', '01 23 45 67 89'),
    ('FR', '06 12 34 56 78'),
    ('FR', '06.12.34.56.78'),
    -- India
    ('IN', '98765 43210'),
    ('IN', '098765 43210'),
    ('IN', '+91 98765-43210'),
    -- Brazil
    ('BR', '(11) 91234-5678'),
    ('BR', '11 3456-7890'),
    -- Japan (also fullwidth digits and dashes, as Japanese keyboards type them)
    ('JP', '03-1234-5678'),
    ('JP', '090-1234-5678'),
    ('JP', '０９０－１２３４－５６７８'),
    -- Australia
    ('AU', '0412 345 678'),
    ('AU', '(02) 9876 5432'),
    -- Mexico, China, Korea, Russia, Spain, Italy, Nigeria, South Africa
    ('MX', '55 1234 5678'),
    ('CN', '138 0013 8000'),
    ('CN', '010 1234 5678'),
    ('KR', '010-1234-5678'),
    ('RU', '8 (912) 345-67-89'),
    ('ES', '612 34 56 78'),
    ('IT', '06 1234 5678'),
    ('IT', '312 345 6789'),
    ('NG', '0803 123 4567'),
    ('ZA', '082 123 4567'),
    -- digits of other scripts
    ('EG', '٠١٠٠ ١٢٣ ٤٥٦٧'),
    ('IN', '९८७६५ ४३२१०'),
    ('IR', '۰۹۱۲ ۳۴۵ ۶۷۸۹');

SELECT n, region, raw, pg_temp.phone_result(raw, region) AS result FROM typed ORDER BY n;

-- E.164 is a fixed point, and try_ agrees with normalize_
SELECT count(*) AS cases,
       count(*) FILTER (WHERE normalize_phone(raw, region) ~ '^\+[1-9][0-9]{6,14}$') AS e164_shaped,
       count(*) FILTER (WHERE normalize_phone(normalize_phone(raw, region), region) = normalize_phone(raw, region)) AS idempotent,
       count(*) FILTER (WHERE try_normalize_phone(raw, region) = normalize_phone(raw, region)) AS try_agrees
  FROM typed;

------------------------------------------------------------------------------
-- A number written with + needs no region (one-argument form, default US)
------------------------------------------------------------------------------
SELECT raw, pg_temp.phone_result(raw) AS one_arg, pg_temp.phone_result(raw, 'JP') AS with_other_region
  FROM (VALUES ('+44 20 7946 0958'), ('+49 30 901820'), ('+33 6 12 34 56 78'), ('+91 98765 43210'),
               ('+55 11 91234 5678'), ('+81 90-1234-5678'), ('+61 412 345 678'), ('+52 1 55 1234 5678'),
               ('+7 912 345-67-89'), ('+1 650 253 0000'), ('+16502530000'), ('+800 1234 5678'),
               ('+１６５０２５３００００')) v(raw);

-- numbers without + are read in the default region, US
SELECT pg_temp.phone_result('(650) 253-0000') AS us_number,
       pg_temp.phone_result('020 7946 0958') AS uk_number_read_as_us;

------------------------------------------------------------------------------
-- International prefixes: each region's own
------------------------------------------------------------------------------
SELECT region, raw, pg_temp.phone_result(raw, region) AS result
  FROM (VALUES ('GB', '00 44 20 7946 0958'),     -- 00 from GB
               ('GB', '0049 30 901820'),
               ('DE', '0049 30 12345678'),
               ('FR', '0033 1 23 45 67 89'),
               ('US', '011 44 20 7946 0958'),    -- 011 from US
               ('CA', '011 49 30 901820'),
               ('AU', '0011 44 20 7946 0958'),   -- 0011 from AU
               ('RU', '8 10 44 20 7946 0958'),   -- 8~10 from RU
               ('US', '00 44 20 7946 0958'),     -- 00 is not the US prefix
               ('GB', '011 44 20 7946 0958')     -- nor 011 the British one
       ) v(region, raw);
SELECT pg_temp.phone_result('011 44 20 7946 0958') AS one_arg_011,
       pg_temp.phone_result('00 44 20 7946 0958') AS one_arg_00;

------------------------------------------------------------------------------
-- Region codes are case-insensitive
------------------------------------------------------------------------------
SELECT region, normalize_phone('020 7946 0958', region), try_normalize_phone('020 7946 0958', region)
  FROM (VALUES ('GB'), ('gb'), ('Gb'), ('gB')) v(region);
SELECT count(DISTINCT normalize_phone('(650) 253-0000', r)) AS distinct_results
  FROM (VALUES ('US'), ('us'), ('Us'), ('uS')) v(r);

------------------------------------------------------------------------------
-- Unknown or empty region: 22023 from normalize_phone, NULL from try_,
-- also for a + number (a bad argument is a bad argument)
------------------------------------------------------------------------------
SELECT region, pg_temp.phone_result('020 7946 0958', region) AS national,
       pg_temp.phone_result('+44 20 7946 0958', region) AS international,
       try_normalize_phone('020 7946 0958', region) AS try_national,
       try_normalize_phone('+44 20 7946 0958', region) AS try_international
  FROM (VALUES ('XX'), ('ZZ'), ('001'), (''), ('USA'), ('U'), (' US'), ('U1'), ('UK')) v(region);
SELECT normalize_phone('020 7946 0958', 'XX');
\echo :LAST_ERROR_SQLSTATE
SELECT normalize_phone('020 7946 0958', '');
\echo :LAST_ERROR_SQLSTATE

------------------------------------------------------------------------------
-- Bad numbers: 22023 with the reason, NULL from try_
------------------------------------------------------------------------------
CREATE TEMP TABLE bad (n serial, region text, raw text);
INSERT INTO bad (region, raw) VALUES
    ('US', ''),
    ('US', '   '),
    ('US', E'\t\n'),
    ('US', 'abc'),
    ('US', 'call me'),
    ('US', 'one two three'),
    ('US', 'n/a'),
    ('US', '-'),
    ('US', '12'),
    ('US', '+1'),
    ('US', '+'),
    ('US', '555-0132'),                      -- no area code
    ('US', '650 253 00000'),                 -- too long
    ('US', '+1 650 253 000'),                -- too short
    ('US', '+1 555 555 5555'),               -- possible, but not valid
    ('US', '+999 123456'),                   -- no such country code
    ('US', '+0 650 253 0000'),
    ('US', '650 253 0000 ext. 12'),          -- extensions have no E.164 form
    ('US', '650 253 0000 x12'),
    ('US', '+1 650 253 0000;ext=5'),
    ('US', '650 253 0000, 650 253 0001'),    -- two numbers in one field
    ('GB', '07700 900123'),                  -- reserved for drama, not valid
    ('GB', '+44 7700 900123'),
    ('US', E'650\x01253 0000'),              -- control characters
    ('US', E'650 253\x1b0000'),
    ('US', E'650 253 0000\x7f');

SELECT n, region, raw, pg_temp.phone_result(raw, region) AS result FROM bad ORDER BY n;
SELECT count(*) AS cases,
       count(*) FILTER (WHERE try_normalize_phone(raw, region) IS NULL) AS try_null,
       count(*) FILTER (WHERE pg_temp.phone_result(raw, region) LIKE '22023: invalid phone number %') AS error_22023
  FROM bad;
-- the one-argument forms refuse them the same way (default region US)
SELECT count(*) FILTER (WHERE try_normalize_phone(raw) IS NULL) AS try_null,
       count(*) FILTER (WHERE pg_temp.phone_result(raw) LIKE '22023: %') AS error_22023
  FROM bad WHERE region = 'US';

SELECT normalize_phone('call me');
\echo :LAST_ERROR_SQLSTATE
SELECT normalize_phone('', 'US');
\echo :LAST_ERROR_SQLSTATE

------------------------------------------------------------------------------
-- Letters: vanity numbers are what libphonenumber dials
------------------------------------------------------------------------------
SELECT raw, try_normalize_phone(raw, 'US')
  FROM (VALUES ('1-800-FLOWERS'), ('1-800-flowers'), ('650-CALL-NOW'), ('CALL-ME-NOW')) v(raw);

------------------------------------------------------------------------------
-- NULL: STRICT
------------------------------------------------------------------------------
SELECT normalize_phone(NULL) AS a, normalize_phone(NULL, 'US') AS b, normalize_phone('650 253 0000', NULL) AS c,
       try_normalize_phone(NULL) AS d, try_normalize_phone(NULL, 'US') AS e, try_normalize_phone('650 253 0000', NULL) AS f;

------------------------------------------------------------------------------
-- 1 MB strings: a short error, or NULL; as number or as region
------------------------------------------------------------------------------
SELECT normalize_phone(repeat('1', 1000000), 'US');
\echo :LAST_ERROR_SQLSTATE
SELECT normalize_phone(repeat('1', 1000000));
SELECT normalize_phone('650 253 0000', repeat('U', 1000000));
\echo :LAST_ERROR_SQLSTATE
SELECT try_normalize_phone(repeat('1', 1000000)) AS a,
       try_normalize_phone(repeat('1', 1000000), 'US') AS b,
       try_normalize_phone('650 253 0000', repeat('U', 1000000)) AS c,
       try_normalize_phone(repeat('+1 650 253 0000 ', 65536), 'US') AS d;
SELECT length(pg_temp.phone_result(repeat('9', 1000000), 'US')) < 200 AS short_message,
       length(pg_temp.phone_result('650 253 0000', repeat('U', 1000000))) < 200 AS short_region_message;

------------------------------------------------------------------------------
-- Catalog: one-argument STABLE, two-argument IMMUTABLE, all STRICT and
-- PARALLEL SAFE
------------------------------------------------------------------------------
SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict, p.proparallel,
       p.prorettype::regtype AS returns
  FROM pg_proc p
 WHERE p.pronamespace = 'profile_merge'::regnamespace
   AND p.proname IN ('normalize_phone', 'try_normalize_phone')
 ORDER BY 1::text;

------------------------------------------------------------------------------
-- The two-argument form can back an expression index
------------------------------------------------------------------------------
CREATE TEMP TABLE contacts (id int PRIMARY KEY, phone text, region text);
CREATE INDEX contacts_phone ON contacts (profile_merge.normalize_phone(phone, region));
CREATE UNIQUE INDEX contacts_phone_unique ON contacts (profile_merge.try_normalize_phone(phone, region));
INSERT INTO contacts VALUES
    (1, '(650) 253-0000', 'US'),
    (2, '020 7946 0958', 'gb'),
    (3, '+49 30 901820', 'US'),
    (4, '0412 345 678', 'AU');
-- the same British number written another way collides
INSERT INTO contacts VALUES (5, '+44 20 7946 0958', 'FR');
-- a bad number cannot enter the normalize_phone index
INSERT INTO contacts VALUES (6, 'not a number', 'US');
\echo :LAST_ERROR_SQLSTATE
ANALYZE contacts;
SET enable_seqscan = off;
EXPLAIN (COSTS OFF)
SELECT id FROM contacts WHERE profile_merge.normalize_phone(phone, region) = '+442079460958';
SELECT id FROM contacts WHERE profile_merge.normalize_phone(phone, region) = '+442079460958';
SELECT id FROM contacts WHERE profile_merge.normalize_phone(phone, region) = profile_merge.normalize_phone('030 901820', 'de');
RESET enable_seqscan;
-- the one-argument form follows settings, so it may not back an index
CREATE INDEX contacts_phone_default ON contacts (profile_merge.normalize_phone(phone));
CREATE INDEX contacts_phone_default ON contacts (profile_merge.try_normalize_phone(phone));
DROP TABLE contacts;
