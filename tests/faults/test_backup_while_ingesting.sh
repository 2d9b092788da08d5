#!/usr/bin/env bash
# `helpdeskd db backup` while mail keeps arriving: every copy passes SQLite's integrity check
# and is consistent (every request has its first message, every inbound message its raw
# bytes); afterwards every mail is stored exactly once.
set -euo pipefail
source "$(dirname "$0")/../integration/lib/testlib.sh"
n=${HD_FAULTS_LONG:+3000}
n=${n:-300}
/usr/bin/python3 "$(dirname "$0")/make_mails.py" "$T/mail" "$n"
printf '[database]\npath = "hd.db"\n[ack]\nenabled = false\n' > "$T/hd.toml"
hd -c "$T/hd.toml" db migrate >/dev/null
( for f in "$T"/mail/*.eml; do hd -c "$T/hd.toml" ingest < "$f" 2>/dev/null; done; touch "$T/done" ) &
loader=$!
copies=0
while [ ! -e "$T/done" ] || [ $copies -lt 3 ]; do
  copies=$((copies + 1))
  hd -c "$T/hd.toml" db backup "$T/copy$copies.db" >/dev/null
  expect_eq "$(sqlite3 "$T/copy$copies.db" 'PRAGMA integrity_check')" ok "copy $copies passes integrity_check"
  expect_eq "$(sqlite3 "$T/copy$copies.db" "SELECT COUNT(*) FROM requests r WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.request_id = r.id)")" 0 \
    "copy $copies: no request without its message"
  expect_eq "$(sqlite3 "$T/copy$copies.db" "SELECT COUNT(*) FROM messages m WHERE m.direction = 'in' AND m.raw_id IS NULL")" 0 \
    "copy $copies: no inbound message without its raw mail"
  sleep 0.2
done
wait "$loader"
expect_eq "$(sqlite3 "$T/hd.db" 'SELECT COUNT(*) FROM requests')" "$n" "every mail stored once"
set +e
hd -c "$T/hd.toml" db backup "$T/copy1.db" 2>/dev/null; rc=$?
set -e
expect_eq "$rc" 73 "backup never overwrites a file"
