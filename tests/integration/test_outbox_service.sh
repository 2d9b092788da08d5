#!/usr/bin/env bash
# The service sends the outbox from its event loop: several SMTP transfers in flight at once
# (up to [smtp] max_parallel), a 451 defers the mail while the service keeps running, and
# after the receiver recovers the mail arrives exactly once; the auto-reply log loses what is
# past its horizon and keeps the rest; SIGTERM stops it cleanly.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"
source "$(dirname "$0")/lib/smtp_tls.sh"

HD_SMTP_DELAY_S=1 smtp_tls_start "$T/smtp" plain
{
  config_database
  config_outgoing
  config_smtp 'timeout_s = 20' 'max_parallel = 3'
} > "$T/hd.toml"
mail="$HD_SOURCE_DIR/etc/demo/mail"
q() { hd_sql "$1"; }
received() { find "$SMTP_DIR" -name '*.eml' | wc -l; }
wait_for() {  # wait_for WHAT 'SHELL CONDITION': up to 30 s
  local what=$1 cond=$2
  for _ in $(seq 300); do eval "$cond" && return 0; sleep 0.1; done
  fail "timed out waiting for: $what"
}

# Six acknowledgements queued before the service starts (six customers).
for i in 1 2 3 4 5 6; do
  sed -e "s/^From: .*/From: Customer $i <customer$i@example.org>/" \
      -e "s/^Message-ID: <\(.*\)>/Message-ID: <svc$i.\1>/" "$mail/04-en-export.eml" |
    hd -c "$T/hd.toml" ingest
done
expect_eq "$(q "SELECT COUNT(*) FROM outbox WHERE status = 'queued'")" 6 "six acknowledgements queued"
# The auto-reply log: the six just written, and one three days old (past the default horizon
# of two days: docs/replies.md).
expect_eq "$(q "SELECT COUNT(*) FROM auto_replies")" 6 "six acknowledgements in the auto-reply log"
q "INSERT INTO auto_replies (address, at) VALUES ('old@example.org', $(( $(date +%s) - 3 * 86400 )))"

"$HELPDESKD" -c "$T/hd.toml" run > "$T/run.log" 2>&1 &
run_pid=$!
trap 'rc=$?; set +e; kill -TERM $run_pid 2>/dev/null; wait $run_pid 2>/dev/null; (exit $rc); hd_test_exit' EXIT

wait_for "six mails at the receiver" '[ "$(received)" -ge 6 ]'
wait_for "all marked sent" '[ "$(q "SELECT COUNT(*) FROM outbox WHERE status = '"'sent'"'")" = 6 ]'
expect_eq "$(cat "$SMTP_DIR/max_concurrent")" 3 "three transfers in flight at once (max_parallel)"
expect_eq "$(grep -c 'outbox.sent' "$T/run.log")" 6 "one outbox.sent line each"
grep -q 'auto_replies.pruned count=1$' "$T/run.log" || fail "no auto_replies.pruned count=1"
expect_eq "$(q "SELECT COUNT(*) FROM auto_replies WHERE address = 'old@example.org'")" 0 \
  "the entry past the horizon pruned"
expect_eq "$(q "SELECT COUNT(*) FROM auto_replies")" 6 "the six inside it kept"

# A 451 defers the mail; the service goes on; after recovery it arrives exactly once.
echo tempfail > "$SMTP_DIR/mode"
sed -e "s/^From: .*/From: Late <late@example.org>/" \
    -e "s/^Message-ID: <\(.*\)>/Message-ID: <late.\1>/" "$mail/04-en-export.eml" |
  hd -c "$T/hd.toml" ingest
wait_for "the 451 recorded" '[ -n "$(q "SELECT last_error FROM outbox WHERE id = 7")" ]'
case "$(q "SELECT status || ' ' || last_error FROM outbox WHERE id = 7")" in
  "queued 451"*) echo "ok: deferred with the server's reply" ;;
  *) fail "outbox 7: $(q "SELECT status, last_error FROM outbox WHERE id = 7")" ;;
esac
rm "$SMTP_DIR/mode"
hd -c "$T/hd.toml" outbox retry 7 >/dev/null
wait_for "the deferred mail sent" '[ "$(q "SELECT status FROM outbox WHERE id = 7")" = sent ]'
expect_eq "$(received)" 7 "delivered exactly once after recovery"
kill -0 "$run_pid" || fail "the service died"

kill -TERM "$run_pid"
rc=0
wait "$run_pid" || rc=$?
expect_eq "$rc" 0 "SIGTERM: exit 0"
grep -q "run.stopping" "$T/run.log" || fail "no run.stopping in the log"
echo "ok: stopped cleanly"
