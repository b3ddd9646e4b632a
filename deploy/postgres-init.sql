-- The application's role: owns its database, is NOT superuser and cannot bypass row-level security.
CREATE ROLE prm_app LOGIN PASSWORD 'prm_app' NOSUPERUSER NOBYPASSRLS CREATEDB;
CREATE DATABASE prm OWNER prm_app;
