#!/usr/bin/env bash
# The product's seed scenario, end to end over the real paths: a customer mails support@
# (Dovecot, IMAPS); helpdeskd takes it in and acknowledges it in Norwegian (SMTP receiver);
# anna accepts it and transfers it to ole with a note; ole answers the customer (SMTP); the
# customer's answer arrives by LMTP in Dovecot and threads back into the request over IMAP;
# ole closes it.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

imap_server_start
smtp_start "$T/smtp"
{
  config_database
  config_outgoing 'from_name = "Example Support"' 'message_id_domain = "helpdesk.example.com"'
  config_smtp 'helo_name = "helpdesk.example.com"'
  config_user anna
  config_user ole 'name = "Ole Hansen"' 'signature = "Ole Hansen, Example Support"'
  config_imap_mailbox support 'language = "en"'
} > "$T/hd.toml"
h() { hd -c "$T/hd.toml" "$@"; }
sent() { find "$SMTP_DIR" -name '*.eml' | sort; }

dovecot_lmtp support "$HD_SOURCE_DIR/etc/demo/mail/02-no-skriver.eml"
h run --once 2> "$T/run1.log" || { cat "$T/run1.log" >&2; fail "first pass"; }
expect_eq "$(sent | wc -l)" 1 "the customer got one acknowledgement"
ack=$(sent | head -1)
grep -q '^To: .*<asa@fjordkraft-eksempel.no>' "$ack" || fail "the acknowledgement is not to the customer"
/usr/bin/python3 - "$ack" <<'PY' || fail "the acknowledgement is not Norwegian, tagged and threaded"
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
assert str(m["subject"]).startswith("[#1]"), m["subject"]
assert m["in-reply-to"] == "<c0ffee.1@fjordkraft-eksempel.no>", m["in-reply-to"]
assert m["auto-submitted"] == "auto-replied"
assert m["content-language"] == "no", m["content-language"]
PY
echo "ok: acknowledged in Norwegian, [#1] in the subject, threaded to the customer's mail"

export HELPDESKD_AGENT=anna
h requests accept 1 >/dev/null
h requests transfer 1 ole --note "Printer in Tromsø: you set it up" >/dev/null
h requests reply 1 --as ole --text "Hei Åsa, vi har sendt en ny driver." >/dev/null
h run --once 2> "$T/run2.log"   # sends the outbox
expect_eq "$(sent | wc -l)" 2 "ole's reply reached the SMTP receiver"
reply=$(sent | tail -1)
grep -q 'Ole Hansen, Example Support' "$reply" || fail "the reply lacks ole's signature"
reply_id=$(grep -m1 -i '^Message-ID:' "$reply" | sed 's/^[^<]*//' | tr -d '\r')

printf 'From: =?utf-8?q?=C3=85sa_Bj=C3=B8rnstad?= <asa@fjordkraft-eksempel.no>\r\nTo: support@example.com\r\nSubject: Re: [#1] Skriveren\r\nMessage-ID: <c0ffee.2@fjordkraft-eksempel.no>\r\nIn-Reply-To: %s\r\n\r\nTusen takk, den virker!\r\n' "$reply_id" > "$T/answer.eml"
dovecot_lmtp support "$T/answer.eml"
h run --once 2> "$T/run3.log"
expect_eq "$(h requests list --status all --json | json 'len(j)')" 1 "the customer's answer made no new request"
expect_eq "$(h requests list --json | json 'j[0]["messages"]')" 5 \
  "request #1: mail, acknowledgement, transfer note, reply, answer"
expect_eq "$(sent | wc -l)" 2 "no acknowledgement for the follow-up"
h requests close 1 --as ole >/dev/null
expect_eq "$(h requests list --status closed --json | json 'j[0]["owner"]')" ole "ole closed it"
expect_eq "$(hd_sql "SELECT $(hd_concat kind) FROM (SELECT kind FROM events WHERE request_id = 1 ORDER BY id) e")" \
  "created,ack_queued,mail_sent,accepted,transferred,replied,mail_sent,received,closed" "the request's history"
