#!/usr/bin/env bash
# The libpq layer of storage (storage/src/pg.hpp) against a private PostgreSQL 15 on 127.0.0.1:
# runs the doctest program test_pg_connection with HD_PG_URL pointing at it. Prints how long
# the server took to start (initdb included).
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"
: "${HD_BUILD_DIR:?set by ctest}"

started=$(date +%s%N)
pg_start "$T/pg"
echo "ok: PostgreSQL 15 started in $(( ($(date +%s%N) - started) / 1000000 )) ms on 127.0.0.1:$PG_PORT"
listeners=$(ss -Hltn "sport = :$PG_PORT" | awk '{print $4}' | sort -u | tr '\n' ' ')
expect_eq "$listeners" "127.0.0.1:$PG_PORT " "the server listens on loopback only"
"$HD_BUILD_DIR/tests/unit/test_pg_connection"
