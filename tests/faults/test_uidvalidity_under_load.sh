#!/usr/bin/env bash
# UIDVALIDITY changes under load: `helpdeskd run` (service, IDLE, acknowledging over SMTP)
# works through a full INBOX while new mail keeps arriving by LMTP; meanwhile the INBOX is
# "recreated": all its mail is moved out, the folder gets a new UIDVALIDITY (doveadm mailbox
# update), and the mail is moved back (new UIDs). The daemon notices the change, re-scans, and
# ingest's idempotence keeps every mail to one request: no duplicate request, no customer
# acknowledged twice, nothing lost. Short form: 1,000 mails in the folder + 300 arriving, one
# change; HD_FAULTS_LONG=1: 8,000 + 2,000, three changes.
set -euo pipefail
source "$(dirname "$0")/../integration/lib/testlib.sh"
source "$(dirname "$0")/faultlib.sh"

if fl_long; then n=8000 m=2000 changes=3; else n=1000 m=300 changes=1; fi
dovecot_start "$T/dovecot"
smtp_start "$T/smtp"
fl_config 'poll_interval_s = 600'
adm() { doveadm -c "$DOVECOT_DIR/dovecot.conf" "$@"; }
uidvalidity() { adm mailbox status -u support uidvalidity INBOX | sed 's/.*uidvalidity=//'; }
fl_fill "$n"
/usr/bin/python3 "$FL_DIR/fill_maildir.py" "$T/arriving" "$m" $((n + 1)) lmtp
mapfile -t arriving < <(find "$T/arriving/new" -type f | sort)

log="$T/run.log"
fl_run "$log"
# New mail arrives by LMTP, ten at a time, until all m are delivered.
( for ((k = 0; k < m; k += 10)); do
    dovecot_lmtp support "${arriving[@]:k:10}" || exit 1
    sleep 0.05
  done ) > "$T/lmtp.log" 2>&1 &
lmtp_pid=$!
FL_EXTRA_PIDS=$lmtp_pid

for c in $(seq 1 "$changes"); do
  fl_wait_stored $((c * n / (changes + 1))) 120 || fail "change $c: only $(fl_stored) stored"
  old=$(uidvalidity)
  # Under load doveadm has been seen to create the folder and still report "Mailbox already
  # exists" (the mailbox list index racing the IMAP session's view of it): the folder being
  # there is what counts; any other error fails the test.
  adm mailbox create -u support "Old$c" 2>"$T/create.err" ||
    grep -q "already exists" "$T/create.err" || { cat "$T/create.err" >&2; fail "mailbox create"; }
  adm move -u support "Old$c" mailbox INBOX ALL
  adm mailbox update -u support --uid-validity $((old + 1000)) INBOX
  adm move -u support INBOX mailbox "Old$c" ALL
  adm mailbox delete -u support "Old$c"
  echo "change $c: with $(fl_stored) stored, UIDVALIDITY $old -> $(uidvalidity);" \
    "INBOX renumbered from UID $(adm fetch -u support uid mailbox INBOX ALL | awk '/^uid:/ {print $2; exit}')"
done
set +e
wait "$lmtp_pid"; lrc=$?
set -e
FL_EXTRA_PIDS=
[ "$lrc" -eq 0 ] || { cat "$T/lmtp.log" >&2; fail "LMTP delivery failed"; }
in_folder=$(adm mailbox status -u support messages INBOX | sed 's/.*messages=//')
expect_eq "$in_folder" $((n + m)) "every mail is in the INBOX"
fl_wait_stored $((n + m)) 120 || fail "only $(fl_stored) of $((n + m)) stored"
for _ in $(seq 1 600); do
  [ "$(fl_db "SELECT COUNT(*) FROM outbox WHERE status = 'queued'")" -eq 0 ] && break
  sleep 0.1
done
sleep 1   # a late duplicate would show up now
fl_kill_run TERM
expect_eq "$RUN_RC" 0 "SIGTERM exits 0"
seen=$(grep -c imap.uidvalidity_changed "$log" || true)
[ "$seen" -ge 1 ] || fail "the UIDVALIDITY change was not noticed"
echo "ok: the change was noticed ($seen imap.uidvalidity_changed); $(grep -c 'result=duplicate' "$log" || true) mails recognised as already stored on the re-scan"
fl_check_once $((n + m))
expect_eq "$(fl_db "SELECT COUNT(*) FROM outbox WHERE kind = 'ack'")" $((n + m)) \
  "one acknowledgement queued per request"
fl_check_acks
