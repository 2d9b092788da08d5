#!/usr/bin/env bash
# Dovecot stops while `helpdeskd run` is fetching a big mailbox and starts again: the daemon
# logs the failure, backs off (5 s, then doubling), reconnects by itself and carries on from
# its checkpoint; in the end every mail is stored exactly once. Checked from the log (failure,
# retry_in_s, reconnect no earlier than the backoff), mailbox_status and the database.
# Each outage comes after mail was stored since the last one, so each starts again at 5 s (it
# used to go on doubling across a long fetch cut twice).
# Short form: 6,000 mails, two restarts; HD_FAULTS_LONG=1: 20,000 mails, three restarts, one
# outage long enough for a second, doubled backoff.
set -euo pipefail
source "$(dirname "$0")/../integration/lib/testlib.sh"
source "$(dirname "$0")/faultlib.sh"

if fl_long; then n=20000 outages="1 7 1"; else n=6000 outages="1 1"; fi
dovecot_start "$T/dovecot"
fl_config 'poll_interval_s = 600'
fl_fill "$n"
log="$T/run.log"
connects() { grep -c 'imap.connected' "$log" || true; }
failures() { grep -c 'imap.failed' "$log" || true; }

fl_run "$log"
o=0   # (servers.sh's helpers use i)
for down in $outages; do
  o=$((o + 1))
  want=$((o * n / 5))   # stop Dovecot once a fifth (two fifths, ...) is stored: mid-fetch
  fl_wait_stored "$want" 120 || fail "outage $o: only $(fl_stored) stored"
  c0=$(connects) f0=$(failures)
  t_down=$(fl_ms)   # the failure is logged after this moment
  dovecot_stop
  at=$(fl_stored)
  for _ in $(seq 1 300); do [ "$(failures)" -gt "$f0" ] && break; sleep 0.02; done
  [ "$(failures)" -gt "$f0" ] || fail "outage $o: no imap.failed logged"
  first=$(grep imap.failed "$log" | sed -n "$((f0 + 1))p")
  echo "outage $o: Dovecot stopped with $at of $n stored; logged: $first"
  # 5 s plus up to 25 % jitter (docs/intake.md, "Backoff").
  case "$first" in *retry_in_s=[56]) ;; *) fail "outage $o: the backoff did not start at 5 s" ;; esac
  [ "$at" -lt "$n" ] || fail "outage $o came after the fetch had ended"
  sleep "$down"
  dovecot_start "$DOVECOT_DIR"
  for _ in $(seq 1 3000); do [ "$(connects)" -gt "$c0" ] && break; sleep 0.02; done
  [ "$(connects)" -gt "$c0" ] || fail "outage $o: never reconnected"
  t_back=$(fl_ms)
  retries=$(($(failures) - f0))
  echo "measured: outage $o: down ${down} s, $retries failure(s) logged, reconnected" \
    "$((t_back - t_down)) ms after Dovecot was stopped"
  # Backoffs of 5, 10, 20 s: after r failures the reconnect comes >= 5 * (2^r - 1) s later.
  [ $((t_back - t_down)) -ge $((5000 * ((1 << retries) - 1))) ] ||
    fail "outage $o: reconnected before the backoff had passed"
  if [ "$retries" -ge 2 ]; then
    grep imap.failed "$log" | tail -n "$retries" | grep -qE 'retry_in_s=1[012]$' ||
      fail "outage $o: the second failure did not double the backoff"
    echo "ok: outage $o: the backoff doubled (5 s, then 10 s)"
  fi
done
echo "ok: every outage's first failure backs off 5 s"
fl_wait_stored "$n" 120 || fail "only $(fl_stored) of $n stored after recovery"
sleep 0.5
fl_kill_run TERM
expect_eq "$RUN_RC" 0 "SIGTERM exits 0"
fl_check_once "$n"
expect_eq "$(grep -c 'result=duplicate' "$log" || true)" 0 \
  "the reconnects went on from the checkpoint (no stored mail fetched again)"
expect_eq "$(fl_db "SELECT last_error_at IS NOT NULL AND last_success_at >= last_error_at FROM mailbox_status")" 1 \
  "status keeps the error and a later success"
hd -c "$T/hd.toml" status --json > "$T/status.json"
expect_eq "$(json 'j["mailboxes"][0]["backlog"]' < "$T/status.json")" 0 "status: no backlog"
