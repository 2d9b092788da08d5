#!/usr/bin/env bash
# The product's second seed scenario, end to end over the real paths: a customer phones.
# anna takes the call and registers it for a known customer found by name; it lands in the
# hardware queue (manual assignment); ole accepts it, transfers it to per with a note; per
# forwards it to a vendor, whose answer (LMTP into Dovecot) threads back over IMAP; per answers
# the customer (SMTP receiver: tag, threading), the customer's answer threads back; per closes
# the request. Another call, to a round-robin category, is assigned at once.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

imap_server_start
smtp_start "$T/smtp"
{
  config_database
  config_outgoing 'from_name = "Example Support"' 'message_id_domain = "helpdesk.example.com"'
  config_smtp 'helo_name = "helpdesk.example.com"'
  config_priority normal 'first_response_hours = 8' 'resolution_hours = 72' 'default = true'
  config_users anna ole
  config_user per 'name = "Per Olsen"' 'signature = "Per Olsen, Example Support"'
  config_category hardware 'assignment = "manual"' 'members = ["ole", "per"]'
  config_category billing 'assignment = "round_robin"' 'members = ["per", "ole"]'
  config_imap_mailbox support 'language = "en"'
} > "$T/hd.toml"
h() { hd -c "$T/hd.toml" "$@"; }
sent() { find "$SMTP_DIR" -name '*.eml' | sort; }
run_once() { h run --once 2>> "$T/run.log" || { cat "$T/run.log" >&2; fail "run --once"; }; }
header() { grep -m1 -i "^$1:" "$2" | sed 's/^[^<]*//' | tr -d '\r'; }

# Åsa mailed last week: she is a known person (request #1, acknowledged).
dovecot_lmtp support "$HD_SOURCE_DIR/etc/demo/mail/02-no-skriver.eml"
run_once
expect_eq "$(sent | wc -l)" 1 "the earlier mail was acknowledged"
h requests close 1 --as anna >/dev/null

# She phones. anna finds her by name; the request goes to the hardware queue.
out=$(h requests create --as anna --name "Åsa Bjørnstad" --category hardware \
        --title "Phone: scanner on 2nd floor jams" --text "Called 10:15; jams since Monday" --json)
expect_eq "$(echo "$out" | json 'j["request"], j["person"], j["owner"]')" \
  "2 asa@fjordkraft-eksempel.no None" "registered for the known person, unassigned"
expect_eq "$(h requests list --category hardware --unassigned --json | json '[r["id"] for r in j]')" \
  "[2]" "it waits in the hardware queue"
expect_eq "$(h dashboard --as ole --json | json '[r["id"] for r in j["unassigned"]]')" "[2]" \
  "ole sees it on his dashboard"

# A second call, to billing (round robin): assigned at once, to per.
out=$(h requests create --as anna --email kari@example.no --name "Kari Nordmann" \
        --category billing --title "Phone: invoice twice" --json)
expect_eq "$(echo "$out" | json 'j["request"], j["owner"]')" "3 per" "round robin assigns per"

# ole accepts and hands it to per; per asks the vendor.
h requests accept 2 --as ole >/dev/null
h requests transfer 2 per --as ole --note "per knows these scanners" >/dev/null
fwd=$(h requests forward 2 vendor@scanners.example --as per --text "Known jam issue?" --json)
run_once
expect_eq "$(sent | wc -l)" 2 "the forward reached the SMTP receiver"
grep -q '^To: .*vendor@scanners.example' "$(sent | tail -1)" || fail "the forward is not to the vendor"
fwd_id="<$(echo "$fwd" | json 'j["message_id"]')>"
printf 'From: Scanner Vendor <vendor@scanners.example>\r\nTo: support@example.com\r\nSubject: Re: Fwd: [#2] Phone: scanner\r\nMessage-ID: <v1@scanners.example>\r\nIn-Reply-To: %s\r\n\r\nYes: firmware 3.1 fixes the jams.\r\n' "$fwd_id" > "$T/vendor.eml"
dovecot_lmtp support "$T/vendor.eml"
run_once
expect_eq "$(h requests list --status all --json | json 'len(j)')" 3 "the vendor's answer made no new request"
expect_eq "$(h requests show 2 --json | json 'j["messages"][-1]["from"]["address"]')" \
  vendor@scanners.example "the vendor's answer threaded into #2"
expect_eq "$(sent | wc -l)" 2 "no acknowledgement to the vendor"

# per answers the customer; the mail goes out over SMTP.
h requests reply 2 --as per --text "Hei Åsa, vi oppdaterer skanneren til firmware 3.1 i dag." >/dev/null
run_once
expect_eq "$(sent | wc -l)" 3 "per's reply reached the SMTP receiver"
reply=$(sent | tail -1)
/usr/bin/python3 - "$reply" <<'PY' || fail "the reply is not to the customer, tagged and signed"
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
assert m["to"].addresses[0].addr_spec == "asa@fjordkraft-eksempel.no", m["to"]
assert str(m["subject"]) == "[#2] Phone: scanner on 2nd floor jams", m["subject"]
assert m["message-id"].endswith("@helpdesk.example.com>"), m["message-id"]
assert m["in-reply-to"] is None, m["in-reply-to"]  # not threaded to the vendor's mail
body = m.get_body().get_content()
assert "firmware 3.1" in body and "Per Olsen, Example Support" in body, body
PY
echo "ok: the reply is to the customer, tagged [#2], signed, not threaded to the vendor"
reply_id=$(header Message-ID "$reply")

# The customer answers our reply: it threads back over IMAP, and per's next answer threads to it.
printf 'From: =?utf-8?q?=C3=85sa_Bj=C3=B8rnstad?= <asa@fjordkraft-eksempel.no>\r\nTo: support@example.com\r\nSubject: Re: [#2] Phone: scanner on 2nd floor jams\r\nMessage-ID: <c0ffee.3@fjordkraft-eksempel.no>\r\nIn-Reply-To: %s\r\nReferences: %s\r\n\r\nTakk, skanneren virker igjen!\r\n' "$reply_id" "$reply_id" > "$T/answer.eml"
dovecot_lmtp support "$T/answer.eml"
run_once
expect_eq "$(h requests show 2 --json | json 'j["messages"][-1]["from"]["address"]')" \
  asa@fjordkraft-eksempel.no "the customer's answer threaded into #2"
h requests reply 2 --as per --template answer --text "Så bra! Vi lukker saken." >/dev/null
h requests close 2 --as per >/dev/null
run_once
expect_eq "$(sent | wc -l)" 4 "per's closing answer was sent"
last=$(sent | tail -1)
expect_eq "$(header In-Reply-To "$last")" "<c0ffee.3@fjordkraft-eksempel.no>" \
  "the closing answer threads to the customer's mail"
grep -q '^Content-Language: no' "$last" || fail "the templated answer is not in Norwegian"
echo "ok: the templated answer is Norwegian"

expect_eq "$(h requests list --status closed --sort id --json | json '[r["id"] for r in j]')" "[1, 2]" \
  "#2 is closed"
expect_eq "$(h requests show 2 --json | json 'len(j["messages"])')" 7 \
  "#2: call, note, forward, vendor, reply, answer, closing answer"
expect_eq "$(hd_sql "SELECT $(hd_concat "actor || ':' || kind") FROM (SELECT actor, kind FROM events WHERE request_id = 2 ORDER BY id) e")" \
  "anna:created,ole:accepted,ole:transferred,per:forwarded,system:mail_sent,system:received,per:replied,system:mail_sent,system:received,per:replied,per:closed,system:mail_sent" \
  "the request's history names who did what"
