#!/usr/bin/env bash
# The test servers themselves: Dovecot answers IMAP (plain and TLS with our throw-away CA) and
# takes LMTP delivery; the SMTP receiver stores what it is sent and can be told to fail.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

dovecot_start "$T/dovecot"
smtp_start "$T/smtp"
dovecot_lmtp support "$HD_SOURCE_DIR"/etc/demo/mail/01-nl-factuur.eml
dovecot_deliver support "$HD_SOURCE_DIR"/etc/demo/mail/02-no-skriver.eml
out=$(curl -s --url "imap://127.0.0.1:$DOVECOT_IMAP_PORT/INBOX" -u support:secret -X 'UID SEARCH ALL')
expect_eq "$(echo "$out" | tr -d '\r')" "* SEARCH 1 2" "two mails in INBOX over plain IMAP"
out=$(curl -s --cacert "$DOVECOT_CA" --url "imaps://localhost:$DOVECOT_IMAPS_PORT/INBOX" -u support:secret -X 'UID SEARCH ALL')
expect_eq "$(echo "$out" | tr -d '\r')" "* SEARCH 1 2" "the same over IMAPS, verified against the test CA"
set +e
curl -s --url "imaps://localhost:$DOVECOT_IMAPS_PORT/INBOX" -u support:secret -X 'NOOP' >/dev/null; rc=$?
set -e
[ "$rc" -ne 0 ] || fail "IMAPS without the test CA must fail verification"
echo "ok: an unknown CA is refused"

/usr/bin/python3 - "$SMTP_PORT" <<'PY'
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
s.sendmail("a@example.com", ["b@example.org"], b"Subject: t\r\n\r\nhello\r\n")
s.quit()
PY
expect_eq "$(ls "$SMTP_DIR"/*.eml | wc -l)" 1 "the SMTP receiver stored one message"
echo tempfail > "$SMTP_DIR/mode"
/usr/bin/python3 - "$SMTP_PORT" <<'PY' || fail "tempfail mode must answer 451"
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]))
try:
    s.sendmail("a@example.com", ["b@example.org"], b"Subject: t\r\n\r\nhello\r\n")
    sys.exit(1)
except smtplib.SMTPDataError as e:
    sys.exit(0 if e.smtp_code == 451 else 1)
PY
echo "ok: tempfail mode answers 451"
