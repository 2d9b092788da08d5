#!/usr/bin/env bash
# Message bodies kept as zstd frames (schema 18, issue 22) and `helpdeskd db compact`: a
# database written by schema 17 (bodies as TEXT) is migrated on open, its bodies packed and
# still shown and found word for word; `db compact` then gives the freed pages back to the
# disk (the file shrinks, nothing is lost: every table's rows and every message's text are
# the same); a compact while `run` holds the database lock is refused (75) and changes nothing.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

{
  config_database
  config_mailbox
  config_outgoing
} > "$T/hd.toml"
h() { hd -c "$T/hd.toml" "$@"; }
mail="$HD_SOURCE_DIR/etc/demo/mail"
for f in 01-nl-factuur 02-no-skriver 03-se-losenord 04-en-export 05-en-export-followup; do
  h ingest --mailbox support < "$mail/$f.eml"
done
packed() { sqlite3 "$T/hd.db" "SELECT COUNT(*) FROM messages WHERE typeof(body_text) = 'blob'"; }
[ "$(packed)" -gt 0 ] || fail "no body was stored as a zstd frame"
h requests show 1 --json > "$T/show-before.json"

# A database as schema 17 left it: bodies as TEXT (unpacked here with the zstd tool), many
# of them (copies of the five mails' messages), the version set back. The indexed words are
# the same either way.
latest=$(sqlite3 "$T/hd.db" 'PRAGMA user_version')  # this build's schema
/usr/bin/python3 - "$T/hd.db" <<'PY'
import sqlite3, subprocess, sys
c = sqlite3.connect(sys.argv[1])
c.execute("DROP TRIGGER messages_fts_update")
c.execute("DROP TRIGGER messages_fts_delete")
# Schema 23's column and indexes (ALTER TABLE compiles every trigger: the ones writing to the
# index, which need helpdeskd's tokenizer, are dropped above and made again below).
c.execute("DROP INDEX quarantine_raw")
c.execute("DROP INDEX raw_messages_sha256")
c.execute("ALTER TABLE raw_messages DROP COLUMN by_message_id")
c.execute("CREATE INDEX raw_messages_sha256 ON raw_messages(sha256)")
for col in ("body_text", "body_html"):
    for mid, v in c.execute(f"SELECT id, {col} FROM messages WHERE typeof({col}) = 'blob'").fetchall():
        text = subprocess.run(["zstd", "-dcq"], input=v, capture_output=True, check=True).stdout
        c.execute(f"UPDATE messages SET {col} = ? WHERE id = ?", (text.decode(), mid))
# Triggers as schema 17 had them (text in, text out).
c.executescript("""
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, subject, body_text)
    SELECT 'delete', old.id, old.subject, old.body_text
    WHERE NOT EXISTS (SELECT 1 FROM fts_queue WHERE message_id = old.id);
  DELETE FROM fts_queue WHERE message_id = old.id;
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF subject, body_text ON messages
  WHEN NOT EXISTS (SELECT 1 FROM fts_queue WHERE message_id = old.id) BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, subject, body_text)
    VALUES ('delete', old.id, old.subject, old.body_text);
  INSERT INTO messages_fts (rowid, subject, body_text) VALUES (new.id, new.subject, new.body_text);
END;
""")
# Bulk: 400 more requests of unpacked text (not indexed: the words to find are the five's).
c.execute("DROP TRIGGER messages_fts_insert")
c.execute("CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN SELECT 1; END")
body = "Hei, skrivaren skriv berre tomme sider sidan i går. " * 40
for i in range(400):
    r = c.execute("INSERT INTO requests (title, created_at, updated_at) VALUES ('bulk', 1, 1)").lastrowid
    c.execute("INSERT INTO messages (request_id, direction, subject, body_text, created_at) "
              "VALUES (?, 'in', 'bulk', ?, 1)", (r, body + str(i)))
c.execute("DROP TRIGGER messages_fts_insert")
c.execute("CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN "
          "INSERT INTO fts_queue (message_id) VALUES (new.id); END")
c.execute("DROP TABLE fts_windows")  # schema 19's: the index as one window
c.execute("DROP INDEX messages_raw")  # schema 20's
c.execute("CREATE INDEX messages_request ON messages(request_id)")  # dropped by schema 24
c.execute("PRAGMA user_version = 17")
c.commit()
PY
expect_eq "$(packed)" 0 "the database now keeps every body as text (schema 17)"
expect_eq "$(sqlite3 "$T/hd.db" 'PRAGMA user_version')" 17 "schema 17"

run h db migrate
expect_eq "$rc" 0 "db migrate"
has "schema version $latest" "migrated to this build's schema, $latest (18 packs the bodies)"
# (A body of a few dozen bytes stays text when its frame would not be smaller.)
expect_eq "$(sqlite3 "$T/hd.db" "SELECT COUNT(*) FROM messages WHERE typeof(body_text) = 'text' AND length(body_text) >= 200")" 0 \
  "every body of 200 bytes or more is packed by the migration"
h requests show 1 --json > "$T/show-after.json"
cmp -s "$T/show-before.json" "$T/show-after.json" || fail "show differs after the migration: $(diff "$T/show-before.json" "$T/show-after.json" | head -5)"
echo "ok: requests show 1 --json is the same byte for byte"
h requests search factuur > "$T/search"
grep -q '^ *1 ' "$T/search" || fail "search does not find request 1's word: $(cat "$T/search")"
echo "ok: the migrated index still finds request 1"

rows() { sqlite3 "$T/hd.db" "SELECT (SELECT COUNT(*) FROM requests) || ' ' || (SELECT COUNT(*) FROM messages) || ' ' || (SELECT COUNT(*) FROM raw_messages) || ' ' || (SELECT COUNT(*) FROM outbox)"; }
rows_before=$(rows)
size_before=$(stat -c %s "$T/hd.db")

# Refused while `run` holds the lock: the file is untouched.
exec 9>"$T/hd.db.lock"
flock 9
set +e
h db compact 9>&- > /dev/null 2> "$T/locked.err"; rc=$?
set -e
exec 9>&-
expect_eq "$rc" 75 "a compact while the database lock is held is refused: $(cat "$T/locked.err")"
grep -q 'stop the daemon' "$T/locked.err" || fail "no hint: $(cat "$T/locked.err")"
expect_eq "$(stat -c %s "$T/hd.db")" "$size_before" "the refused compact changed nothing"

run h db compact
expect_eq "$rc" 0 "db compact"
has "MB were free pages" "it reports the sizes"
size_after=$(stat -c %s "$T/hd.db")
echo "measured: $size_before bytes -> $size_after bytes"
[ "$size_after" -lt "$size_before" ] || fail "the file did not shrink ($size_before -> $size_after)"
expect_eq "$(rows)" "$rows_before" "every row is still there"
h requests show 1 --json > "$T/show-compact.json"
cmp -s "$T/show-before.json" "$T/show-compact.json" || fail "show differs after compact"
h requests search factuur | grep -q '^ *1 ' || fail "search after compact"
run h db check --full
expect_eq "$rc" 0 "db check --full after compact"
echo "ok: compacted, nothing lost"
