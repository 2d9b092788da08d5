#!/usr/bin/env bash
# IMAP client against a scripted server (tests/integration/lib/imap_script.py): the server
# greets and answers CAPABILITY, then never answers LOGIN. `run --once` gives up within the
# mailbox's timeout_s, exits 75 and logs imap.failed with the timeout; the server sees the
# client close; nothing is stored and the checkpoint of the earlier poll is unchanged.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"
source "$(dirname "$0")/lib/imapc.sh"

imapc_mail m1
{
  imapc_seed_script
  cat <<'STEPS'
connection
send * OK scripted IMAP server ready
expect CAPABILITY
send * CAPABILITY IMAP4rev1
send $tag OK CAPABILITY completed
expect LOGIN .*
hang 30
STEPS
} > "$T/script"
imapc_start "$T/script"
imapc_config
imapc_seed

imapc_once "$T/run.log"
cat "$T/run.log"
expect_eq "$RC" 75 "run --once exits 75 (temporary failure)"
grep -q 'imap.failed mailbox=support .*connect: .*[Tt]imeout' "$T/run.log" ||
  fail "no imap.failed line with a connect timeout"
echo "ok: imap.failed names the timeout"
grep -q 'c2 client closed after' "$IMAPC_LOG" || fail "the client did not close the connection"
echo "ok: the client closed the hung connection: $(grep 'c2 client closed' "$IMAPC_LOG")"
imapc_transcript_ok
imapc_expect_stored 1 "after the hang"
expect_eq "$(imapc_checkpoint)" "$IMAPC_UIDVALIDITY 1" "the checkpoint is unchanged"
hd -c "$T/hd.toml" status --json > "$T/status.json"
expect_eq "$(json '"imeout" in j["mailboxes"][0]["last_error"]' < "$T/status.json")" True \
  "status shows the timeout as the last error"
