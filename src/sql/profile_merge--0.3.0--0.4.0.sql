-- profile_merge 0.3.0 -> 0.4.0: PostgreSQL 15 through 18, the rough edges a
-- new user meets in the first hour, and the normalizers without a pinned
-- search_path (DESIGN.md section 6 exempts C functions that run no SQL).
\echo Use "ALTER EXTENSION profile_merge UPDATE TO '0.4.0'" to load this file. \quit

-- Each part below names the issue it belongs to.
