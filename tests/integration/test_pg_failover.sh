#!/usr/bin/env bash
# Several daemons on one PostgreSQL (issue 18, docs/scale-out.md): two `helpdeskd run` share
# four IMAP mailboxes through leases ([database] lease_s = 3). Each mailbox is held by one
# daemon at a time (status shows which), and they are spread: two each. Mail delivered to all
# four is stored once. Then the holder of one is SIGKILLed: the other daemon takes every
# mailbox within the lease time (plus one renewal), and the mail delivered meanwhile is
# stored once too. A clean stop (SIGTERM) hands
# the mailboxes over at once instead of after the expiry. Prints how long each takeover took.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

boxes="fa fb fc fd"
DOVECOT_EXTRA_USERS=$boxes imap_server_start
pg_start "$T/pg" >/dev/null
lease_s=3
{
  config_table '[database]' "url = \"$PG_URL\"" "lease_s = $lease_s"
  for b in $boxes; do config_imap_mailbox "$b" 'poll_interval_s = 600'; done
} > "$T/hd.toml"
sql() { PG_DB=helpdesk pg_psql -q -A -t -F '|' -c "$1"; }
"$HELPDESKD" -c "$T/hd.toml" db migrate > /dev/null

# mail BOX N: a mail of its own (its own Message-ID and sender) to BOX.
mail() {
  local f="$T/mail-$1-$2.eml"
  printf 'From: Customer %s <c%s@customer.example>\r\nTo: %s@example.com\r\nSubject: case %s %s\r\nMessage-ID: <%s.%s@customer.example>\r\nDate: Sat, 05 Dec 2026 12:00:00 +0000\r\n\r\nHello %s %s\r\n' \
    "$2" "$2" "$1" "$1" "$2" "$1" "$2" "$1" "$2" > "$f"
  dovecot_lmtp "$1" "$f"
}
stored() { sql 'SELECT COUNT(*) FROM raw_messages' 2>/dev/null || echo 0; }
distinct() { sql 'SELECT COUNT(DISTINCT message_id) FROM messages' 2>/dev/null || echo 0; }
wait_stored() {  # wait_stored N SECONDS
  local i
  for i in $(seq 1 $(($2 * 20))); do [ "$(stored)" -ge "$1" ] && return 0; sleep 0.05; done
  return 1
}
holders() { sql 'SELECT holder FROM mailbox_leases WHERE expires_at > extract(epoch from now()) ORDER BY mailbox'; }

"$HELPDESKD" -c "$T/hd.toml" run 2> "$T/a.log" &
a=$!
"$HELPDESKD" -c "$T/hd.toml" run 2> "$T/b.log" &
b=$!
trap 'rc=$?; kill -KILL $a $b 2>/dev/null || true; set +e; (exit $rc); hd_test_exit' EXIT
for _ in $(seq 1 400); do [ "$(holders | wc -l)" -eq 4 ] && break; sleep 0.05; done
expect_eq "$(holders | wc -l)" 4 "every mailbox is leased"
for b_ in $boxes; do
  expect_eq "$(sql "SELECT COUNT(*) FROM mailbox_leases WHERE mailbox = '$b_'")" 1 "one lease row for $b_"
done
# The two share the work: each ends up with two of the four (the first to start takes all,
# then hands the other its share at the next renewal, every lease_s / 3).
t0=$(date +%s%N)
spread() { sql "SELECT COUNT(DISTINCT holder) || ':' || MAX(n) FROM (SELECT holder, COUNT(*) AS n FROM mailbox_leases WHERE expires_at > extract(epoch from now()) GROUP BY holder) x"; }
for _ in $(seq 1 $(( (lease_s * 2 + 5) * 20 ))); do [ "$(spread)" = "2:2" ] && [ "$(holders | wc -l)" -eq 4 ] && break; sleep 0.05; done
expect_eq "$(spread)" "2:2" "two daemons hold two mailboxes each"
echo "measured: mailboxes spread over both daemons $(( ($(date +%s%N) - t0) / 1000000 )) ms after every one was leased"
grep -q 'lease.handed_over' "$T/a.log" "$T/b.log" || fail "no daemon logged lease.handed_over"
for b_ in $boxes; do mail "$b_" 1; mail "$b_" 2; done
wait_stored 8 30 || fail "mail not stored: $(stored) of 8"
sleep 1
expect_eq "$(stored)" 8 "every mail stored once by two daemons"
expect_eq "$(distinct)" 8 "eight messages, no duplicate"
status=$("$HELPDESKD" -c "$T/hd.toml" status)
echo "$status" | grep -q "mailbox fa: .*held by .*expires in" || fail "status does not show the holder: $status"
expect_eq "$(echo "$status" | grep -c '^daemon ')" 2 "status lists both daemons"
"$HELPDESKD" -c "$T/hd.toml" status --json > "$T/status.json"
expect_eq "$(json 'len([m for m in j["mailboxes"] if m["lease"] and not m["lease"]["expired"]])' < "$T/status.json")" 4 \
  "status --json: a live lease for every mailbox"

