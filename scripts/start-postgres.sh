#!/usr/bin/env bash
# The PostgreSQL server the scale-out tests use: Debian's package, a cluster on 127.0.0.1:5432,
# role `newsdesk` (password `newsdesk`, may create databases) and database `newsdesk_test`.
# Idempotent: installs only if missing, starts only if down. Tests create one database per module.
set -euo pipefail

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "The scale-out tests need PostgreSQL: sudo apt-get install -y postgresql" >&2
    exit 1
  fi
fi

as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi
}

version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  as_postgres "pg_createcluster $version main" >/dev/null
fi
if ! pg_lsclusters -h | grep -q "^$version main .* online"; then
  pg_ctlcluster "$version" main start
fi
for _ in $(seq 1 30); do
  as_postgres "psql -qAtc 'SELECT 1'" >/dev/null 2>&1 && break
  sleep 1
done
as_postgres "psql -qAtc \"SELECT 1 FROM pg_roles WHERE rolname='newsdesk'\"" | grep -q 1 \
  || as_postgres "psql -qc \"CREATE ROLE newsdesk LOGIN PASSWORD 'newsdesk' CREATEDB\""
as_postgres "psql -qAtc \"SELECT 1 FROM pg_database WHERE datname='newsdesk_test'\"" | grep -q 1 \
  || as_postgres "createdb -O newsdesk newsdesk_test"
echo "PostgreSQL $version ready: postgresql://newsdesk:newsdesk@127.0.0.1:5432/newsdesk_test"
