#!/usr/bin/env bash
# Start a local PostgreSQL server for pfnopt's storage tests and print the URL to use.
#
#   eval "$(bash .ci/postgres.sh)"      # exports PFNOPT_TEST_POSTGRES_URL
#
# Idempotent: installs Debian's `postgresql` package if it is missing, creates (or reuses) a
# cluster listening on 127.0.0.1 only, starts it, creates the role and the database
# `pfnopt_test`, waits until it accepts connections. Only the export line goes to stdout;
# everything else goes to stderr. Run as root (or as a user allowed to run pg_ctlcluster).
# Knobs: PFNOPT_PG_USER (pfnopt), PFNOPT_PG_PASSWORD (pfnopt-test), PFNOPT_PG_DB (pfnopt_test),
# PFNOPT_PG_PORT (the cluster's port, 5432 for a new one).
set -euo pipefail

PG_USER="${PFNOPT_PG_USER:-pfnopt}"
PG_PASSWORD="${PFNOPT_PG_PASSWORD:-pfnopt-test}"
PG_DB="${PFNOPT_PG_DB:-pfnopt_test}"
log() { echo "[postgres.sh] $*" >&2; }

as_postgres() {
    if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi
}

# 1. the package --------------------------------------------------------------------------------
if ! command -v pg_ctlcluster >/dev/null 2>&1 || ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
    log "installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi
VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"

# 2. the cluster: reuse the first one of that version, else create `main` ------------------------
CLUSTER="$(pg_lsclusters -h 2>/dev/null | awk -v v="$VERSION" '$1 == v {print $2; exit}')"
if [ -z "$CLUSTER" ]; then
    CLUSTER=main
    log "creating cluster $VERSION/$CLUSTER"
    pg_createcluster ${PFNOPT_PG_PORT:+--port "$PFNOPT_PG_PORT"} "$VERSION" "$CLUSTER" >&2
fi
CONF_DIR="/etc/postgresql/$VERSION/$CLUSTER"
PORT="$(pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $3}')"

# listen on the loopback interface only; enough connections for 8 workers plus the test pool
CONF_SNIPPET="$CONF_DIR/conf.d/pfnopt.conf"
if [ ! -f "$CONF_SNIPPET" ]; then
    mkdir -p "$CONF_DIR/conf.d"
    cat > "$CONF_SNIPPET" <<CONF
listen_addresses = '127.0.0.1'
max_connections = 200
CONF
    chown postgres:postgres "$CONF_SNIPPET"
    grep -q "^include_dir = 'conf.d'" "$CONF_DIR/postgresql.conf" || \
        echo "include_dir = 'conf.d'" >> "$CONF_DIR/postgresql.conf"
    if pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $4}' | grep -q online; then
        log "restarting $VERSION/$CLUSTER to apply listen_addresses"
        pg_ctlcluster "$VERSION" "$CLUSTER" restart >&2
    fi
fi

# 3. start it and wait ---------------------------------------------------------------------------
if ! pg_lsclusters -h | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c {print $4}' | grep -q online; then
    log "starting cluster $VERSION/$CLUSTER on 127.0.0.1:$PORT"
    pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi
for _ in $(seq 1 60); do
    if pg_isready -q -h 127.0.0.1 -p "$PORT"; then break; fi
    sleep 0.5
done
pg_isready -h 127.0.0.1 -p "$PORT" >&2 || { log "the server on 127.0.0.1:$PORT does not accept connections"; exit 1; }

# 4. role and database (CREATEDB so the tests can make a throwaway database per session) ---------
psql_admin() { as_postgres psql -p "$PORT" -v ON_ERROR_STOP=1 -qAt "$@"; }
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'")" = 1 ]; then
    psql_admin -c "ALTER ROLE \"$PG_USER\" WITH LOGIN CREATEDB PASSWORD '$PG_PASSWORD'" >&2
else
    log "creating role $PG_USER"
    psql_admin -c "CREATE ROLE \"$PG_USER\" WITH LOGIN CREATEDB PASSWORD '$PG_PASSWORD'" >&2
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]; then
    log "creating database $PG_DB"
    psql_admin -c "CREATE DATABASE \"$PG_DB\" OWNER \"$PG_USER\"" >&2
fi
PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -p "$PORT" -U "$PG_USER" -d "$PG_DB" -qAt -c "SELECT 1" >/dev/null \
    || { log "cannot log in as $PG_USER to $PG_DB on 127.0.0.1:$PORT"; exit 1; }
log "ready: database $PG_DB on 127.0.0.1:$PORT"

echo "export PFNOPT_TEST_POSTGRES_URL=postgresql+psycopg://$PG_USER:$PG_PASSWORD@127.0.0.1:$PORT/$PG_DB"