# The daemon holding fa is killed; the other one takes everything it held.
victim_id=$(sql "SELECT holder FROM mailbox_leases WHERE mailbox = 'fa'")
victim_pid=${victim_id#*:}
victim_pid=${victim_pid%%:*}
[ "$victim_pid" = "$a" ] || [ "$victim_pid" = "$b" ] || fail "holder $victim_id is neither daemon"
survivor=$a; [ "$victim_pid" = "$a" ] && survivor=$b
survivor_log=$T/b.log; [ "$survivor" = "$a" ] && survivor_log=$T/a.log
kill -KILL "$victim_pid"
t0=$(date +%s%N)
for b_ in $boxes; do mail "$b_" 3; done
for _ in $(seq 1 $(( (lease_s * 3 + 5) * 20 ))); do
  [ "$(sql "SELECT COUNT(*) FROM mailbox_leases WHERE holder <> '$victim_id' AND expires_at > extract(epoch from now())")" -eq 4 ] && break
  sleep 0.05
done
t1=$(date +%s%N)
expect_eq "$(sql "SELECT COUNT(*) FROM mailbox_leases WHERE holder = '$victim_id'")" 0 \
  "no mailbox is left with the killed daemon"
took=$(( (t1 - t0) / 1000000 ))
echo "measured: takeover after SIGKILL in $took ms (lease_s = $lease_s, renewal every $((lease_s / 3)) s)"
# Within the lease plus one renewal, and the second a lease is counted in.
[ "$took" -le $(( (lease_s + lease_s / 3 + 2) * 1000 )) ] || fail "takeover took $took ms"
wait_stored 12 30 || fail "mail after the kill not stored: $(stored) of 12"
sleep 1
expect_eq "$(stored)" 12 "the mail delivered around the kill is stored once"
expect_eq "$(distinct)" 12 "twelve messages, no duplicate"
grep -q 'lease.taken' "$survivor_log" || fail "the survivor did not log lease.taken"

# A new daemon starts; the survivor stops cleanly and hands its mailboxes over at once.
"$HELPDESKD" -c "$T/hd.toml" run 2> "$T/c.log" &
c=$!
trap 'rc=$?; kill -KILL $a $b $c 2>/dev/null || true; set +e; (exit $rc); hd_test_exit' EXIT
for _ in $(seq 1 200); do grep -q lease.started "$T/c.log" && break; sleep 0.05; done
t0=$(date +%s%N)
kill -TERM "$survivor"
wait "$survivor" || fail "SIGTERM: the daemon did not exit 0"
for _ in $(seq 1 $(( (lease_s + 3) * 20 ))); do
  [ "$(sql "SELECT COUNT(*) FROM mailbox_leases WHERE holder LIKE '%:$c:%'")" -eq 4 ] && break
  sleep 0.05
done
t1=$(date +%s%N)
expect_eq "$(sql "SELECT COUNT(*) FROM mailbox_leases WHERE holder LIKE '%:$c:%'")" 4 \
  "after a clean stop the new daemon holds every mailbox"
echo "measured: handover after SIGTERM in $(( (t1 - t0) / 1000000 )) ms"
for b_ in $boxes; do mail "$b_" 4; done
wait_stored 16 30 || fail "mail after the handover not stored: $(stored) of 16"
sleep 1
expect_eq "$(stored)" 16 "every mail stored once across kill and handover"
kill -TERM "$c"
wait "$c" || fail "SIGTERM: the third daemon did not exit 0"
expect_eq "$(sql "SELECT COUNT(*) FROM daemons WHERE id <> '$victim_id'")" 0 \
  "daemons stopped cleanly leave the daemons table (the killed one's row stays)"
