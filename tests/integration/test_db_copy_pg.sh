#!/usr/bin/env bash
# `helpdeskd db copy --to postgresql://...` (issue 18 point 3) into the project's private
# PostgreSQL 15 on 127.0.0.1: mail with an attachment, a follow-up, queued acknowledgements, a
# request merged into a LATER one (a forward reference), agents' work and events come over
# with their ids; every table's count is equal, the raw mail and attachment bytes are the same
# bytes; sequences continue after the copied ids; a second copy into the filled database is
# refused (65) and changes nothing; a copy while `run` holds the database lock is refused (75).
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"
# Messages of an SQLite database whose subject or body has WORD (any case): bodies of schema 18
# are zstd frames, read with the zstd tool.
sqlite_count_word() {
  /usr/bin/python3 - "$1" "$2" <<'EOF'
import sqlite3, subprocess, sys
c = sqlite3.connect(sys.argv[1])
n = 0
for subject, kind, v in c.execute(
        "SELECT subject, typeof(body_text), CAST(body_text AS BLOB) FROM messages"):
    if kind == "blob":
        v = subprocess.run(["zstd", "-dcq"], input=v, capture_output=True, check=True).stdout
    n += sys.argv[2] in (subject + " " + v.decode()).lower()
print(n)
EOF
}

{
  config_database
  config_mailbox
  config_outgoing
  config_users anna ole
  config_category general 'members = ["anna", "ole"]'
} > "$T/hd.toml"
h() { hd -c "$T/hd.toml" "$@"; }
mail="$HD_SOURCE_DIR/etc/demo/mail"
for f in 01-nl-factuur 02-no-skriver 03-se-losenord 04-en-export 05-en-export-followup; do
  h ingest --mailbox support < "$mail/$f.eml"
done
export HELPDESKD_AGENT=anna
h requests accept 1 >/dev/null
h requests merge 2 --into 3 >/dev/null  # 2 points at a later request
h requests close 4 >/dev/null
expect_eq "$(sqlite3 "$T/hd.db" 'SELECT merged_into FROM requests WHERE id = 2')" 3 "merged forward"
[ "$(sqlite3 "$T/hd.db" 'SELECT COUNT(*) FROM outbox')" -gt 0 ] || fail "no acknowledgement queued"
[ "$(sqlite3 "$T/hd.db" 'SELECT COUNT(*) FROM attachments')" -gt 0 ] || fail "no attachment stored"

pg_start "$T/pg"
export PG_DB=helpdesk  # pg_psql into the database PG_URL names
started=$(date +%s%N)
h db copy --to "$PG_URL" > "$T/copy.out"
echo "ok: copied in $(( ($(date +%s%N) - started) / 1000000 )) ms"
tail -1 "$T/copy.out"
grep -q '^raw_messages: 5 rows, digest [0-9a-f]\{16\} on both sides$' "$T/copy.out" \
  || fail "no verified line for raw_messages: $(cat "$T/copy.out")"

psql_value() { pg_psql -qtAc "$1" | tr -d '[:space:]'; }
# The planner has statistics at once (ANALYZE after the copy): reltuples is -1 for a table
# never analyzed.
expect_eq "$(psql_value "SELECT reltuples::bigint FROM pg_class WHERE relname = 'messages'")" \
  "$(sqlite3 "$T/hd.db" "SELECT COUNT(*) FROM messages")" "the copied tables are analyzed"
for t in requests messages raw_messages attachments message_attachments outbox events persons \
         person_addresses users categories outbox_counts; do
  expect_eq "$(psql_value "SELECT COUNT(*) FROM $t")" "$(sqlite3 "$T/hd.db" "SELECT COUNT(*) FROM $t")" \
    "$t: the same rows on PostgreSQL"
done
expect_eq "$(psql_value "SELECT string_agg(id || ':' || encode(bytes, 'hex'), ',' ORDER BY id) FROM raw_messages")" \
  "$(sqlite3 "$T/hd.db" "SELECT group_concat(id || ':' || lower(hex(bytes)), ',') FROM (SELECT id, bytes FROM raw_messages ORDER BY id)")" \
  "raw mail: the same bytes under the same ids"
expect_eq "$(psql_value "SELECT string_agg(encode(data, 'hex'), ',' ORDER BY sha256) FROM attachments")" \
  "$(sqlite3 "$T/hd.db" "SELECT group_concat(lower(hex(data)), ',') FROM (SELECT data FROM attachments ORDER BY sha256)")" \
  "attachments: the same bytes"
expect_eq "$(psql_value "SELECT merged_into FROM requests WHERE id = 2")" 3 "the forward reference"
expect_eq "$(psql_value "SELECT version FROM requests WHERE id = 1")" \
  "$(sqlite3 "$T/hd.db" 'SELECT version FROM requests WHERE id = 1')" "versions as they were (no trigger ran)"
expect_eq "$(psql_value "SELECT COUNT(*) FROM messages WHERE search @@ to_tsquery('hd_fold', 'factuur')")" \
  "$(sqlite_count_word "$T/hd.db" factuur)" \
  "the search column is filled"
# New rows continue after the copied ids.
max=$(sqlite3 "$T/hd.db" 'SELECT MAX(id) FROM requests')
expect_eq "$(psql_value "INSERT INTO requests (title, created_at, updated_at) VALUES ('new', 1, 1) RETURNING id")" \
  "$((max + 1))" "the id sequence continues after the copy"
pg_psql -qc "DELETE FROM requests WHERE title = 'new'"

# Into a database that is not empty: refused, and nothing changes.
before=$(psql_value "SELECT COUNT(*) FROM messages")
set +e
h db copy --to "$PG_URL" > "$T/again.out" 2> "$T/again.err"; rc=$?
set -e
expect_eq "$rc" 65 "a second copy is refused: $(cat "$T/again.err")"
grep -q 'not empty' "$T/again.err" || fail "the refusal does not say why: $(cat "$T/again.err")"
expect_eq "$(psql_value "SELECT COUNT(*) FROM messages")" "$before" "the filled database is unchanged"

# While a daemon holds the database: refused.
exec 9>"$T/hd.db.lock"
flock 9  # as `helpdeskd run` holds it
set +e
h db copy --to "$PG_URL" 9>&- > /dev/null 2> "$T/locked.err"; rc=$?
set -e
exec 9>&-
expect_eq "$rc" 75 "a copy while the database lock is held is refused: $(cat "$T/locked.err")"
grep -q 'stop the daemon' "$T/locked.err" || fail "no hint: $(cat "$T/locked.err")"
echo "ok: db copy"
