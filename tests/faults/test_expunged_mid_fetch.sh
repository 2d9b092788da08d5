#!/usr/bin/env bash
# Another client moves mail out of the INBOX while `helpdeskd run --once` is fetching it (a
# person filing mail away, or a folder being recreated). Dovecot answers the body fetch of a
# message expunged after the UID listing with `BODY[] NIL`. helpdeskd must not store that as
# an empty mail (it used to: a bogus "the message is empty" quarantine entry, with the
# checkpoint moved past it); it lists the folder again and goes on. Afterwards: nothing
# quarantined, every mail left in the INBOX stored exactly once.
# Short form: 3,000 mails, up to 1,000 moved; HD_FAULTS_LONG=1: 12,000 and 4,000.
set -euo pipefail
source "$(dirname "$0")/../integration/lib/testlib.sh"
source "$(dirname "$0")/faultlib.sh"

if fl_long; then n=12000; else n=3000; fi
dovecot_start "$T/dovecot"
fl_config
fl_fill "$n"
doveadm -c "$DOVECOT_DIR/dovecot.conf" mailbox create -u support Other

# The mover: once the first batch is stored (the daemon has listed the folder), it moves mail
# from the highest UID downwards, ten per UID MOVE, towards the daemon's fetch position.
/usr/bin/python3 - "$DOVECOT_IMAP_PORT" "$T" $((n / 3)) > "$T/mover.log" 2>&1 <<'PY' &
import imaplib, os, sys, time
port, t, most = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = imaplib.IMAP4("127.0.0.1", port)
c.login("support", "secret")
c.select("INBOX")
top = int(c.uid("SEARCH", "ALL")[1][0].split()[-1])
while not os.path.exists(os.path.join(t, "go")):
    time.sleep(0.005)
moved = 0
while moved < most and not os.path.exists(os.path.join(t, "stop")):
    typ, data = c.uid("MOVE", "%d:%d" % (top - 9, top), "Other")
    assert typ == "OK", (typ, data)
    top, moved = top - 10, moved + 10
print("moved", moved)
PY
mover=$!
FL_EXTRA_PIDS=$mover
fl_run "$T/run.log" --once
fl_wait_stored 100 60 || fail "nothing stored"
touch "$T/go"
set +e
wait "$RUN_PID"; rc=$?
set -e
RUN_PID=
touch "$T/stop"
wait "$mover" || { cat "$T/mover.log" >&2; fail "the mover failed"; }
FL_EXTRA_PIDS=
expect_eq "$rc" 0 "run --once exits 0"
echo "measured: $(cat "$T/mover.log") mails moved away during the fetch;" \
  "$(grep -c imap.vanished "$T/run.log" || true) fetches met a vanished mail"

expect_eq "$(fl_db 'SELECT COUNT(*) FROM quarantine')" 0 "no vanished mail was quarantined"
expect_eq "$(fl_db "SELECT COUNT(*) FROM raw_messages WHERE size = 0")" 0 "no empty mail stored"
/usr/bin/python3 - "$DOVECOT_IMAP_PORT" "$T/hd.db" <<'PY' || fail "INBOX and database disagree"
import imaplib, re, sqlite3, sys
c = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]))
c.login("support", "secret")
c.select("INBOX", readonly=True)
typ, data = c.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
inbox = {re.search(rb"<(.*?)>", d[1]).group(1).decode() for d in data if isinstance(d, tuple)}
db = sqlite3.connect(sys.argv[2])
stored = [r[0] for r in db.execute("SELECT message_id FROM messages WHERE direction = 'in'")]
assert len(stored) == len(set(stored)), "a mail was stored twice"
missing = inbox - set(stored)
assert not missing, "%d mails in the INBOX were not stored, e.g. %s" % (len(missing), min(missing))
print("ok: all %d mails left in the INBOX are stored, %d stored in all, none twice"
      % (len(inbox), len(stored)))
PY
expect_eq "$(fl_db 'SELECT COUNT(*) FROM raw_messages')" "$(fl_stored)" "one raw mail per stored mail"
