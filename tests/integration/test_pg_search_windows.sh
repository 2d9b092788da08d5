#!/usr/bin/env bash
# PostgreSQL's search index split by age (schema 22; docs/storage.md, "Search on
# PostgreSQL"): each window is a partial GIN index over [database] search_window_messages
# message ids. A running daemon makes the next window before the ids reach it, on its own
# connection and without holding inserts (CREATE INDEX CONCURRENTLY); mail stored into the
# new windows is found by search.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

imap_server_start
pg_start "$T/pg" >/dev/null
{
  config_table '[database]' "url = \"$PG_URL\"" 'lease_s = 3' 'search_window_messages = 10'
  config_imap_mailbox support 'poll_interval_s = 600'
} > "$T/hd.toml"
sql() { PG_DB=helpdesk pg_psql -q -A -t -F '|' -c "$1"; }
# The windows built (building_since cleared) whose index PostgreSQL may use.
windows() {
  sql "SELECT string_agg(w.lo || '-' || w.hi, ' ' ORDER BY w.lo) FROM search_windows w
         JOIN pg_class i ON i.relname = w.name JOIN pg_index x ON x.indexrelid = i.oid
        WHERE w.building_since IS NULL AND x.indisvalid"
}
hd -c "$T/hd.toml" db migrate > /dev/null
expect_eq "$(windows)" "0-250000 250000-500000" "the migration's windows (of 250,000 ids)"

# The next message ids come within a window (10) of the last window's end.
sql "SELECT setval(pg_get_serial_sequence('messages', 'id'), 499995)" > /dev/null
mail=$HD_SOURCE_DIR/etc/demo/mail
# send N: a mail about an export of its own (its own Message-ID), piped in.
send() {
  sed -e "s/^Message-ID: <[^>]*>/Message-ID: <window-$1@customer.example>/" \
    -e "s/^Subject: .*/Subject: Export $1 fails/" "$mail/04-en-export.eml" |
    hd -c "$T/hd.toml" ingest --mailbox support > /dev/null 2>> "$T/ingest.log"
}
send 1

"$HELPDESKD" -c "$T/hd.toml" run > /dev/null 2> "$T/run.log" &
pid=$!
trap 'rc=$?; kill -KILL $pid 2>/dev/null || true; set +e; (exit $rc); hd_test_exit' EXIT
wait_windows() {  # wait_windows WANT: up to 20 s (a round every lease_s / 3 = 1 s)
  for _ in $(seq 1 400); do [ "$(windows)" = "$1" ] && return 0; sleep 0.05; done
  return 1
}
wait_windows "0-250000 250000-500000 500000-500010" ||
  fail "the daemon did not make the next window: $(windows); $(cat "$T/run.log")"
echo "ok: the daemon made the next window before the ids reached it"
grep -q 'search_windows.made' "$T/run.log" || fail "no search_windows.made in the log"

# Mail while the daemon runs: ids past 500,000 go into the new window, and the one after is
# made in turn.
for n in 2 3 4 5 6 7 8 9 10 11 12; do send "$n"; done
expect_eq "$(sql 'SELECT MAX(id) FROM messages')" 500007 "twelve messages from 499,996"
wait_windows "0-250000 250000-500000 500000-500010 500010-500020" ||
  fail "the window after was not made: $(windows)"
echo "ok: and the window after it"
# Found by search, newest first among the windows: all twelve requests.
found=$(hd -c "$T/hd.toml" requests search export --limit 50 | grep -c 'Export [0-9]* fails' || true)
expect_eq "$found" 12 "search finds the mail in every window"
kill -TERM $pid
rc=0
wait $pid || rc=$?
expect_eq "$rc" 0 "the daemon's exit status after SIGTERM ($(tail -3 "$T/run.log"))"
echo "ok: search windows on PostgreSQL"
