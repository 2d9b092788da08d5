#!/usr/bin/env bash
# An agent answers a customer and forwards the request to a vendor: both mails are queued in
# the outbox with the request tag and threading headers, the agent's signature, and events;
# the customer's answer and the vendor's answer both thread back into the request.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

{
  config_database
  config_table '[ack]' -- 'enabled = false'
  config_table '[outgoing]' -- 'from_name = "Example Support"' 'from_address = "support@example.com"' \
    'message_id_domain = "helpdesk.example.com"'   # no templates_dir: no --template here
  config_user anna 'name = "Anna Jansen"' 'signature = "Anna Jansen, Example Support"'
} > "$T/hd.toml"
h() { hd -c "$T/hd.toml" "$@"; }
export HELPDESKD_AGENT=anna
h ingest < "$HD_SOURCE_DIR/etc/demo/mail/02-no-skriver.eml"

out=$(h requests reply 1 --text "Hei Åsa, prøv å oppdatere driveren." --json)
mid=$(echo "$out" | json 'j["message_id"]')
expect_eq "$(echo "$out" | json 'j["to"]')" asa@fjordkraft-eksempel.no "the reply goes to the customer"
hd_bytes "SELECT bytes FROM outbox WHERE kind = 'reply'" > "$T/reply.eml"
grep -q '^In-Reply-To: <c0ffee.1@fjordkraft-eksempel.no>' "$T/reply.eml" || fail "no In-Reply-To"
grep -q '^Subject: =?utf-8?b?WyMxXSBTa3JpdmVyZW4' "$T/reply.eml" || fail "the subject lacks the [#1] tag"
grep -q '^Auto-Submitted' "$T/reply.eml" && fail "a person's reply is not Auto-Submitted"
/usr/bin/python3 - "$T/reply.eml" <<'PY' || fail "the reply does not decode to the text and signature"
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
body = m.get_body().get_content()
assert "prøv å oppdatere" in body and "-- \nAnna Jansen, Example Support" in body, body
assert str(m["subject"]) == "[#1] Skriveren på kontoret virker ikke", m["subject"]
PY
echo "ok: subject tag, threading headers, text and signature"
expect_eq "$(hd_sql "SELECT CASE WHEN first_response_at IS NOT NULL THEN 1 ELSE 0 END FROM requests WHERE id = 1")" 1 \
  "the reply is the first response"

fwd=$(h requests forward 1 vendor@printers.example --text "Known issue?" --json | json 'j["message_id"]')
expect_eq "$(hd_sql "SELECT recipients FROM outbox WHERE kind = 'forward'")" vendor@printers.example \
  "the forward goes to the vendor"
expect_eq "$(hd_sql "SELECT $(hd_concat kind) FROM (SELECT kind FROM events WHERE actor = 'anna' ORDER BY id) e")" \
  "replied,forwarded" "events name the agent"

printf 'From: =?utf-8?q?=C3=85sa?= <asa@fjordkraft-eksempel.no>\r\nSubject: Re: [#1] Skriveren\r\nMessage-ID: <a2@f>\r\nIn-Reply-To: <%s>\r\n\r\nDet virket!\r\n' "$mid" \
  | h ingest --json > "$T/a.json"
expect_eq "$(json 'j["result"], j["request"]' < "$T/a.json")" "appended 1" "the customer's answer threads in"
printf 'From: Vendor <vendor@printers.example>\r\nSubject: Re: Fwd\r\nMessage-ID: <v1@p>\r\nIn-Reply-To: <%s>\r\n\r\nYes, driver 4.2 fixes it.\r\n' "$fwd" \
  | h ingest --json > "$T/v.json"
expect_eq "$(json 'j["result"], j["request"]' < "$T/v.json")" "appended 1" "the vendor's answer threads back"
set +e
h requests reply 1 --text "   " 2>/dev/null; rc=$?
set -e
expect_eq "$rc" 64 "an empty reply is refused"
