#!/usr/bin/env bash
# After-import actions and limits with `run --once`: `move` moves stored mail to another
# folder (and only stored mail); an oversized mail is not downloaded but quarantined with its
# header; a --once run that finds the lock held does nothing; a UIDVALIDITY change re-scans
# without repeating a request.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

imap_server_start
mail="$HD_SOURCE_DIR/etc/demo/mail"
dovecot_deliver support "$mail"/01-*.eml "$mail"/02-*.eml
{ cat "$mail/03-se-losenord.eml"; head -c 300000 /dev/zero | tr '\0' 'x' | fold -w 76; } > "$T/big.eml"
dovecot_deliver support "$T/big.eml"
{
  config_database
  config_table '[limits]' -- 'max_message_bytes = 200000'
  config_imap_mailbox support 'after_import = "move"' 'move_to = "Archive"'
} > "$T/hd.toml"
# The target folder must exist.
mkdir -p "$DOVECOT_DIR/home/support/Maildir/.Archive"/{cur,new,tmp}
chown -R nobody:nogroup "$DOVECOT_DIR/home/support"

# A held lock: --once does nothing and exits 0.
/usr/bin/python3 -c 'import fcntl,sys,time; f=open(sys.argv[1],"w"); fcntl.flock(f,fcntl.LOCK_EX); time.sleep(3)' \
  "$T/hd.db.lock" &
locker=$!
sleep 0.5
hd -c "$T/hd.toml" run --once 2> "$T/locked.log"
grep -q run.skipped "$T/locked.log" || fail "no run.skipped with the lock held"
expect_eq "$(hd_sql 'SELECT COUNT(*) FROM raw_messages' 2>/dev/null || echo 0)" 0 \
  "nothing ingested while another run holds the lock"
wait "$locker"

hd -c "$T/hd.toml" run --once 2> "$T/run1.log" || { cat "$T/run1.log" >&2; fail "pass"; }
expect_eq "$(hd_sql 'SELECT COUNT(*) FROM quarantine')" 1 "the oversized mail is quarantined"
size=$(hd_sql 'SELECT r.size FROM raw_messages r JOIN quarantine q ON q.raw_id = r.id')
[ "$size" -lt 10000 ] || fail "the oversized mail was downloaded whole ($size bytes kept)"
echo "ok: only its header was kept ($size bytes)"
hd_sql 'SELECT reason FROM quarantine' | grep -q 'exceeds max_message_bytes' ||
  fail "no reason"
expect_eq "$(hd_sql 'SELECT COUNT(*) FROM requests')" 2 "two requests"
inbox=$(find "$DOVECOT_DIR/home/support/Maildir"/{cur,new} -type f | wc -l)
archive=$(find "$DOVECOT_DIR/home/support/Maildir/.Archive"/{cur,new} -type f | wc -l)
expect_eq "$inbox" 0 "stored (and quarantined) mail left the inbox"
expect_eq "$archive" 3 "... into Archive"

# UIDVALIDITY change: Dovecot gets a new one when its index is rebuilt; mail comes back with
# UIDs from 1 again. Nothing stored is repeated.
find "$DOVECOT_DIR/home/support/Maildir/.Archive"/{cur,new} -type f \
  -exec mv {} "$DOVECOT_DIR/home/support/Maildir/new/" \;
rm -f "$DOVECOT_DIR/home/support/Maildir"/dovecot*
chown -R nobody:nogroup "$DOVECOT_DIR/home/support"
hd_sql "UPDATE mailbox_state SET uidvalidity = uidvalidity - 1"
hd -c "$T/hd.toml" run --once 2> "$T/run2.log" || { cat "$T/run2.log" >&2; fail "rescan"; }
grep -q imap.uidvalidity_changed "$T/run2.log" || fail "UIDVALIDITY change not noticed"
expect_eq "$(hd_sql 'SELECT COUNT(*) FROM requests')" 2 "the re-scan repeats no request"
expect_eq "$(hd_sql 'SELECT COUNT(*) FROM quarantine')" 1 "nor a quarantine entry"
