#!/usr/bin/env bash
# `helpdeskd run` as a service with [smtp] configured sends acknowledgements by itself (no
# --once): a mail delivered by LMTP is taken in under IDLE and its acknowledgement reaches the
# SMTP receiver. Arrival-to-acknowledgement latency (LMTP delivery done -> .eml at the
# receiver) is measured and printed, not asserted.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

imap_server_start
smtp_start "$T/smtp"
{
  config_database
  config_outgoing
  config_smtp 'timeout_s = 10'
  config_imap_mailbox support 'poll_interval_s = 600'
} > "$T/hd.toml"
received() { find "$SMTP_DIR" -name '*.eml' | wc -l; }

"$HELPDESKD" -c "$T/hd.toml" run > "$T/run.log" 2>&1 &
pid=$!
trap 'rc=$?; kill -KILL $pid 2>/dev/null || true; set +e; (exit $rc); hd_test_exit' EXIT
for _ in $(seq 1 500); do grep -q 'imap.connected' "$T/run.log" && break; sleep 0.02; done
grep -q 'imap.connected.*idle=true' "$T/run.log" || { cat "$T/run.log" >&2; fail "no IDLE session"; }
sleep 0.3   # the first (empty) poll, then IDLE

lat=()
i=0
for f in 01-nl-factuur 02-no-skriver 04-en-export; do
  i=$((i + 1))
  dovecot_lmtp support "$HD_SOURCE_DIR/etc/demo/mail/$f.eml"
  t0=$(date +%s%N)
  for _ in $(seq 1 3000); do [ "$(received)" -ge "$i" ] && break; sleep 0.01; done
  t1=$(date +%s%N)
  [ "$(received)" -ge "$i" ] || { cat "$T/run.log" >&2; fail "no acknowledgement for $f within 30 s"; }
  lat+=($(((t1 - t0) / 1000000)))
done
echo "measured: LMTP delivery -> acknowledgement at the SMTP receiver (service mode, IDLE): ${lat[*]} ms"
echo "measured: median $(printf '%s\n' "${lat[@]}" | sort -n | sed -n 2p) ms"
expect_eq "$(received)" 3 "each mail acknowledged once, without --once"
for f in "$SMTP_DIR"/*.json; do
  json 'j["rcpt_tos"][0]' < "$f"
done | sort > "$T/rcpts"
expect_eq "$(sort -u "$T/rcpts" | wc -l)" 3 "three different customers"
expect_eq "$(hd_sql "SELECT COUNT(*) FROM outbox WHERE status = 'sent'")" 3 \
  "the outbox marks them sent"
kill -TERM "$pid"
set +e
wait "$pid"; rc=$?
set -e
expect_eq "$rc" 0 "SIGTERM exits 0"
expect_eq "$(received)" 3 "nothing sent twice"
