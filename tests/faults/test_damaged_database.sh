#!/usr/bin/env bash
# A damaged database is noticed, not written into (issue 20, point 1). Pages of the database
# are overwritten with dd, as a bad disk or a careless copy would: `db check` says so (65),
# `ingest` exits 75 (the mail server keeps the mail) and does not change the file, `status`
# shows the damage, `db backup` leaves no bad copy; restored from the last good backup, the
# database takes mail again. A file that is not a database gives 78 with its path.
set -euo pipefail
source "$(dirname "$0")/../integration/lib/testlib.sh"
mails=40
fl_long() { [ -n "${HD_FAULTS_LONG:-}" ] && [ "${HD_FAULTS_LONG}" != 0 ]; }
fl_long && mails=2000
/usr/bin/python3 "$(dirname "$0")/make_mails.py" "$T/mail" "$mails" 20000
/usr/bin/python3 "$(dirname "$0")/make_mails.py" "$T/late" 1 3000
sed -i 's/fault-1@/late-1@/' "$T/late/000001.eml"
printf '[database]\npath = "hd.db"\n[ack]\nenabled = false\n' > "$T/hd.toml"
h() { hd -c "$T/hd.toml" "$@"; }
run() {  # run CMD...: sets RC, OUT (stdout) and ERR (stderr)
  set +e
  h "$@" >"$T/out" 2>"$T/err"; RC=$?
  set -e
  OUT=$(cat "$T/out"); ERR=$(cat "$T/err")
}
for f in "$T"/mail/*.eml; do h ingest < "$f" 2>>"$T/ingest.log"; done
grep -q 'db.check .*result=ok elapsed_ms=' "$T/ingest.log" || fail "ingest did not log its check"
echo "ok: ingest logs its check: $(grep -m1 'db.check' "$T/ingest.log")"
# A passing check is trusted while the file is as our own ingest left it: not every mail reads
# the whole database (quick_check is linear in its size).
expect_eq "$(grep -c 'db.check' "$T/ingest.log")" 1 \
  "one check for $mails mails into an untouched database"
run db check
expect_eq "$RC" 0 "db check passes on a sound database"
echo "ok: $OUT"
run db check --full
expect_eq "$RC" 0 "db check --full passes on a sound database"
run db backup "$T/good.db"
expect_eq "$RC" 0 "a backup of the sound database"

# 20 pages in the middle of the file (4096-byte pages), the WAL already checkpointed.
[ ! -s "$T/hd.db-wal" ] || fail "the WAL was not checkpointed"
pages=$(($(stat -c %s "$T/hd.db") / 4096))
[ "$pages" -gt 60 ] || fail "the database is too small to damage ($pages pages)"
head -c $((20 * 4096)) /dev/zero | tr '\0' '\245' > "$T/junk"
dd if="$T/junk" of="$T/hd.db" bs=4096 seek=$((pages / 2)) count=20 conv=notrunc status=none
sum=$(sha256sum < "$T/hd.db")
# The file changed behind our back, so ingest checks again (no db check ran first).
run ingest < "$T/late/000001.eml"
expect_eq "$RC" 75 "ingest right after the damage checks again and refuses (75)"
expect_eq "$(sha256sum < "$T/hd.db")" "$sum" "and did not write into the damaged file"
run db check
expect_eq "$RC" 65 "db check finds the damage"
echo "ok: $ERR" | head -c 300; echo
run db check --full
expect_eq "$RC" 65 "db check --full finds the damage"

run ingest < "$T/late/000001.eml"
expect_eq "$RC" 75 "ingest into a damaged database is a temporary failure"
grep -q 'db.damaged' "$T/err" || fail "no db.damaged log line: $ERR"
grep -q 'ingest.refused' "$T/err" || fail "no ingest.refused log line: $ERR"
expect_eq "$(sha256sum < "$T/hd.db")" "$sum" "ingest did not write into the damaged file"

run status
[ "$RC" -ne 0 ] || fail "status exits 0 for a damaged database"
case "$OUT" in *DAMAGED*) echo "ok: status says so";; *) fail "status does not say so: $OUT";; esac

run db backup "$T/copy.db"
[ "$RC" -ne 0 ] || fail "a backup of a damaged database succeeded"
[ ! -e "$T/copy.db" ] || fail "the bad copy was left at the target path"
echo "ok: no bad backup left behind"

# Recovery as docs/faults.md describes it: the last good backup in place of the damaged file.
mv "$T/hd.db" "$T/hd.db.damaged-copy"
rm -f "$T/hd.db-wal" "$T/hd.db-shm"
cp "$T/good.db" "$T/hd.db"
run db check --full
expect_eq "$RC" 0 "the recovered database passes"
[ ! -e "$T/hd.db.damaged" ] || fail "the damage mark is still there after a passing check"
run status
expect_eq "$RC" 0 "status is clean again"
run ingest < "$T/late/000001.eml"
expect_eq "$RC" 0 "the recovered database takes mail"
echo "ok: recovered $(sqlite3 "$T/hd.db" 'SELECT COUNT(*) FROM requests') of $((mails + 1)) requests"

# Not a database at all: a wrong path, said at once (78), not 75 forever.
printf 'this is a text file, not a database\n%.0s' $(seq 400) > "$T/notes.txt"
printf '[database]\npath = "notes.txt"\n[ack]\nenabled = false\n' > "$T/wrong.toml"
set +e
hd -c "$T/wrong.toml" ingest < "$T/late/000001.eml" 2>"$T/err"; rc=$?
set -e
expect_eq "$rc" 78 "a file that is not a database is a configuration error"
grep -q "notes.txt" "$T/err" || fail "the error does not name the path: $(cat "$T/err")"
echo "ok: $(grep -m1 notes.txt "$T/err")"
