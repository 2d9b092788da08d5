# Helpers for the fault scenarios that run `helpdeskd run` against the real Dovecot and SMTP
# receiver (tests/integration/lib/servers.sh). Source after testlib.sh.
#
#   fl_config [KEY=VALUE...]   writes $T/hd.toml: database, [outgoing], [smtp] when SMTP_PORT is
#                              set, one IMAPS [[mailbox]] "support"; extra mailbox keys as args
#   fl_fill N [FIRST] [TAG]    N distinct mails straight into support's INBOX (maildir)
#   fl_run LOG [ARGS...]       starts `helpdeskd run ARGS` in the background; sets RUN_PID
#   fl_kill_run SIGNAL         signals RUN_PID and reaps it; sets RUN_RC
#   fl_stored                  inbound messages stored
#   fl_wait_stored N SECONDS   until N are stored (returns 1 on time-out)
#   fl_check_once N            every one of N mails stored exactly once, database intact
#   fl_check_acks              no recipient got two acknowledgements; acks <= requests
#   fl_check_acks_resent N     after mail in doubt was resent: each of N customers got one,
#                              copies of one carry the same Message-ID
# Backgrounded runs are SIGKILLed by the EXIT trap set here.

FL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUN_PID=
fl_exit() {
  local rc=$?
  [ -n "$RUN_PID" ] && kill -KILL "$RUN_PID" 2>/dev/null
  [ -n "${FL_EXTRA_PIDS:-}" ] && kill -KILL $FL_EXTRA_PIDS 2>/dev/null
  set +e   # else `(exit 1)` ends the trap before the servers are stopped
  (exit $rc)
  hd_test_exit
}
trap fl_exit EXIT

fl_long() { [ -n "${HD_FAULTS_LONG:-}" ] && [ "${HD_FAULTS_LONG}" != 0 ]; }
fl_db() { sqlite3 -cmd '.timeout 10000' "$T/hd.db" "$1"; }
fl_ms() { echo $(($(date +%s%N) / 1000000)); }

fl_config() {
  printf 'secret\n' > "$T/pass"
  {
    printf '[database]\npath = "hd.db"\n'
    printf '[outgoing]\nfrom_address = "support@example.com"\ntemplates_dir = "%s"\n' \
      "$HD_SOURCE_DIR/etc/templates"
    if [ -n "${SMTP_PORT:-}" ]; then
      printf '[smtp]\nhost = "127.0.0.1"\nport = %s\ntls = "none"\ntimeout_s = 10\n' "$SMTP_PORT"
    else
      printf '[ack]\nenabled = false\n'
    fi
    printf '[[mailbox]]\nname = "support"\naddress = "support@example.com"\n'
    printf 'host = "127.0.0.1"\nport = %s\ntls = "implicit"\nca_file = "%s"\n' \
      "$DOVECOT_IMAPS_PORT" "$DOVECOT_CA"
    printf 'user = "support"\npassword_file = "pass"\ntimeout_s = 10\n'
    local kv
    for kv in "$@"; do printf '%s\n' "$kv"; done
  } > "$T/hd.toml"
}

fl_fill() {
  /usr/bin/python3 "$FL_DIR/fill_maildir.py" "$DOVECOT_DIR/home/support/Maildir" "$@"
}

fl_run() {
  local log=$1; shift
  # --log-level info: run --once alone logs only warnings and errors; the scenarios read the log.
  "$HELPDESKD" -c "$T/hd.toml" --log-level info run "$@" >>"$log" 2>&1 &
  RUN_PID=$!
}

fl_kill_run() {
  kill -"$1" "$RUN_PID" 2>/dev/null || true
  set +e
  wait "$RUN_PID"
  RUN_RC=$?
  set -e
  RUN_PID=
}

fl_stored() {
  fl_db "SELECT COUNT(*) FROM messages WHERE direction = 'in'" 2>/dev/null || echo 0
}

fl_wait_stored() {
  local end=$(($(date +%s) + $2))
  while [ "$(fl_stored)" -lt "$1" ]; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.1
  done
}

fl_check_once() {
  local n=$1
  expect_eq "$(fl_db 'PRAGMA integrity_check')" ok "the database is intact"
  expect_eq "$(fl_db "SELECT COUNT(DISTINCT message_id) FROM messages WHERE direction = 'in'")" \
    "$n" "every delivered mail is stored (distinct Message-IDs)"
  expect_eq "$(fl_stored)" "$n" "... exactly once (no duplicate message)"
  expect_eq "$(fl_db 'SELECT COUNT(*) FROM raw_messages')" "$n" "... one raw mail each"
  expect_eq "$(fl_db 'SELECT COUNT(*) FROM requests')" "$n" "... one request each"
}

# Per recipient at the SMTP receiver (its .json envelopes), the most acknowledgements one got,
# and the total.
fl_acks() {
  /usr/bin/python3 - "$SMTP_DIR" <<'PY'
import collections, glob, json, os, sys
c = collections.Counter()
for f in glob.glob(os.path.join(sys.argv[1], "*.json")):
    for r in json.load(open(f))["rcpt_tos"]:
        c[r.lower()] += 1
print(max(c.values(), default=0), sum(c.values()))
PY
}

fl_check_acks() {
  local most total requests
  read -r most total < <(fl_acks)
  requests=$(fl_db 'SELECT COUNT(*) FROM requests')
  echo "measured: $total acknowledgements received for $requests requests; outbox:" \
    "$(fl_db "SELECT group_concat(status || '=' || n, ' ') FROM (SELECT status, COUNT(*) n FROM outbox GROUP BY status)")"
  [ "$most" -le 1 ] || fail "a customer got $most acknowledgements"
  echo "ok: no customer got two acknowledgements"
  [ "$total" -le "$requests" ] || fail "$total acknowledgements for $requests requests"
  echo "ok: acknowledgements <= requests"
}

# Per recipient at the receiver: the Message-IDs of what it got. Prints "customers most_ids
# copies": recipients with an acknowledgement, the most distinct Message-IDs one recipient got,
# and the extra copies (same Message-ID) in all.
fl_acks_by_id() {
  /usr/bin/python3 - "$SMTP_DIR" <<'PY'
import collections, glob, json, os, re, sys
ids = collections.defaultdict(list)
for f in glob.glob(os.path.join(sys.argv[1], "*.json")):
    eml = open(f[:-5] + ".eml", "rb").read().decode("latin-1")
    m = re.search(r"^Message-ID:\s*<([^>]*)>", eml, re.M | re.I)
    for r in json.load(open(f))["rcpt_tos"]:
        ids[r.lower()].append(m.group(1) if m else "")
most = max((len(set(v)) for v in ids.values()), default=0)
copies = sum(len(v) - len(set(v)) for v in ids.values())
print(len(ids), most, copies)
PY
}

fl_check_acks_resent() {
  local customers most copies
  read -r customers most copies < <(fl_acks_by_id)
  echo "measured: $customers customers acknowledged, $copies second copies (same Message-ID)"
  expect_eq "$customers" "$1" "every customer has an acknowledgement"
  expect_eq "$most" 1 "no customer got two acknowledgements with different Message-IDs"
}
