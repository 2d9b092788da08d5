#!/usr/bin/env bash
# IMAP intake with `run --once` against a real Dovecot: IMAPS, STARTTLS and plain mailboxes
# with the throw-away CA; a second pass stores nothing; fetching leaves mail unread; a mailbox
# with a wrong password fails (exit 75) without stopping the others; status shows it all.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

imap_server_start
mail="$HD_SOURCE_DIR/etc/demo/mail"
dovecot_deliver support "$mail"/01-*.eml "$mail"/02-*.eml "$mail"/03-*.eml
dovecot_deliver sales "$mail"/04-*.eml
dovecot_deliver other "$mail"/05-*.eml
printf 'wrong\n' > "$T/bad"
{
  config_database
  config_imap_mailbox support
  config_imap_mailbox sales 'tls = "starttls"' "port = $DOVECOT_IMAP_PORT"
  config_imap_mailbox other 'tls = "none"' "port = $DOVECOT_IMAP_PORT"
} > "$T/hd.toml"

hd -c "$T/hd.toml" run --once 2> "$T/run1.log" || { cat "$T/run1.log" >&2; fail "first pass"; }
expect_eq "$(hd_sql 'SELECT COUNT(*) FROM raw_messages')" 5 "five mails stored"
expect_eq "$(hd_sql "SELECT COUNT(*) FROM raw_messages WHERE mailbox = 'sales'")" 1 \
  "STARTTLS mailbox"
expect_eq "$(hd_sql "SELECT COUNT(*) FROM raw_messages WHERE mailbox = 'other'")" 1 \
  "plain mailbox"
expect_eq "$(hd_sql "SELECT last_uid FROM mailbox_state WHERE mailbox = 'support'")" 3 \
  "checkpoint at the highest UID"
seen=$(find "$DOVECOT_DIR/home" -path '*/cur/*' -name '*:2,*S*' | wc -l)
expect_eq "$seen" 0 "fetching did not set \\Seen (BODY.PEEK)"

hd -c "$T/hd.toml" --log-level info run --once 2> "$T/run2.log"
expect_eq "$(hd_sql 'SELECT COUNT(*) FROM raw_messages')" 5 "second pass stores nothing"
grep -q 'imap.polled mailbox=support new=0' "$T/run2.log" || fail "second pass saw new mail"

# A mailbox with a wrong password fails on its own; the others still work; exit 75.
config_imap_mailbox broken 'user = "support"' 'password_file = "bad"' >> "$T/hd.toml"
sed -e 's/^Message-ID: <[^>]*>/Message-ID: <extra-1@example.com>/' -e 's/^Subject: .*/Subject: another question/' \
  "$mail"/01-*.eml > "$T/extra.eml"
dovecot_deliver support "$T/extra.eml"
set +e
hd -c "$T/hd.toml" run --once 2> "$T/run3.log"; rc=$?
set -e
expect_eq "$rc" 75 "a failing mailbox makes --once exit 75"
expect_eq "$(hd_sql 'SELECT COUNT(*) FROM raw_messages')" 6 "the other mailboxes kept working"
hd -c "$T/hd.toml" status --json > "$T/status.json"
expect_eq "$(json '[m["mailbox"] for m in j["mailboxes"]]' < "$T/status.json")" \
  "['support', 'sales', 'other', 'broken']" "status lists every mailbox"
expect_eq "$(json 'j["mailboxes"][3]["last_error"] != ""' < "$T/status.json")" True \
  "status shows the failing mailbox's error"
expect_eq "$(json 'j["mailboxes"][0]["last_uid"]' < "$T/status.json")" 4 "status shows the checkpoint"

# A server whose certificate is not trusted is refused (verification is on).
sed -i "s|ca_file = \"$DOVECOT_CA\"|ca_file = \"/etc/ssl/certs/ca-certificates.crt\"|" "$T/hd.toml"
set +e
hd -c "$T/hd.toml" run --once 2> "$T/run4.log"; rc=$?
set -e
expect_eq "$rc" 75 "an untrusted certificate fails"
grep -q 'imap.failed mailbox=support' "$T/run4.log" || fail "no imap.failed line for support"
