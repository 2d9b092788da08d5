#!/usr/bin/env bash
# IMAP client against a scripted server (tests/integration/lib/imap_script.py), `helpdeskd run`
# as a service: the server drops the connection inside the literal of a new mail. The service
# logs imap.failed with retry_in_s=5 (or 6: up to 25 % jitter), reconnects by itself after
# that backoff (the next scripted connection), fetches the mail again and stores it once; the checkpoint moves to it;
# SIGTERM exits 0. Before the drop, the checkpoint is that of an earlier `run --once`.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"
source "$(dirname "$0")/lib/imapc.sh"

imapc_mail m1
imapc_mail m2
{
  imapc_seed_script
  echo connection  # 2: dropped mid-literal
  imapc_login
  imapc_select 2
  imapc_list 2:m2
  imapc_fetch_start 2 m2
  echo "send_file m2.eml 40"
  echo "close"
  echo connection  # 3: after the backoff, the whole mail
  imapc_login
  imapc_select 2
  imapc_list 2:m2
  imapc_fetch 2 m2
  echo "hang 600"  # the service waits poll_interval_s (no IDLE offered) until SIGTERM
} > "$T/script"
imapc_start "$T/script"
imapc_config 'poll_interval_s = 600'
imapc_seed

log="$T/run.log"
imapc_run "$log"
imapc_wait_log 'imap.failed mailbox=support' "$log" 30 || { cat "$log"; fail "no imap.failed"; }
failed=$(grep 'imap.failed' "$log")
echo "logged: $failed"
case "$failed" in
  *'the server closed the connection'*retry_in_s=[56]) ;;
  *) fail "imap.failed should name the cut and back off 5 s" ;;
esac
expect_eq "$(imapc_checkpoint)" "$IMAPC_UIDVALIDITY 1" "after the drop the checkpoint is unchanged"
imapc_expect_stored 1 "after the drop (mail 2 not stored, not even in part)"
imapc_wait_log 'imap.stored mailbox=support uid=2' "$log" 30 ||
  { cat "$log"; fail "mail 2 was not stored after the reconnect"; }
imapc_wait_log 'imap.polled mailbox=support' "$log" 10 || { cat "$log"; fail "no imap.polled"; }
grep -q 'c3 accepted' "$IMAPC_LOG" || fail "no third connection"
drop=$(awk '/c2 closed by the script/ {print $1}' "$IMAPC_LOG")
back=$(awk '/c3 accepted/ {print $1}' "$IMAPC_LOG")
echo "measured: reconnected $(awk -v a="$drop" -v b="$back" 'BEGIN {printf "%.1f", b - a}') s" \
  "after the drop (backoff 5 s)"
imapc_stop_run
cat "$log"
expect_eq "$RUN_RC" 0 "SIGTERM exits 0"
grep -q 'c3 client closed after' "$IMAPC_LOG" || fail "the service did not close its connection"
imapc_transcript_ok
imapc_expect_stored 2 "after the reconnect"
expect_eq "$(grep -c 'imap.stored mailbox=support uid=2' "$log")" 1 "mail 2 stored once"
expect_eq "$(imapc_checkpoint)" "$IMAPC_UIDVALIDITY 2" "the checkpoint moved to UID 2"
hd -c "$T/hd.toml" status --json > "$T/status.json"
expect_eq "$(json 'j["mailboxes"][0]["backlog"]' < "$T/status.json")" 0 "status: no backlog"
