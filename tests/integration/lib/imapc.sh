# IMAP client scenarios against the scripted server (imap_script.py, its step language is at its
# top). Source after testlib.sh. Plain IMAP on 127.0.0.1, no TLS; acknowledgements off.
#
#   imapc_mail NAME              writes $T/NAME.eml, a small mail with CRLF line ends (its own
#                                Message-ID); prints nothing
#   imapc_size NAME              its size in bytes
#   Script fragments (print steps; group them and redirect into the script):
#   imapc_login                  greeting, libcurl's CAPABILITY and LOGIN, the client's CAPABILITY
#   imapc_select EXISTS          SELECT INBOX with UIDVALIDITY $IMAPC_UIDVALIDITY
#   imapc_list UID:NAME...       the listing UID FETCH n:* (UID RFC822.SIZE) of these mails
#   imapc_fetch UID NAME         UID FETCH UID (UID BODY.PEEK[]) answered with the whole mail
#   imapc_fetch_start UID NAME   ... only the start of that answer, up to the literal's size
#   imapc_logout                 LOGOUT, BYE
#   imapc_start SCRIPT           plays SCRIPT; sets IMAPC_PORT, IMAPC_LOG (the transcript)
#   imapc_config [LINE...]       writes $T/hd.toml: mailbox "support" at the server,
#                                tls = "none", timeout_s = $IMAPC_TIMEOUT_S; LINEs as config_table
#   imapc_once LOG               `helpdeskd run --once` under a 60 s guard; sets RC (124: hung)
#   imapc_run LOG / imapc_stop_run   `helpdeskd run` in the background (RUN_PID); SIGTERM, RUN_RC
#                                (not stopped within 30 s: SIGKILL, the test fails)
#   imapc_wait_log PATTERN FILE SECONDS
#   imapc_transcript_ok          no MISMATCH and no UNSCRIPTED connection in the transcript
#   imapc_checkpoint             "uidvalidity last_uid" of mailbox support (status --json)
#   imapc_expect_stored N WHAT   N raw mails, messages, requests; nothing quarantined
# The EXIT trap set here kills the server and a background run.

IMAPC_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAPC_TIMEOUT_S=2      # the mailbox's timeout_s in these scenarios
IMAPC_UIDVALIDITY=7
IMAPC_GUARD_S=60       # a hung helpdeskd is killed after this (a hang catcher, not a measure)
IMAPC_PID=
RUN_PID=

imapc_exit() {
  local rc=$?
  [ -n "$RUN_PID" ] && kill -KILL "$RUN_PID" 2>/dev/null
  [ -n "$IMAPC_PID" ] && kill -TERM "$IMAPC_PID" 2>/dev/null
  set +e
  if [ $rc -ne 0 ] && [ -f "${IMAPC_LOG:-/nonexistent}" ]; then
    echo "--- transcript of the scripted server" >&2
    cat "$IMAPC_LOG" >&2
  fi
  (exit $rc)
  hd_test_exit
}
trap imapc_exit EXIT

imapc_mail() {
  local name=$1
  printf '%s\r\n' "From: Customer <customer-$name@example.org>" "To: support@example.com" \
    "Subject: question $name" "Message-ID: <$name@example.org>" \
    "Date: Fri, 04 Dec 2026 10:00:00 +0000" "" "Hello, my printer $name is broken." \
    "Regards" > "$T/$name.eml"
}
imapc_size() { wc -c < "$T/$1.eml" | tr -d ' '; }

