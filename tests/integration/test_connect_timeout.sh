#!/usr/bin/env bash
# An unreachable server answers within connect_timeout_s (issue 19, point 3), not after the
# much longer timeout_s: the IMAP and SMTP servers here are a port on 127.0.0.1 whose accept
# queue is full, so connects get silence (as behind a firewall that drops), not a refusal.
# timeout_s is 60 and connect_timeout_s 2: `run --once` and `outbox drain` give up well
# before 60 s and name connect_timeout_s and the mailbox or [smtp] in their error.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"
source "$(dirname "$0")/lib/imapc.sh"

"$HD_SYS_PYTHON" "$(dirname "$0")/lib/full_backlog.py" "$T/full.port" 2>"$T/full.err" &
full_pid=$!
trap 'rc=$?; kill -TERM $full_pid 2>/dev/null; (exit $rc); imapc_exit' EXIT
for _ in $(seq 1 100); do [ -s "$T/full.port" ] && break; sleep 0.1; done
[ -s "$T/full.port" ] || { cat "$T/full.err" >&2; fail "no port with a full accept queue"; }
port=$(cat "$T/full.port")
echo "ok: port $port does not answer connects"

# IMAP
IMAPC_PORT=$port
imapc_config 'timeout_s = 60' 'connect_timeout_s = 2'
start=$(date +%s)
imapc_once "$T/run.log"
took=$(($(date +%s) - start))
cat "$T/run.log"
expect_eq "$RC" 75 "run --once exits 75 (temporary failure)"
[ "$took" -lt 30 ] || fail "run --once took $took s: not bounded by connect_timeout_s = 2"
echo "ok: run --once gave up after $took s (timeout_s is 60)"
grep -q "imap.failed mailbox=support .*127.0.0.1:$port could not be connected to within the connect timeout of 2 s (connect_timeout_s in \[\[mailbox\]\] support" \
  "$T/run.log" || fail "imap.failed does not name connect_timeout_s"
echo "ok: imap.failed names connect_timeout_s and the mailbox"

# SMTP: one acknowledgement queued, then drained against the silent port.
{
  config_database
  config_outgoing
  config_mailbox
  config_table '[smtp]' 'host = "127.0.0.1"' "port = $port" 'tls = "none"' 'timeout_s = 60' \
    'connect_timeout_s = 2'
} > "$T/smtp.toml"
hd -c "$T/smtp.toml" ingest < "$HD_SOURCE_DIR/etc/demo/mail/04-en-export.eml"
start=$(date +%s)
set +e
timeout -k 5 60 "$HELPDESKD" -c "$T/smtp.toml" outbox drain > "$T/drain.log" 2>&1
rc=$?
set -e
took=$(($(date +%s) - start))
cat "$T/drain.log"
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "outbox drain exited $rc"
[ "$took" -lt 30 ] || fail "outbox drain took $took s: not bounded by connect_timeout_s = 2"
echo "ok: outbox drain gave up after $took s (exit $rc)"
err=$(hd_sql "SELECT last_error FROM outbox")
echo "$err"
case "$err" in
*"could not be connected to within the connect timeout of 2 s (connect_timeout_s in [smtp]"*) ;;
*) fail "the outbox's last error does not name connect_timeout_s" ;;
esac
echo "ok: the outbox's last error names connect_timeout_s and [smtp]"
