# Mails that several tests send, written once. Source it after testlib.sh.

# A hard bounce (an RFC 3464 delivery-status report, as Postfix writes one) of a mail to
# jan@customer.example, on stdout. $1: the bounce's own Message-ID. $2: the Message-ID of the
# mail that bounced, returned in a text/rfc822-headers part (as `<id>` without brackets); empty:
# no returned headers, so only the report itself says what bounced.
bounce_for_jan() {
  local id=$1 original=${2:-}
  cat <<MAIL
From: Mail Delivery System <MAILER-DAEMON@mx.customer.example>
To: support@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <$id>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.customer.example

Final-Recipient: rfc822; jan@customer.example
Original-Recipient: rfc822;jan@customer.example
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <jan@customer.example>: Recipient address rejected

MAIL
  if [[ -n "$original" ]]; then
    cat <<MAIL
--B
Content-Type: text/rfc822-headers

From: support@example.com
To: jan@customer.example
Subject: [#1] Invoice 42
Message-ID: <$original>

MAIL
  fi
  echo "--B--"
}
