#!/usr/bin/env bash
# IMAP client against a scripted server (tests/integration/lib/imap_script.py): a hostile
# server announces a literal of 2,000,000,000 bytes for a 200-byte mail, then (on the next
# run) sends 20 MB without a line end. The client does not wait for or buffer either: each
# `run --once` exits 75 with imap.failed naming the limit (the literal limit is
# max_message_bytes + max_header_bytes + 1 MiB, a response line 16 MiB); nothing is stored
# and the checkpoint is unchanged.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"
source "$(dirname "$0")/lib/imapc.sh"

imapc_mail m1
imapc_mail m2
head -c 20000000 /dev/zero | tr '\0' 'a' > "$T/long.txt"
{
  imapc_seed_script
  echo connection  # 2: a literal far over the limit
  imapc_login
  imapc_select 2
  imapc_list 2:m2
  echo 'expect UID FETCH 2 \(UID BODY.PEEK\[\]\)'
  echo 'send * 1 FETCH (UID 2 BODY[] {2000000000}'
  echo 'hang 30'
  echo connection  # 3: a line that never ends
  imapc_login
  imapc_select 2
  imapc_list 2:m2
  echo 'expect UID FETCH 2 \(UID BODY.PEEK\[\]\)'
  echo 'send_file long.txt'
  echo 'hang 30'
} > "$T/script"
imapc_start "$T/script"
imapc_config
imapc_seed

for c in 2 3; do
  imapc_once "$T/run$c.log"
  cat "$T/run$c.log"
  expect_eq "$RC" 75 "connection $c: run --once exits 75"
  if [ $c = 2 ]; then why='IMAP literal too large'; else why='IMAP response line too long'; fi
  grep -q "imap.failed mailbox=support error=\"$why\"" "$T/run$c.log" ||
    fail "connection $c: imap.failed does not say '$why'"
  echo "ok: connection $c: imap.failed says '$why'"
  # The scripted server logs the close when it notices it, which may be just after the client
  # has exited (it may still be writing the oversized answer): wait for it, up to 10 s.
  for _ in $(seq 1 200); do grep -q "c$c client closed after" "$IMAPC_LOG" && break; sleep 0.05; done
  grep -q "c$c client closed after" "$IMAPC_LOG" || fail "connection $c: the client left it open"
done
imapc_transcript_ok
imapc_expect_stored 1 "after the hostile answers"
expect_eq "$(imapc_checkpoint)" "$IMAPC_UIDVALIDITY 1" "the checkpoint is unchanged"
