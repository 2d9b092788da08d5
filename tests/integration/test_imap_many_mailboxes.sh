#!/usr/bin/env bash
# Many mailboxes on one daemon (issue 22, point 3): `run` raises its soft limit of file
# descriptors to what the configuration can open (three per IMAP connection: its socket and its
# curl multi handle's wake-up pair), so a shell's or systemd's default soft limit does not stop
# it at a few hundred mailboxes. Here the soft limit is 64 and 30 mailboxes need about 150:
# every one connects and goes to IDLE, the log says the limit was raised, and mail to three of
# them is stored. A soft limit that cannot be raised enough is logged as an error.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

n=30
users=$(for i in $(seq -w 1 $n); do printf 'mb%s ' "$i"; done)
DOVECOT_EXTRA_USERS=$users imap_server_start
{
  config_database
  for u in $users; do config_imap_mailbox "$u" 'poll_interval_s = 600'; done
} > "$T/hd.toml"

(ulimit -S -n 64 && exec "$HELPDESKD" -c "$T/hd.toml" run) 2> "$T/run.log" &
pid=$!
trap 'rc=$?; kill -TERM $pid 2>/dev/null || true; set +e; (exit $rc); hd_test_exit' EXIT
connected() { grep -c 'imap.connected' "$T/run.log" 2>/dev/null || true; }
sockets() { find "/proc/$pid/fd" -lname 'socket:*' 2>/dev/null | wc -l; }
for _ in $(seq 1 1500); do
  [ "$(connected)" -ge $n ] && [ "$(sockets)" -ge $((3 * n)) ] && break
  sleep 0.02
done
grep -q 'run.descriptors_raised' "$T/run.log" || fail "the soft limit was not raised"
expect_eq "$(connected)" "$n" "every mailbox connected under a soft limit of 64"
! grep -q 'Too many open files\|run.too_few_descriptors' "$T/run.log" ||
  fail "descriptors ran out: $(grep -m1 'Too many open files\|too_few' "$T/run.log")"
sockets=$(sockets)
echo "measured: $n IDLE mailboxes: $sockets sockets, soft limit now $(awk '/Max open files/ {print $4}' "/proc/$pid/limits")"

mail="$HD_SOURCE_DIR/etc/demo/mail"
dovecot_lmtp mb01 "$mail/01-nl-factuur.eml"
dovecot_lmtp mb15 "$mail/02-no-skriver.eml"
dovecot_lmtp mb30 "$mail/03-se-losenord.eml"
count() { sqlite3 "$T/hd.db" 'SELECT COUNT(DISTINCT mailbox) FROM raw_messages' 2>/dev/null || echo 0; }
for _ in $(seq 1 1000); do [ "$(count)" -ge 3 ] && break; sleep 0.02; done
expect_eq "$(count)" 3 "mail to three of the mailboxes is stored through IDLE"

kill -TERM "$pid"
wait "$pid" || fail "run did not exit 0 on SIGTERM"
trap hd_test_exit EXIT

# A hard limit below the need: run says so (and still serves what it can).
{ config_database; for u in $users; do config_imap_mailbox "$u" 'poll_interval_s = 600'; done; } > "$T/hd2.toml"
sed -i 's|path = "hd.db"|path = "hd2.db"|' "$T/hd2.toml"
(ulimit -n 100 && exec "$HELPDESKD" -c "$T/hd2.toml" run) 2> "$T/run2.log" &
pid=$!
trap 'rc=$?; kill -TERM $pid 2>/dev/null || true; set +e; (exit $rc); hd_test_exit' EXIT
for _ in $(seq 1 500); do grep -q 'run.too_few_descriptors' "$T/run2.log" && break; sleep 0.02; done
grep -q 'run.too_few_descriptors.*hard=100.*LimitNOFILE' "$T/run2.log" ||
  fail "a hard limit below the need is not logged: $(head -3 "$T/run2.log")"
kill -TERM "$pid"; wait "$pid" || true
trap hd_test_exit EXIT
echo "ok: $n mailboxes under a soft limit of 64; a hard limit of 100 is reported"
