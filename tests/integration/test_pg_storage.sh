#!/usr/bin/env bash
# Storage's unit tests on the PostgreSQL backend (issue 18): test_storage runs again with
# HD_TEST_PG_URL pointing at a private PostgreSQL 15 on 127.0.0.1, so every case that opens
# its store through storage_test::open_memory() gets an empty PostgreSQL database instead of
# an in-memory SQLite one. Cases about SQLite itself (its files, FTS5, pages, PRAGMAs,
# migrations from old SQLite schemas) are in the doctest suite "sqlite" and are left out.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"
: "${HD_BUILD_DIR:?set by ctest}"

pg_start "$T/pg"
echo "ok: PostgreSQL 15 on 127.0.0.1:$PG_PORT"
HD_TEST_PG_URL=$PG_URL "$HD_BUILD_DIR/tests/unit/test_storage" --test-suite-exclude=sqlite \
  --no-intro=true
# The run must have covered most of the suite, not a handful of cases.
cases=$("$HD_BUILD_DIR/tests/unit/test_storage" --test-suite-exclude=sqlite --count |
  sed -n 's/.*unskipped test cases passing the current filters: \([0-9]*\).*/\1/p')
total=$("$HD_BUILD_DIR/tests/unit/test_storage" --count |
  sed -n 's/.*unskipped test cases passing the current filters: \([0-9]*\).*/\1/p')
echo "ok: $cases of storage's $total test cases ran on PostgreSQL"
[ "${cases:-0}" -ge 40 ] || fail "too few storage cases on PostgreSQL: ${cases:-none}"
