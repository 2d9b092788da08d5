#!/usr/bin/env bash
# IMAP client against a scripted server (tests/integration/lib/imap_script.py): the server
# closes the connection inside the literal of a new mail (40 of its bytes sent). `run --once`
# exits 75 at once and logs imap.failed "the server closed the connection"; nothing of the
# half-received mail is stored (no raw mail, message, request or quarantine entry) and the
# checkpoint is unchanged.
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
  echo "close"
} > "$T/script"
imapc_start "$T/script"
imapc_config
imapc_seed

imapc_once "$T/run.log"
cat "$T/run.log"
expect_eq "$RC" 75 "run --once exits 75 (temporary failure)"
grep -q 'imap.failed mailbox=support .*the server closed the connection' "$T/run.log" ||
  fail "no imap.failed line saying the server closed the connection"
echo "ok: imap.failed says the server closed the connection"
imapc_transcript_ok
imapc_expect_stored 1 "after the cut (mail 2 not stored, not even in part)"
expect_eq "$(imapc_checkpoint)" "$IMAPC_UIDVALIDITY 1" "the checkpoint is unchanged"
hd -c "$T/hd.toml" status --json > "$T/status.json"
expect_eq "$(json '"closed the connection" in j["mailboxes"][0]["last_error"]' < "$T/status.json")" \
  True "status shows the cut as the last error"
