#!/usr/bin/env bash
# IMAP client against a scripted server (tests/integration/lib/imap_script.py): the answer to
# UID FETCH of a new mail starts (its literal announced, 40 bytes of it sent) and then stops.
# `run --once` gives up after the mailbox's timeout_s without a byte, exits 75 and logs
# imap.failed with the timeout; the server sees the client close; nothing of the mail is stored
# (no raw mail, message, request or quarantine entry) and the checkpoint is unchanged.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"
source "$(dirname "$0")/lib/imapc.sh"

imapc_mail m1
imapc_mail m2
{
  imapc_seed_script
  echo connection
  imapc_login
  imapc_select 2
  imapc_list 2:m2
  imapc_fetch_start 2 m2
  echo "send_file m2.eml 40"
  echo "hang 30"
} > "$T/script"
imapc_start "$T/script"
imapc_config
imapc_seed

imapc_once "$T/run.log"
cat "$T/run.log"
expect_eq "$RC" 75 "run --once exits 75 (temporary failure)"
grep -q "imap.failed mailbox=support .*timeout: no answer within $IMAPC_TIMEOUT_S s" "$T/run.log" ||
  fail "no imap.failed line with the step timeout"
echo "ok: imap.failed names the step timeout"
grep -q 'c2 client closed after' "$IMAPC_LOG" || fail "the client did not close the connection"
echo "ok: the client closed the stalled connection: $(grep 'c2 client closed' "$IMAPC_LOG")"
imapc_transcript_ok
imapc_expect_stored 1 "after the stall (mail 2 not stored, not even in part)"
expect_eq "$(imapc_checkpoint)" "$IMAPC_UIDVALIDITY 1" "the checkpoint is unchanged"
hd -c "$T/hd.toml" status --json > "$T/status.json"
expect_eq "$(json '"timeout" in j["mailboxes"][0]["last_error"]' < "$T/status.json")" True \
  "status shows the timeout as the last error"
