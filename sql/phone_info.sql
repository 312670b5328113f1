-- phone_info(raw [, region]) (DESIGN.md section 2): what libphonenumber
-- makes of a number, as a record (e164, is_valid, is_possible, region,
-- country_code, number_type, national_format, international_format). On bad
-- input a row with is_possible = false, never an error (bad region included).
SET search_path = profile_merge, public;
\pset null '<NULL>'

-- the record's columns and types
SELECT a.attnum, a.attname, a.atttypid::regtype
  FROM pg_attribute a
 WHERE a.attrelid = 'profile_merge.phone_info_result'::regclass AND a.attnum > 0
 ORDER BY a.attnum;

------------------------------------------------------------------------------
-- Full rows for valid numbers
------------------------------------------------------------------------------
\x on
SELECT * FROM phone_info('(650) 253-0000');                -- default region US
SELECT * FROM phone_info('1-800-FLOWERS');
SELECT * FROM phone_info('020 7946 0958', 'GB');
SELECT * FROM phone_info('07400 123456', 'gb');            -- region in lower case
SELECT * FROM phone_info('07911 123456', 'GB');            -- +44, but Guernsey's range
SELECT * FROM phone_info('0151 23456789', 'DE');
SELECT * FROM phone_info('06 12 34 56 78', 'FR');
SELECT * FROM phone_info('+91 98765 43210');               -- + needs no region
SELECT * FROM phone_info('(11) 91234-5678', 'BR');
SELECT * FROM phone_info('０９０－１２３４－５６７８', 'JP');
SELECT * FROM phone_info('+800 1234 5678');                -- non-geographic
SELECT * FROM phone_info('011 44 20 7946 0958', 'US');     -- US international prefix
SELECT * FROM phone_info('(416) 363-8000', 'CA');

------------------------------------------------------------------------------
-- Parsed but not valid: possible-but-invalid, too short, extension
------------------------------------------------------------------------------
SELECT * FROM phone_info('+44 7700 900123');               -- possible, not valid
SELECT * FROM phone_info('+1 555 555 5555');
SELECT * FROM phone_info('555-0132');                      -- no area code
SELECT * FROM phone_info('12');
SELECT * FROM phone_info('650 253 0000 ext. 12');          -- valid, with an extension

------------------------------------------------------------------------------
-- Garbage: a row with is_possible = false, never an error
------------------------------------------------------------------------------
SELECT * FROM phone_info('garbage');
SELECT * FROM phone_info('');
SELECT * FROM phone_info('650 253 0000', 'XX');            -- unknown region
SELECT * FROM phone_info('+44 20 7946 0958', '');          -- empty region
\x off

CREATE TEMP TABLE junk (n serial, label text, raw text, region text);
INSERT INTO junk (label, raw, region) VALUES
    ('empty',                 '',                        'US'),
    ('spaces',                '   ',                     'US'),
    ('word',                  'garbage',                 'US'),
    ('sentence',              'call me maybe',           'US'),
    ('just +',                '+',                       'US'),
    ('invalid country code',  '+999 123456',             'US'),
    ('too short',             '12',                      'US'),
    ('no area code',          '555-0132',                'US'),
    ('too long',              '650 253 0000 0000 0000',  'US'),
    ('control character',     E'650\x01253 0000',        'US'),
    ('1 MB of digits',        repeat('1', 1000000),      'US'),
    ('unknown region',        '650 253 0000',            'XX'),
    ('empty region',          '650 253 0000',            ''),
    ('three-letter region',   '650 253 0000',            'USA'),
    ('numeric region 001',    '+800 1234 5678',          '001'),
    ('region ZZ',             '+1 650 253 0000',         'ZZ'),
    ('1 MB region',           '650 253 0000',            repeat('U', 1000000));

SELECT n, label, i.is_possible, i.is_valid, i.e164, i.country_code, i.number_type, i.region
  FROM junk, phone_info(raw, region) i
 ORDER BY n;
SELECT count(*) AS rows, count(*) FILTER (WHERE NOT i.is_possible) AS not_possible,
       count(*) FILTER (WHERE NOT i.is_valid) AS not_valid
  FROM junk, phone_info(raw, region) i;

-- thousands of arbitrary strings: one row each, no error
SELECT count(*) AS rows,
       count(*) FILTER (WHERE i.is_valid AND NOT i.is_possible) AS valid_but_impossible
  FROM generate_series(1, 3000) g,
       phone_info(CASE g % 3 WHEN 0 THEN md5(g::text)
                             WHEN 1 THEN left(md5(g::text), g % 20)
                             ELSE repeat(chr(32 + g % 90), g % 40) END,
                  CASE WHEN g % 7 = 0 THEN 'XX' ELSE 'US' END) i;

------------------------------------------------------------------------------
-- phone_info agrees with normalize_phone
------------------------------------------------------------------------------
CREATE TEMP TABLE sample (raw text, region text);
INSERT INTO sample VALUES
    ('(650) 253-0000', 'US'), ('020 7946 0958', 'GB'), ('07911 123456', 'GB'),
    ('0151 23456789', 'DE'), ('06 12 34 56 78', 'FR'), ('98765 43210', 'IN'),
    ('(11) 91234-5678', 'BR'), ('03-1234-5678', 'JP'), ('0412 345 678', 'AU'),
    ('+44 7700 900123', 'US'), ('555-0132', 'US'), ('garbage', 'US'),
    ('650 253 0000 ext. 12', 'US'), ('650 253 0000', 'XX');
-- valid (and no extension) exactly when normalize_phone accepts, same E.164
SELECT s.raw, s.region, i.is_valid, i.e164, try_normalize_phone(s.raw, s.region) AS normalized
  FROM sample s, phone_info(s.raw, s.region) i
 WHERE i.is_valid IS DISTINCT FROM (try_normalize_phone(s.raw, s.region) IS NOT NULL)
    OR (i.is_valid AND i.e164 IS DISTINCT FROM try_normalize_phone(s.raw, s.region));

------------------------------------------------------------------------------
-- NULL (STRICT) and the catalog
------------------------------------------------------------------------------
SELECT phone_info(NULL) IS NULL AS one_arg_null,
       phone_info(NULL, 'US') IS NULL AS raw_null,
       phone_info('650 253 0000', NULL) IS NULL AS region_null;

SELECT p.oid::regprocedure AS function, p.provolatile, p.proisstrict, p.proparallel,
       p.prorettype::regtype AS returns
  FROM pg_proc p
 WHERE p.pronamespace = 'profile_merge'::regnamespace AND p.proname = 'phone_info'
 ORDER BY 1::text;

-- the two-argument form is IMMUTABLE, so it can serve in an index too
CREATE TEMP TABLE calls (id int, phone text);
CREATE INDEX calls_type ON calls (((profile_merge.phone_info(phone, 'US')).number_type));
INSERT INTO calls VALUES (1, '(650) 253-0000'), (2, '1-800-FLOWERS'), (3, 'garbage');
SELECT id, (profile_merge.phone_info(phone, 'US')).number_type FROM calls ORDER BY id;
DROP TABLE calls;
