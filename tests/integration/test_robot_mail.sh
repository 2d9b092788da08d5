#!/usr/bin/env bash
# Robots are not requests (issue 17, point 7), through `helpdeskd ingest`: an out-of-office
# reply to our acknowledgement joins the customer's closed request without reopening it; a
# bounce that names our acknowledgement only inside its report joins it too, with a
# delivery_report event and the address suppressed; automatic mail that refers to no request
# is kept as a request closed at once and tagged 'automatic', outside every queue; `rules test`
# says the same.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"
source "$(dirname "$0")/lib/mails.sh"

{
  config_database
  config_outgoing 'message_id_domain = "helpdesk.example.com"'
  config_mailbox
  config_users anna
} > "$T/hd.toml"
h() { hd -c "$T/hd.toml" "$@"; }
export HELPDESKD_AGENT=anna
q() { hd_sql "$1"; }
requests() { q "SELECT COUNT(*) FROM requests"; }
status_of() { h requests show "$1" --json | json 'j["status"]'; }
events() { q "SELECT COUNT(*) FROM events WHERE request_id = $1 AND kind = '$2'"; }

printf 'From: Jan <jan@customer.example>\nTo: support@example.com\nSubject: Invoice 42\nMessage-ID: <c1@customer.example>\n\nThe invoice is wrong.\n' |
  h ingest
ack=$(q "SELECT message_id FROM messages WHERE direction = 'out'")
case "$ack" in *@helpdesk.example.com) ;; *) fail "no acknowledgement recorded: '$ack'" ;; esac
echo "ok: the acknowledgement's Message-ID is $ack"
h requests close 1 >/dev/null
expect_eq "$(status_of 1)" closed "the agent closed request 1"

# Out-of-office answer to our acknowledgement.
cat > "$T/ooo.eml" <<MAIL
From: Jan <jan@customer.example>
To: support@example.com
Subject: Automatic reply: [#1] Invoice 42
Message-ID: <ooo1@customer.example>
In-Reply-To: <$ack>
Auto-Submitted: auto-replied

I am out of the office until Monday.
MAIL
h ingest < "$T/ooo.eml"
expect_eq "$(requests)" 1 "the out-of-office reply makes no request"
expect_eq "$(status_of 1)" closed "and does not reopen request 1"
expect_eq "$(events 1 auto_reply)" 1 "it is an auto_reply event on request 1"
expect_eq "$(events 1 reopened)" 0 "no reopened event"
expect_eq "$(q "SELECT COUNT(*) FROM messages WHERE request_id = 1 AND direction = 'in'")" 2 \
  "the mail itself is kept on request 1"
expect_eq "$(q "SELECT COUNT(*) FROM outbox")" 1 "nothing is sent to it"

# A bounce of the acknowledgement: no In-Reply-To or References, the original Message-ID only
# in the returned headers.
bounce_for_jan dsn1@mx.customer.example "$ack" > "$T/dsn.eml"
h ingest < "$T/dsn.eml"
expect_eq "$(requests)" 1 "the bounce makes no request"
expect_eq "$(events 1 delivery_report)" 1 "it is a delivery_report event on request 1"
expect_eq "$(events 1 bounce)" 1 "with the bounce noted"
expect_eq "$(q "SELECT address FROM suppressions")" jan@customer.example "jan@ is suppressed"
expect_eq "$(status_of 1)" closed "request 1 is still closed"

# Automatic mail that refers to nothing we know.
printf 'From: news@shop.example\nTo: support@example.com\nSubject: Out of Office\nMessage-ID: <x1@shop.example>\nX-Autoreply: yes\n\nAway.\n' > "$T/stray.eml"
h ingest < "$T/stray.eml"
expect_eq "$(requests)" 2 "stray automatic mail is kept as request 2"
expect_eq "$(status_of 2)" closed "closed at once"
expect_eq "$(h requests show 2 --json | json '",".join(j["tags"])')" automatic "tagged automatic"
expect_eq "$(h requests list --json | json 'len(j)')" 0 "no request in the default list"
expect_eq "$(h requests list --status all --tag automatic --json | json '[r["id"] for r in j]')" \
  "[2]" "the automatic view lists it"
expect_eq "$(q "SELECT COUNT(*) FROM outbox")" 1 "nothing was acknowledged"

# rules test says what intake does.
printf 'keep;\n' > "$T/rules.sieve"
h rules test --rules "$T/rules.sieve" "$T/stray.eml" > "$T/rules.out"
grep -q "automatic mail (X-Autoreply.*closed at once and tagged 'automatic'" "$T/rules.out" ||
  { cat "$T/rules.out"; fail "rules test does not explain the automatic mail"; }
echo "ok: rules test explains it"

# A person's reply after the bounce still reopens (the rule is for automatic mail only).
printf 'From: Jan <jan@customer.example>\nTo: support@example.com\nSubject: Re: [#1] Invoice 42\nMessage-ID: <c2@customer.example>\nIn-Reply-To: <%s>\n\nStill wrong.\n' "$ack" |
  h ingest
expect_eq "$(status_of 1)" open "a person's reply reopens request 1"
