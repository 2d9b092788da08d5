#!/usr/bin/env bash
# IMAP client against a scripted server (tests/integration/lib/imap_script.py): a slow but
# live server. The literal of a new mail comes one line at a time, 1 s apart, about 8 s in
# all, with timeout_s = 3 (2 s of margin for a loaded machine). timeout_s bounds the wait for the next bytes, not a whole command
# (as in Dovecot's imapc), so `run --once` waits it out, stores the mail once and moves the
# checkpoint: a guard against turning the step timeout into a limit on a whole transfer.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"
source "$(dirname "$0")/lib/imapc.sh"
IMAPC_TIMEOUT_S=3

imapc_mail m1
imapc_mail m2
{
  imapc_seed_script
  echo connection
  imapc_login
  imapc_select 2
  imapc_list 2:m2
  imapc_fetch_start 2 m2
  while IFS= read -r line; do
    echo "hang 1"
    echo "send ${line%$'\r'}"
  done < "$T/m2.eml"
  echo "send )"
  echo "send \$tag OK FETCH completed"
  imapc_logout
} > "$T/script"
imapc_start "$T/script"
imapc_config
imapc_seed

imapc_once "$T/run.log"
cat "$T/run.log"
expect_eq "$RC" 0 "run --once waits for the slow server and succeeds"
imapc_transcript_ok
first=$(awk '/c2 S: \* 1 FETCH/ {print $1}' "$IMAPC_LOG")
last=$(awk '/c2 S: \)/ {print $1}' "$IMAPC_LOG")
echo "measured: the literal took $(awk -v a="$first" -v b="$last" 'BEGIN {printf "%.1f", b - a}') s" \
  "with timeout_s = $IMAPC_TIMEOUT_S"
imapc_expect_stored 2 "the slow mail is stored once"
expect_eq "$(imapc_checkpoint)" "$IMAPC_UIDVALIDITY 2" "the checkpoint moved to UID 2"
