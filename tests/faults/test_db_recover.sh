#!/usr/bin/env bash
# `helpdeskd db recover SRC DEST` (issue 20 point 1): the readable rows of a database damaged
# with dd (as in test_damaged_database.sh) come back into a new file with the current schema:
# most requests and messages, `db check --full` on the copy passes, search works on it, SRC is
# not changed, an existing DEST is refused. A sound database comes back whole (exit 0).
set -euo pipefail
source "$(dirname "$0")/../integration/lib/testlib.sh"
mails=120
/usr/bin/python3 "$(dirname "$0")/make_mails.py" "$T/mail" "$mails" 20000
printf '[database]\npath = "hd.db"\n[ack]\nenabled = false\n' > "$T/hd.toml"
printf '[database]\npath = "new.db"\n[ack]\nenabled = false\n' > "$T/new.toml"
printf '[database]\npath = "whole.db"\n[ack]\nenabled = false\n' > "$T/whole.toml"
h() { hd -c "$T/hd.toml" "$@"; }
for f in "$T"/mail/*.eml; do h ingest < "$f" 2>>"$T/ingest.log"; done
count() { sqlite3 "$1" "SELECT COUNT(*) FROM $2"; }
want_requests=$(count "$T/hd.db" requests)
want_messages=$(count "$T/hd.db" messages)

# A sound database comes back whole.
set +e
hd db recover "$T/hd.db" "$T/whole.db" >"$T/out" 2>"$T/err"; rc=$?
set -e
expect_eq "$rc" 0 "recover of a sound database: everything read"
expect_eq "$(count "$T/whole.db" requests)" "$want_requests" "every request copied"
expect_eq "$(count "$T/whole.db" messages)" "$want_messages" "every message copied"
hd -c "$T/whole.toml" db check --full >/dev/null || fail "the whole copy fails its check"
set +e
hd db recover "$T/hd.db" "$T/whole.db" >"$T/out" 2>"$T/err"; rc=$?
set -e
expect_eq "$rc" 73 "an existing DEST is refused"

# Junk over pages of mail: the middle leaf page of each of messages and raw_messages and of
# the full-text index. Not the middle of the file: the schema's pages can lie
# there (its triggers fill several), and a damaged schema leaves nothing to read.
head -c 4096 /dev/zero | tr '\0' '\245' > "$T/junk"
for table in messages raw_messages messages_fts_data; do
  page=$(sqlite3 "$T/hd.db" "SELECT pageno FROM dbstat WHERE name = '$table' AND pagetype = 'leaf'
                             ORDER BY pageno LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM dbstat
                             WHERE name = '$table' AND pagetype = 'leaf')")
  dd if="$T/junk" of="$T/hd.db" bs=4096 seek=$((page - 1)) count=1 conv=notrunc status=none
done
sum=$(sha256sum < "$T/hd.db")
set +e
h db check >/dev/null 2>&1; rc=$?
set -e
expect_eq "$rc" 65 "the source is damaged"

set +e
hd db recover "$T/hd.db" "$T/new.db" >"$T/out" 2>"$T/err"; rc=$?
set -e
cat "$T/out" "$T/err"
expect_eq "$rc" 65 "recover says rows were lost (65)"
grep -q 'rowids unreadable' "$T/out" || fail "no summary of the loss"
expect_eq "$(sha256sum < "$T/hd.db")" "$sum" "the source was not changed"
got_requests=$(count "$T/new.db" requests)
got_messages=$(count "$T/new.db" messages)
echo "ok: recovered $got_requests of $want_requests requests, $got_messages of $want_messages messages"
[ $((got_requests * 4)) -ge $((want_requests * 3)) ] || fail "fewer than 3/4 of the requests came back"
[ $((got_messages * 4)) -ge $((want_messages * 3)) ] || fail "fewer than 3/4 of the messages came back"
set +e
hd -c "$T/new.toml" db check --full >"$T/out" 2>&1; rc=$?
set -e
expect_eq "$rc" 0 "db check --full passes on the recovered file: $(cat "$T/out")"
# The full-text index (its tokenizer is helpdeskd's own) was rebuilt from the copied messages.
hits=$(hd -c "$T/new.toml" requests search Problem | grep -c ' open ' || true)
[ "$hits" -gt 0 ] || fail "the full-text index was not rebuilt (search finds nothing)"
echo "ok: search on the recovered file finds $hits requests"
