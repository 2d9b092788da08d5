#!/usr/bin/env bash
# `helpdeskd run` as a service: new mail arrives by LMTP and is stored through IMAP IDLE (the
# delay is printed, not asserted); SIGHUP with an invalid config keeps the running one, with a
# valid one applies it; SIGTERM exits 0.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

imap_server_start
mail="$HD_SOURCE_DIR/etc/demo/mail"
write_config() {  # write_config POLL_INTERVAL
  { config_database; config_imap_mailbox support "poll_interval_s = $1"; } > "$T/hd.toml"
}
count() { hd_sql 'SELECT COUNT(*) FROM raw_messages' 2>/dev/null || echo 0; }
wait_count() {  # wait_count N: until N mails are stored (gives up after 20 s)
  for _ in $(seq 1 2000); do [ "$(count)" -ge "$1" ] && return 0; sleep 0.01; done
  return 1
}

write_config 600   # polling every 10 minutes: only IDLE can be this fast
"$HELPDESKD" -c "$T/hd.toml" run 2> "$T/run.log" &
pid=$!
trap 'rc=$?; kill -TERM $pid 2>/dev/null || true; set +e; (exit $rc); hd_test_exit' EXIT
for _ in $(seq 1 500); do grep -q imap.polled "$T/run.log" 2>/dev/null && break; sleep 0.02; done
grep -q 'idle=true' "$T/run.log" || fail "IDLE not used"

dovecot_lmtp support "$mail/01-nl-factuur.eml"
t0=$(date +%s%N)
wait_count 1 || { cat "$T/run.log" >&2; fail "mail not stored under IDLE"; }
t1=$(date +%s%N)
echo "measured: LMTP delivery -> stored under IDLE in $(( (t1 - t0) / 1000000 )) ms"
dovecot_lmtp support "$mail/02-no-skriver.eml"
wait_count 2 || fail "second mail not stored under IDLE"
echo "ok: two mails stored through IDLE"

# SIGHUP with an invalid config: logged, the running config kept.
echo 'this is = = not toml' >> "$T/hd.toml"
kill -HUP "$pid"
for _ in $(seq 1 200); do grep -q config.reload_failed "$T/run.log" && break; sleep 0.02; done
grep -q 'config.reload_failed.*keeping the running configuration' "$T/run.log" ||
  fail "invalid reload not logged"
dovecot_lmtp support "$mail/03-se-losenord.eml"
wait_count 3 || fail "intake stopped after a failed reload"
echo "ok: an invalid config on SIGHUP keeps the running one"

# SIGHUP with a valid config: applied, sessions restarted, intake goes on.
write_config 300
kill -HUP "$pid"
for _ in $(seq 1 200); do grep -q config.applied "$T/run.log" && break; sleep 0.02; done
grep -q config.applied "$T/run.log" || fail "valid reload not applied"
dovecot_lmtp support "$mail/04-en-export.eml"
wait_count 4 || fail "intake stopped after a reload"
echo "ok: a valid config on SIGHUP is applied"

# SQLite: each mail stored under IDLE is a commit of its own, and each commit leaves a segment
# in the search index's open window; the daemon merges them once it has been idle for 2 s
# (docs/storage.md, "Search"). 16 more mails, one at a time, then a quiet spell.
stored=4
if [ "${HD_TEST_BACKEND:-sqlite}" = sqlite ]; then
  window=$(hd_sql "SELECT name FROM fts_windows WHERE hi IS NULL")
  segments() { hd_sql "SELECT COUNT(DISTINCT segid) FROM \"${window}_idx\""; }
  for i in $(seq 1 16); do
    printf 'From: Customer %d <c%d@customer.example>\r\nTo: support@example.com\r\nSubject: Printer %d\r\nMessage-ID: <idle-%d@customer.example>\r\n\r\nThe printer jams, case %d.\r\n' \
      "$i" "$i" "$i" "$i" "$i" > "$T/idle-$i.eml"
    dovecot_lmtp support "$T/idle-$i.eml"
    wait_count $((stored + i)) || fail "mail $i of the burst not stored"
  done
  stored=$((stored + 16))
  # Their pages are in the WAL ([database] checkpoint_pages, 16,384 by default, is far off):
  # the file takes them once the daemon is idle (docs/storage.md, "Checkpoints").
  file_before=$(stat -c %s "$T/hd.db")
  echo "measured: $(segments) segments in the open window after 20 commits"
  merged=no
  for _ in $(seq 1 200); do [ "$(segments)" -lt 16 ] && { merged=yes; break; }; sleep 0.05; done
  expect_eq "$merged" yes "the idle daemon merged the search index's segments"
  copied=no
  for _ in $(seq 1 200); do [ "$(stat -c %s "$T/hd.db")" -gt "$file_before" ] && { copied=yes; break; }; sleep 0.05; done
  expect_eq "$copied" yes "the idle daemon copied the WAL into the database file"
  found=$("$HELPDESKD" -c "$T/hd.toml" requests search printer 2>/dev/null | grep -cE '^ +[0-9]+ +open +Printer' || true)
  expect_eq "$found" 16 "search finds the 16 mails after the merge"
fi

t0=$(date +%s%N)
kill -TERM "$pid"
set +e
wait "$pid"; rc=$?
set -e
t1=$(date +%s%N)
expect_eq "$rc" 0 "SIGTERM exits 0"
echo "measured: SIGTERM -> exit in $(( (t1 - t0) / 1000000 )) ms"
expect_eq "$(count)" "$stored" "every mail stored once"
