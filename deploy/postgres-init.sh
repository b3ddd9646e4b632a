#!/usr/bin/env bash
# docker compose: the postgres image runs this once, on an empty data directory, as the superuser.
set -euo pipefail
: "${PRM_DB_OWNER_PASSWORD:?set in .env (make env)}" "${PRM_DB_APP_PASSWORD:?set in .env (make env)}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v owner_password="$PRM_DB_OWNER_PASSWORD" -v app_password="$PRM_DB_APP_PASSWORD" \
    -f /docker-entrypoint-initdb.d/prm-init.sql.in
