#!/usr/bin/env bash
# A database damaged while `run` runs is noticed by the scheduled check ([database]
# check_every_s, issue 20 point 1): within a few intervals the daemon logs `db.damaged
# by=schedule`, writes the damage mark (`status` says DAMAGED) and exits 75 cleanly, so that
# systemd restarts it and the check at start refuses until the database is recovered.
# Without the scheduled check the daemon would keep running and this test fails at "exits".
set -euo pipefail
source "$(dirname "$0")/../integration/lib/testlib.sh"
/usr/bin/python3 "$(dirname "$0")/make_mails.py" "$T/mail" 40 20000
printf '[database]\npath = "hd.db"\ncheck_every_s = %s\n[ack]\nenabled = false\n' \
  "${HD_CHECK_EVERY_S:-1}" > "$T/hd.toml"
h() { hd -c "$T/hd.toml" "$@"; }
for f in "$T"/mail/*.eml; do h ingest < "$f" 2>>"$T/ingest.log"; done

"$HELPDESKD" -c "$T/hd.toml" run 2>"$T/run.log" &
pid=$!
# wait_for SECONDS CMD...: polls CMD every 0.2 s; false when it never held.
wait_for() {
  local n=$(($1 * 5)); shift
  while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.2; n=$((n - 1)); done
  return 1
}
wait_for 10 grep -q 'db.check by=schedule .*result=ok' "$T/run.log" ||
  { kill "$pid"; fail "no scheduled check passed: $(cat "$T/run.log")"; }
echo "ok: $(grep -m1 'db.check by=schedule' "$T/run.log")"

# 20 pages in the middle of the file, as in test_damaged_database.sh, while it runs.
pages=$(($(stat -c %s "$T/hd.db") / 4096))
[ "$pages" -gt 60 ] || { kill "$pid"; fail "the database is too small to damage ($pages pages)"; }
head -c $((20 * 4096)) /dev/zero | tr '\0' '\245' > "$T/junk"
dd if="$T/junk" of="$T/hd.db" bs=4096 seek=$((pages / 2)) count=20 conv=notrunc status=none

if ! wait_for 10 bash -c "! kill -0 $pid 2>/dev/null"; then
  kill "$pid"; wait "$pid" || true
  fail "the daemon did not stop within 10 s of the damage: $(tail -5 "$T/run.log")"
fi
set +e
wait "$pid"; rc=$?
set -e
expect_eq "$rc" 75 "run exits 75 once the scheduled check finds the damage"
grep -q 'error db.damaged by=schedule' "$T/run.log" || fail "no db.damaged: $(cat "$T/run.log")"
echo "ok: $(grep -m1 'db.damaged' "$T/run.log" | head -c 300)"
grep -q 'run.stopping reason="database damaged"' "$T/run.log" ||
  grep -q 'run.stopping reason=database' "$T/run.log" || fail "no run.stopping: $(cat "$T/run.log")"

set +e
h status >"$T/out" 2>&1; rc=$?
set -e
[ "$rc" -ne 0 ] || fail "status exits 0 for a damaged database"
grep -q DAMAGED "$T/out" || fail "status does not say so: $(cat "$T/out")"
echo "ok: status says so: $(grep -m1 DAMAGED "$T/out")"

# Restarted (as systemd would), the check at start refuses at once.
set +e
h run 2>"$T/again.log"; rc=$?
set -e
expect_eq "$rc" 75 "a restart refuses the damaged database"
