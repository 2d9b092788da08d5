#!/usr/bin/env bash
# `helpdeskd run` under systemd's Type=notify, with a real notify socket: READY=1 comes only
# once every mailbox was heard from (one Dovecot mailbox logged in, one unreachable mailbox
# failed its first attempt), RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on SIGTERM, exit 0.
# Before READY=1, while the database is checked and migrated, EXTEND_TIMEOUT_USEC (a big
# database's migration can outlast TimeoutStartSec).
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

imap_server_start
{
  config_database
  config_imap_mailbox support
  # Port 1 on loopback: nothing listens, the first attempt fails at once.
  config_imap_mailbox broken 'port = 1' 'tls = "none"' 'poll_interval_s = 600'
} > "$T/hd.toml"

/usr/bin/python3 - "$HELPDESKD" "$T" > "$T/notify.out" <<'PY' || { cat "$T/run.log" >&2; fail "notify run"; }
import os, signal, socket, subprocess, sys
hd, t = sys.argv[1], sys.argv[2]
path = t + "/notify.sock"
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(30)
log = open(t + "/run.log", "w")
p = subprocess.Popen([hd, "-c", t + "/hd.toml", "run"], stderr=log,
                     env=dict(os.environ, NOTIFY_SOCKET=path))
extended = []  # EXTEND_TIMEOUT_USEC while the database is checked and opened
def got(what):
    while True:
        msg = s.recv(4096).decode()
        if not msg.startswith("EXTEND_TIMEOUT_USEC="):
            break
        extended.append(msg)
    print("%s: %s" % (what, msg.split("\n")[0]))
    return msg
ready = got("start")
print("start timeout extended before ready:", len(extended) > 0 and
      extended[0] == "EXTEND_TIMEOUT_USEC=60000000\nSTATUS=checking and migrating the database")
log.flush()
text = open(t + "/run.log").read()  # what had been logged when READY=1 arrived
print("connected before ready:", "imap.connected" in text and "mailbox=support" in text)
print("failed before ready:", "imap.failed" in text and "mailbox=broken" in text)
p.send_signal(signal.SIGHUP)
got("hup")
got("hup")
p.send_signal(signal.SIGTERM)
got("term")
print("exit:", p.wait(30))
PY
cat "$T/notify.out"
expect_eq "$(cat "$T/notify.out")" "start: READY=1
start timeout extended before ready: True
connected before ready: True
failed before ready: True
hup: RELOADING=1
hup: READY=1
term: STOPPING=1
exit: 0" "sd_notify sequence"
echo "ok: READY=1 after both mailboxes were heard from; RELOADING, READY, STOPPING; exit 0"
