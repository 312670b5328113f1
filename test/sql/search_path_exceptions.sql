\set ECHO none
-- The functions DESIGN.md section 6 exempts from a pinned search_path: C
-- functions that run no SQL, look nothing up by name and are not SECURITY
-- DEFINER (the normalizers and phone_info; their code is
-- src/pg/entry/normalize_functions.cpp, and the clause would cost more than
-- their work). The catalog cannot tell whether a C function runs SQL, so
-- the list is kept by hand; sql/security_search_path checks that each is a
-- C function, not SECURITY DEFINER and without settings, and that every
-- other function of the extension pins its search_path. Included by
-- sql/security_search_path and sql/error_boundary with
-- \ir test/sql/search_path_exceptions.sql; quiet (ECHO is off until the
-- last line).
CREATE TEMP TABLE search_path_exceptions (function regprocedure PRIMARY KEY);
INSERT INTO search_path_exceptions VALUES
    ('profile_merge.normalize_email(text)'),
    ('profile_merge.try_normalize_email(text)'),
    ('profile_merge.normalize_phone(text)'),
    ('profile_merge.normalize_phone(text, text)'),
    ('profile_merge.try_normalize_phone(text)'),
    ('profile_merge.try_normalize_phone(text, text)'),
    ('profile_merge.phone_info(text)'),
    ('profile_merge.phone_info(text, text)');
\set ECHO all
