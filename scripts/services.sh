#!/bin/sh
# Starts the local servers the integration tests use, if they are not running (idempotent),
# and fails loudly when one cannot be started.
set -u
fail=0

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! redis_up; then
  echo "services: starting Redis on 127.0.0.1:6379"
  if command -v redis-server >/dev/null 2>&1; then
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do redis_up && break; sleep 1; done
  fi
  redis_up || { echo "services: ERROR Redis is not running on 127.0.0.1:6379 and could not be started" >&2; fail=1; }
fi

if ! pg_up; then
  echo "services: starting PostgreSQL on 127.0.0.1:5432"
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do pg_up && break; sleep 1; done
  fi
  pg_up || { echo "services: ERROR PostgreSQL is not running on 127.0.0.1:5432 and could not be started" >&2; fail=1; }
fi
if pg_up && ! psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1; then
  psql -h 127.0.0.1 -U postgres -c 'create database test' >/dev/null 2>&1 || true
  psql -h 127.0.0.1 -U postgres -d test -c 'select 1' >/dev/null 2>&1 \
    || { echo "services: ERROR database 'test' is not reachable as user postgres on 127.0.0.1:5432" >&2; fail=1; }
fi

for tool in tar openssl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "services: ERROR '$tool' is required by the interop tests" >&2; fail=1; }
done
exit $fail
