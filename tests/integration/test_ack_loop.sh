#!/usr/bin/env bash
# Mail loops stay bounded: two helpdeskd instances writing to each other stop after one
# acknowledgement (Auto-Submitted, X-Loop), and a naive out-of-office responder that ignores
# every convention (no Auto-Submitted, no threading headers, a fresh subject each time) is
# stopped by the per-recipient rate limit.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

smtp_start "$T/smtp"
for x in a b; do
  mkdir -p "$T/$x"
  {
    config_database
    config_outgoing "from_address = \"support@$x.example\"" \
      "message_id_domain = \"helpdesk.$x.example\""
    config_smtp
    config_mailbox "address = \"support@$x.example\""
  } > "$T/$x/hd.toml"
done
seen=0
# shuttle: drain both helpdesks; hand every new mail in the sink to its recipient. Sets
# `moved` to how many mails were new (no subshell: `seen` must persist).
shuttle() {
  hd -c "$T/a/hd.toml" outbox drain >/dev/null 2>&1
  hd -c "$T/b/hd.toml" outbox drain >/dev/null 2>&1
  local new=0 f rcpt
  for f in $(ls "$T"/smtp/*.eml 2>/dev/null | sort | tail -n +$((seen + 1))); do
    seen=$((seen + 1)); new=$((new + 1))
    rcpt=$(json 'j["rcpt_tos"][0]' < "${f%.eml}.json")
    case "$rcpt" in
      support@a.example) hd -c "$T/a/hd.toml" ingest --mailbox support < "$f" >/dev/null 2>&1 ;;
      support@b.example) hd -c "$T/b/hd.toml" ingest --mailbox support < "$f" >/dev/null 2>&1 ;;
      ooo@c.example)  # a naive auto-responder: answers everything, threads nothing
        printf 'From: ooo@c.example\nTo: support@a.example\nSubject: Away %s\nMessage-ID: <ooo.%s@c.example>\n\nI am out of the office until Monday.\n' \
          "$seen" "$seen" | hd -c "$T/a/hd.toml" ingest --mailbox support >/dev/null 2>&1 ;;
    esac
  done
  moved=$new
}
run_rounds() {  # run_rounds MAX: shuttle until quiet; sets `rounds` to those that moved mail
  rounds=0
  for ((i = 0; i < $1; i++)); do
    shuttle
    [ "$moved" -eq 0 ] && break
    rounds=$((rounds + 1))
  done
}

# Helpdesk B (misconfigured: a forward) writes to helpdesk A.
printf 'From: Support B <support@b.example>\nTo: support@a.example\nSubject: Forwarded question\nMessage-ID: <fwd.1@b.example>\n\nPlease help this customer.\n' |
  hd -c "$T/a/hd.toml" ingest --mailbox support >/dev/null 2>&1
run_rounds 20
total=$(ls "$T"/smtp/*.eml | wc -l)
echo "two helpdesks: $total mails in $rounds rounds"
[ "$rounds" -lt 20 ] || fail "two helpdesks never went quiet"
expect_eq "$total" 1 "A acknowledges once; B sees Auto-Submitted and stays quiet"
case "$(sqlite3 "$T/b/hd.db" "SELECT detail FROM events WHERE kind = 'ack_suppressed'")" in
  *Auto-Submitted*) echo "ok: B says why it did not answer" ;; *) fail "no suppression event in B" ;;
esac

# A naive out-of-office writes to A.
printf 'From: ooo@c.example\nTo: support@a.example\nSubject: Hello\nMessage-ID: <ooo.start@c.example>\n\nHello there.\n' |
  hd -c "$T/a/hd.toml" ingest --mailbox support >/dev/null 2>&1
run_rounds 40
acks=$(sqlite3 "$T/a/hd.db" "SELECT COUNT(*) FROM outbox WHERE recipients = 'ooo@c.example'")
echo "naive responder: $acks acknowledgements in $rounds rounds"
[ "$rounds" -lt 40 ] || fail "the responder loop never went quiet"
expect_eq "$acks" 10 "the rate limit (10 per 10 minutes) bounds the loop"
case "$(sqlite3 "$T/a/hd.db" "SELECT detail FROM events WHERE kind = 'ack_suppressed' ORDER BY id DESC LIMIT 1")" in
  *"rate limit"*) echo "ok: the rate limit is the recorded reason" ;; *) fail "no rate-limit event" ;;
esac