imapc_login() {
  cat <<'EOF'
send * OK scripted IMAP server ready
expect CAPABILITY
send * CAPABILITY IMAP4rev1
send $tag OK CAPABILITY completed
expect LOGIN "?support"? "?secret"?
send $tag OK LOGIN completed
expect CAPABILITY
send * CAPABILITY IMAP4rev1 UIDPLUS
send $tag OK CAPABILITY completed
EOF
}
imapc_select() {
  cat <<EOF
expect SELECT "?INBOX"?
send * $1 EXISTS
send * 0 RECENT
send * OK [UIDVALIDITY $IMAPC_UIDVALIDITY] UIDs valid
send * OK [UIDNEXT 100] predicted next UID
send \$tag OK [READ-WRITE] SELECT completed
EOF
}
imapc_list() {
  local first=${1%%:*} um n=0
  echo "expect UID FETCH $first:\\* \\(UID RFC822.SIZE\\)"
  for um in "$@"; do
    n=$((n + 1))
    echo "send * $n FETCH (UID ${um%%:*} RFC822.SIZE $(imapc_size "${um#*:}"))"
  done
  echo "send \$tag OK FETCH completed"
}
imapc_fetch_start() {
  echo "expect UID FETCH $1 \\(UID BODY.PEEK\\[\\]\\)"
  echo "send * 1 FETCH (UID $1 BODY[] {$(imapc_size "$2")}"
}
imapc_fetch() {
  imapc_fetch_start "$@"
  echo "send_file $2.eml"
  echo "send )"
  echo "send \$tag OK FETCH completed"
}
imapc_logout() {
  cat <<'EOF'
expect LOGOUT
send * BYE logging out
send $tag OK LOGOUT completed
EOF
}

imapc_start() {
  IMAPC_LOG=$T/transcript.log
  rm -f "$T/imapc.port"
  "$HD_SYS_PYTHON" "$IMAPC_LIB/imap_script.py" "$1" "$T/imapc.port" "$IMAPC_LOG" \
    >>"$T/imapc.err" 2>&1 &
  IMAPC_PID=$!
  for _ in $(seq 1 200); do [ -s "$T/imapc.port" ] && break; sleep 0.05; done
  [ -s "$T/imapc.port" ] || { cat "$T/imapc.err" >&2; fail "the scripted server did not start"; }
  IMAPC_PORT=$(cat "$T/imapc.port")
}

imapc_config() {
  printf 'secret\n' > "$T/pass"
  {
    config_database
    config_table '[ack]' -- 'enabled = false'
    config_table '[[mailbox]]' 'name = "support"' 'address = "support@example.com"' \
      'host = "127.0.0.1"' "port = $IMAPC_PORT" 'tls = "none"' 'user = "support"' \
      'password_file = "pass"' 'idle = false' "timeout_s = $IMAPC_TIMEOUT_S" -- "$@"
  } > "$T/hd.toml"
}

imapc_once() {
  set +e
  timeout -k 5 "$IMAPC_GUARD_S" "$HELPDESKD" -c "$T/hd.toml" run --once >>"$1" 2>&1
  RC=$?
  set -e
  [ "$RC" -ne 124 ] && [ "$RC" -ne 137 ] || {
    cat "$1" >&2
    fail "run --once hung: killed by the ${IMAPC_GUARD_S} s guard"
  }
}

imapc_run() {
  "$HELPDESKD" -c "$T/hd.toml" run >>"$1" 2>&1 &
  RUN_PID=$!
}
imapc_stop_run() {  # SIGTERM; a run still there after 30 s is SIGKILLed and fails the test
  kill -TERM "$RUN_PID" 2>/dev/null || true
  for _ in $(seq 1 300); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$RUN_PID" 2>/dev/null; then
    kill -KILL "$RUN_PID"
    fail "helpdeskd run did not stop within 30 s of SIGTERM"
  fi
  set +e
  wait "$RUN_PID"
  RUN_RC=$?
  set -e
  RUN_PID=
}

imapc_wait_log() {  # imapc_wait_log PATTERN FILE SECONDS: until grep -q PATTERN FILE
  local end=$(($(date +%s) + $3))
  until grep -q -- "$1" "$2" 2>/dev/null; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.1
  done
}

imapc_transcript_ok() {
  if grep -E 'MISMATCH|UNSCRIPTED' "$IMAPC_LOG" >&2; then
    fail "the client did not follow the script"
  fi
  echo "ok: the client followed the script"
}

imapc_checkpoint() {
  hd -c "$T/hd.toml" status --json |
    json '"%s %s" % (j["mailboxes"][0]["uidvalidity"], j["mailboxes"][0]["last_uid"])'
}

imapc_expect_stored() {  # imapc_expect_stored N WHAT
  local db="$T/hd.db"
  expect_eq "$(sqlite3 "$db" 'SELECT COUNT(*) FROM raw_messages')" "$1" "$2: raw mails"
  expect_eq "$(sqlite3 "$db" "SELECT COUNT(*) FROM messages WHERE direction = 'in'")" "$1" \
    "$2: messages"
  expect_eq "$(sqlite3 "$db" 'SELECT COUNT(*) FROM requests')" "$1" "$2: requests"
  expect_eq "$(sqlite3 "$db" 'SELECT COUNT(*) FROM quarantine')" 0 "$2: nothing quarantined"
}

# imapc_seed: the success case every scenario starts from. Connection 1 of the script must be
# `imapc_seed_script` (mail "m1" as UID 1); runs --once and checks it is stored once and the
# checkpoint moved to "$IMAPC_UIDVALIDITY 1".
imapc_seed_script() {
  echo connection
  imapc_login
  imapc_select 1
  imapc_list 1:m1
  imapc_fetch 1 m1
  imapc_logout
}
imapc_seed() {
  imapc_once "$T/seed.log"
  expect_eq "$RC" 0 "seed: run --once against the scripted server succeeds"
  imapc_expect_stored 1 "seed: the mail is stored once"
  expect_eq "$(imapc_checkpoint)" "$IMAPC_UIDVALIDITY 1" "seed: the checkpoint moved to UID 1"
}
