#!/usr/bin/env bash
# No acknowledgement to robots, lists, auto-replies, bounces, ourselves; hard bounces suppress
# the address; the per-recipient rate limit holds. Each suppression is an event saying why.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"
source "$(dirname "$0")/lib/mails.sh"

{
  config_database
  config_outgoing 'message_id_domain = "helpdesk.example.com"'
  config_table '[ack]' -- 'rate_limit_count = 2' 'rate_limit_window_s = 600'
  config_mailbox
} > "$T/hd.toml"
n=0
send() {  # send FROM "EXTRA HEADERS" : one new mail
  n=$((n + 1))
  { printf 'From: %s\nTo: support@example.com\nSubject: question %d\nMessage-ID: <m%d@robots.example>\n' "$1" "$n" "$n"
    [ -n "$2" ] && printf '%b\n' "$2"
    printf '\nHello, I have a question about my invoice.\n'; } | hd -c "$T/hd.toml" ingest >/dev/null 2>&1
}
queued() { hd_sql "SELECT COUNT(*) FROM outbox"; }
reason() { hd_sql "SELECT detail FROM events WHERE kind = 'ack_suppressed' ORDER BY id DESC LIMIT 1"; }
none() {  # none WHAT WORD: the last mail got no acknowledgement, and the event says WORD
  expect_eq "$(queued)" "$before" "no acknowledgement: $1"
  case "$(reason)" in *"$2"*) ;; *) fail "event for $1 says '$(reason)', want '$2'" ;; esac
}

send "Jan <jan@customer.example>" ""
expect_eq "$(queued)" 1 "a normal customer is acknowledged"
before=1
send "a@x.example" "Auto-Submitted: auto-replied";             none "Auto-Submitted" "Auto-Submitted"
send "b@x.example" "Auto-Submitted: auto-generated (vacation)"; none "Auto-Submitted with comment" "Auto-Submitted"
send "c@x.example" "Precedence: bulk";                         none "Precedence bulk" "Precedence"
send "d@x.example" "Precedence: list";                         none "Precedence list" "Precedence"
send "e@x.example" "Precedence: junk";                         none "Precedence junk" "Precedence"
send "f@x.example" "List-Id: <news.x.example>";                none "List-Id" "mailing list"
send "g@x.example" "List-Unsubscribe: <mailto:u@x.example>";   none "List-Unsubscribe" "mailing list"
send "h@x.example" "X-Auto-Response-Suppress: DR, OOF";        none "X-Auto-Response-Suppress" "X-Auto-Response-Suppress"
send "i@x.example" "X-Loop: support@example.com";              none "X-Loop naming us" "X-Loop"
send "j@x.example" "Return-Path: <>";                          none "empty Return-Path" "Return-Path"
send "MAILER-DAEMON@x.example" "";                             none "mailer-daemon" "robot"
send "postmaster@x.example" "";                                none "postmaster" "robot"
send "noreply@x.example" "";                                   none "noreply" "robot"
send "no-reply@x.example" "";                                  none "no-reply" "robot"
send "Support <Support@Example.com>" "";                       none "our own address" "our own"
send "k@x.example" "X-Autoreply: yes";                         none "X-Autoreply" "automatic"
n=$((n + 1))
printf 'From: l@x.example\nSubject: loop\nMessage-ID: <hd.9.1.ab@helpdesk.example.com>\n\nx\n' |
  hd -c "$T/hd.toml" ingest >/dev/null 2>&1
none "our own Message-ID domain" "Message-ID domain"
send "m@x.example" "Auto-Submitted: no"
expect_eq "$(queued)" 2 "Auto-Submitted: no is a person"
before=2

# Rate limit: at most 2 per address per window.
send "m@x.example" ""
expect_eq "$(queued)" 3 "second mail from m@ is acknowledged"
before=3
send "m@x.example" "";  none "third mail within the window" "rate limit"

# A hard bounce (RFC 3464 DSN) for jan@ suppresses further automatic mail to jan@.
bounce_for_jan dsn.1@mx.customer.example > "$T/dsn.eml"
hd -c "$T/hd.toml" ingest < "$T/dsn.eml" 2>/dev/null
expect_eq "$(queued)" "$before" "no acknowledgement of a bounce"
expect_eq "$(hd_sql "SELECT address FROM suppressions")" jan@customer.example \
  "the bounced address is suppressed"
expect_eq "$(hd_sql "SELECT COUNT(*) FROM events WHERE kind = 'bounce'")" 1 \
  "the bounce is an event"
send "Jan <jan@customer.example>" ""; none "a suppressed address" "suppressed"
expect_eq "$(hd_sql "SELECT COUNT(*) FROM events WHERE kind = 'ack_suppressed'")" 20 \
  "every suppression is an event"
