#!/usr/bin/env bash
# IMAP client against a scripted server (tests/integration/lib/imap_script.py), `helpdeskd run`
# as a service with timeout_s = 60, so only SIGTERM can end the wait: the server hangs before
# its greeting (inside libcurl's connect), then, on the next start, after SELECT (inside the
# client's own read). Each time SIGTERM ends the run with exit 0 and run.stopping, the client
# closes the connection, no imap.failed is logged, and the checkpoint is unchanged.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"
source "$(dirname "$0")/lib/imapc.sh"

imapc_mail m1
{
  imapc_seed_script
  echo connection  # 2: the banner never comes
  echo "hang 120"
  echo connection  # 3: SELECT is never answered
  imapc_login
  echo 'expect SELECT "?INBOX"?'
  echo "hang 120"
} > "$T/script"
imapc_start "$T/script"
imapc_config 'timeout_s = 60'
imapc_seed

for c in 2 3; do
  log="$T/run$c.log"
  imapc_run "$log"
  if [ $c = 2 ]; then want='c2 accepted'; else want='c3 C: [^ ]* SELECT'; fi
  imapc_wait_log "$want" "$IMAPC_LOG" 30 || fail "connection $c: the client did not get there"
  sleep 0.5  # the client is waiting now
  imapc_stop_run
  cat "$log"
  expect_eq "$RUN_RC" 0 "connection $c: SIGTERM exits 0"
  grep -q 'run.stopping signal=TERM' "$log" || fail "connection $c: no run.stopping"
  expect_eq "$(grep -c 'imap.failed' "$log" || true)" 0 "connection $c: a stop is not a failure"
  grep -q "c$c client closed after" "$IMAPC_LOG" || fail "connection $c: the client left it open"
  echo "ok: connection $c: the client closed the connection: $(grep "c$c client closed" "$IMAPC_LOG")"
done
imapc_transcript_ok
imapc_expect_stored 1 "after the stops"
expect_eq "$(imapc_checkpoint)" "$IMAPC_UIDVALIDITY 1" "the checkpoint is unchanged"
