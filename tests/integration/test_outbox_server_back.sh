#!/usr/bin/env bash
# Mail leaves soon after the SMTP server is back (issue 20, point 2). The service backs off
# per server, not per message: while the receiver is stopped it is probed with one mail at a
# time (bounded delays with jitter), the queued mail is not counted as tried, and after the
# receiver is started again the whole queue goes out within one probe delay. A mail the
# server itself rejects (451 for its recipient) keeps its own backoff.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

smtp_start "$T/smtp"
{
  config_database
  config_outgoing
  config_smtp 'timeout_s = 5' 'max_parallel = 4' 'server_retry_min_s = 1' 'server_retry_max_s = 4'
} > "$T/hd.toml"
mail="$HD_SOURCE_DIR/etc/demo/mail"
q() { hd_sql "$1"; }
received() { find "$SMTP_DIR" -name '*.eml' | wc -l; }
wait_for() {  # wait_for WHAT SECONDS 'SHELL CONDITION'
  local what=$1 n=$(($2 * 10)) cond=$3
  for _ in $(seq "$n"); do eval "$cond" && return 0; sleep 0.1; done
  fail "timed out after $2 s waiting for: $what"
}
customer() {  # customer NAME: one mail from NAME@example.org, acknowledged
  sed -e "s/^From: .*/From: $1 <$1@example.org>/" \
      -e "s/^Message-ID: <\(.*\)>/Message-ID: <$1.\1>/" "$mail/04-en-export.eml" |
    hd -c "$T/hd.toml" ingest
}
ms() { echo $(($(date +%s%N) / 1000000)); }

hd -c "$T/hd.toml" db migrate >/dev/null  # not created by two processes at once
"$HELPDESKD" -c "$T/hd.toml" run > "$T/run.log" 2>&1 &
run_pid=$!
trap 'rc=$?; set +e; kill -TERM $run_pid 2>/dev/null; wait $run_pid 2>/dev/null; (exit $rc); hd_test_exit' EXIT

# The server rejects one recipient's mail (451): that mail alone is deferred for 300 s.
echo stuck@example.org > "$SMTP_DIR/tempfail_rcpt"
customer stuck
wait_for "the 451 recorded" 30 '[ -n "$(q "SELECT last_error FROM outbox WHERE id = 1")" ]'
case "$(q "SELECT status || ' ' || attempts || ' ' || last_error FROM outbox WHERE id = 1")" in
  "queued 1 451"*) echo "ok: the rejected mail is deferred with its own backoff" ;;
  *) fail "outbox 1: $(q "SELECT status, attempts, last_error FROM outbox WHERE id = 1")" ;;
esac

# The server goes away; mail keeps coming.
smtp_stop
n=30
for i in $(seq "$n"); do customer "c$i"; done
sleep 6
down=$(grep -c 'outbox.server_down' "$T/run.log" || true)
[ "$down" -ge 2 ] || fail "the server was not probed while down ($down outbox.server_down lines)"
# One probe each 1, 2, 4, 4 ... s (+ jitter): a handful, not one per mail.
[ "$down" -le 6 ] || fail "$down probes in 6 s: not bounded"
echo "ok: $down probes while the server was down: $(grep 'outbox.server_down' "$T/run.log" | tail -1)"
expect_eq "$(q "SELECT MAX(attempts) FROM outbox WHERE id > 1 AND status = 'queued'")" 0 \
  "mail waiting for the server is not counted as tried"
expect_eq "$(q "SELECT COUNT(*) FROM outbox WHERE status = 'queued'")" $((n + 1)) "all queued"

# Back: the queue drains within one probe delay (at most 4 s + 25% here), not after its
# own backoff of minutes.
started=$(ms)
smtp_start "$T/smtp"
wait_for "the queue drained" 30 '[ "$(q "SELECT COUNT(*) FROM outbox WHERE status = '"'sent'"'")" = '"$n"' ]'
took=$(($(ms) - started))
echo "ok: $n mails sent ${took} ms after the server came back"
[ "$took" -le 15000 ] || fail "the queue took $took ms to drain after the server returned"
grep -q 'outbox.server_back' "$T/run.log" || fail "no outbox.server_back in the log"
expect_eq "$(received)" "$n" "every mail delivered once"
expect_eq "$(q "SELECT status || ' ' || attempts FROM outbox WHERE id = 1")" "queued 1" \
  "the rejected mail keeps its own backoff"
[ $(( $(q "SELECT next_attempt_at FROM outbox WHERE id = 1") - $(date +%s) )) -gt 200 ] ||
  fail "the rejected mail is due too soon"
kill -0 "$run_pid" || fail "the service died"
