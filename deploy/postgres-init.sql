-- The database and its two roles (README, "Production"). Run as a superuser with psql, e.g.
--   psql -v owner_password="$PRM_DB_OWNER_PASSWORD" -v app_password="$PRM_DB_APP_PASSWORD" -f deploy/postgres-init.sql
-- (docker compose runs it through deploy/postgres-init.sh with the passwords from .env).
--
-- prm_owner owns the database and every table and runs the migrations (DATABASE_OWNER_URL).
-- prm_app is what the web server and workers use (DATABASE_URL): DML on the app's tables and
-- CREATE in the staging schema only, so it cannot ALTER a table (row-level security), drop the
-- audit triggers or TRUNCATE. Neither role is superuser or BYPASSRLS.
\set ON_ERROR_STOP on
CREATE ROLE prm_owner LOGIN PASSWORD :'owner_password' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE ROLE prm_app LOGIN PASSWORD :'app_password' NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
CREATE DATABASE prm OWNER prm_owner;
\connect prm
-- Nobody but the owner creates objects in public; the runtime role gets its own staging schema.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA staging AUTHORIZATION prm_owner;
GRANT USAGE, CREATE ON SCHEMA staging TO prm_app;
GRANT USAGE ON SCHEMA public TO prm_app;
-- Tables and sequences the owner creates later (every migration) are usable by the runtime role.
-- `manage.py migrate` grants the same again after each run and takes UPDATE/DELETE on the audit table away.
ALTER DEFAULT PRIVILEGES FOR ROLE prm_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO prm_app;
ALTER DEFAULT PRIVILEGES FOR ROLE prm_owner IN SCHEMA public
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO prm_app;
