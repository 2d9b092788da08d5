#!/usr/bin/env bash
# Sieve `redirect`: the copy is queued with the request (or, without keep, with the raw mail
# kept like a discarded one) and arrives at the SMTP receiver unchanged (original body, our
# X-Sieve fields, no Return-Path) for the redirect address only; our own addresses and mail
# that already passed through us are never redirected; an event on the request says so.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

smtp_start "$T/smtp"
{
  config_database
  config_table '[rules]' -- 'file = "rules.sieve"'
  config_table '[ack]' -- 'enabled = false'
  config_table '[outgoing]' -- 'from_address = "support@example.com"'   # no templates_dir
  config_smtp 'timeout_s = 10'
  config_mailbox
} > "$T/hd.toml"
cat > "$T/rules.sieve" <<'S'
require ["vnd.helpdeskd"];
if header :contains "subject" "Factuur" { redirect "finance@company.example"; keep; }
if address :domain "from" "example.co.uk" { redirect "uk-team@company.example"; }
if header :contains "subject" "wachtwoord" { redirect "support@example.com"; }
S
mail="$HD_SOURCE_DIR/etc/demo/mail"
q() { hd_sql "$1"; }

# 1. redirect + keep: a request, and a copy to finance@.
hd -c "$T/hd.toml" ingest --mailbox support < "$mail/01-nl-factuur.eml"
expect_eq "$(q "SELECT kind || ' ' || recipients || ' ' || mail_from || ' ' || request_id FROM outbox")" \
  "redirect finance@company.example support@example.com 1" "the copy is queued with the request"
expect_eq "$(q "SELECT detail FROM events WHERE kind = 'redirect_queued'")" \
  "a copy redirected to finance@company.example" "an event on the request"

# 2. redirect only: no request, the raw mail kept, the copy queued without a request.
hd -c "$T/hd.toml" ingest --mailbox support < "$mail/04-en-export.eml"
expect_eq "$(q 'SELECT COUNT(*) FROM requests')" 1 "a mail only redirected makes no request"
case "$(q "SELECT reason FROM quarantine ORDER BY id DESC LIMIT 1")" in
  *"without keep; a copy redirected to uk-team@company.example") echo "ok: kept raw, with the reason" ;;
  *) fail "reason: $(q "SELECT reason FROM quarantine")" ;;
esac
expect_eq "$(q "SELECT COALESCE(CAST(request_id AS TEXT), 'none') FROM outbox WHERE id = 2")" none \
  "queued without a request"
# The same mail piped again (a mail server retrying a delivery), with and without keep: no
# second copy, no second record.
hd -c "$T/hd.toml" ingest --mailbox support < "$mail/04-en-export.eml"
hd -c "$T/hd.toml" ingest --mailbox support < "$mail/01-nl-factuur.eml"
expect_eq "$(q 'SELECT COUNT(*) FROM outbox')" 2 "a mail piped twice is redirected once"
expect_eq "$(q 'SELECT COUNT(*) FROM quarantine')" 1 "and kept once"

# 3. Never to our own address.
sed -e 's/^Subject: .*/Subject: wachtwoord vergeten/' -e 's/Message-ID: <2026/Message-ID: <pw2026/' \
  "$mail/01-nl-factuur.eml" | hd -c "$T/hd.toml" ingest --mailbox support
expect_eq "$(q 'SELECT COUNT(*) FROM outbox')" 2 "nothing queued to our own address"
case "$(q "SELECT reason FROM quarantine ORDER BY id DESC LIMIT 1")" in
  *"redirect to support@example.com suppressed: it is one of our own addresses") echo "ok: the reason says why" ;;
  *) fail "reason: $(q "SELECT reason FROM quarantine")" ;;
esac

# 4. A mail we redirected before is not redirected again (loop).
{ printf 'X-Sieve-Redirected-From: support@example.com\n'
  sed -e 's/Message-ID: <CAF=/Message-ID: <loop/' "$mail/04-en-export.eml"; } |
  hd -c "$T/hd.toml" ingest --mailbox support
expect_eq "$(q 'SELECT COUNT(*) FROM outbox')" 2 "a mail that passed through us is not redirected"
case "$(q "SELECT reason FROM quarantine ORDER BY id DESC LIMIT 1")" in
  *"been through us before (X-Sieve-Redirected-From)") echo "ok: loop named in the reason" ;;
  *) fail "reason: $(q "SELECT reason FROM quarantine")" ;;
esac

# 5. Delivery: the copies arrive with the original body, to the redirect address only.
hd -c "$T/hd.toml" outbox drain --json > "$T/drain.json"
expect_eq "$(json 'j["sent"]' < "$T/drain.json")" 2 "both copies sent"
# The two are sent in parallel: which arrives first varies. first is the copy to finance.
first=000001 second=000002
grep -q finance@company.example "$T/smtp/000001.json" || { first=000002 second=000001; }
env1=$(cat "$T/smtp/$first.json")
expect_eq "$(echo "$env1" | json 'j["rcpt_tos"]')" "['finance@company.example']" "envelope recipient"
expect_eq "$(echo "$env1" | json 'j["mail_from"]')" "support@example.com" "envelope sender is ours"
tr -d '\r' < "$T/smtp/$first.eml" > "$T/got1.eml"
head -2 "$T/got1.eml" > "$T/head1"
expect_eq "$(cat "$T/head1")" "X-Sieve: helpdeskd
X-Sieve-Redirected-From: support@example.com" "Pigeonhole's fields first"
# Everything after them is the original mail, byte for byte.
tail -n +3 "$T/got1.eml" > "$T/rest1.eml"
tr -d '\r' < "$mail/01-nl-factuur.eml" | cmp -s "$T/rest1.eml" - || fail "the copy differs from the original"
echo "ok: the copy is the original mail"
expect_eq "$(cat "$T/smtp/$second.json" | json 'j["rcpt_tos"]')" "['uk-team@company.example']" \
  "the redirect-only copy arrives too"
grep -q "Export to CSV drops the last row" "$T/smtp/$second.eml" || fail "subject missing"
echo "ok: redirect-only copy has the original subject"
