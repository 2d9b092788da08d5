#!/usr/bin/env bash
# Delivery through the outbox: a receiver answering 4xx defers (nothing lost), and after it
# recovers the acknowledgement arrives exactly once; a stopped receiver likewise; a 5xx marks
# the mail failed with the server's reply as an event and suppresses the address.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

smtp_start "$T/smtp"
{
  config_database
  config_outgoing
  config_smtp 'timeout_s = 10'
} > "$T/hd.toml"
mail="$HD_SOURCE_DIR/etc/demo/mail"
db() { hd_sql "$1"; }
received() { find "$T/smtp" -name '*.eml' | wc -l; }

# 1. 451 at DATA, then recovery.
echo tempfail > "$T/smtp/mode"
hd -c "$T/hd.toml" ingest < "$mail/01-nl-factuur.eml"
drain_rc() {  # drain_rc FILE: outbox drain --json into FILE, prints the exit code
  set +e
  hd -c "$T/hd.toml" outbox drain --json > "$1"
  echo $?
  set -e
}
expect_eq "$(drain_rc "$T/d1.json")" 75 "nothing could be sent, a retry will come: exit 75"
expect_eq "$(json 'j["deferred"]' < "$T/d1.json")" 1 "451 defers"
expect_eq "$(db "SELECT status || ' ' || attempts FROM outbox WHERE id = 1")" "queued 1" "queued again"
case "$(db "SELECT last_error FROM outbox WHERE id = 1")" in
  451*) echo "ok: the server's reply is kept" ;; *) fail "last_error: $(db "SELECT last_error FROM outbox")" ;;
esac
expect_eq "$(db "SELECT next_attempt_at - (SELECT MAX(claimed_at) FROM outbox) FROM outbox WHERE id = 1")" 300 \
  "first backoff is 5 minutes"
hd -c "$T/hd.toml" outbox drain --json > "$T/d2.json"
expect_eq "$(json 'j["attempted"]' < "$T/d2.json")" 0 "not due again before the backoff"
rm "$T/smtp/mode"
hd -c "$T/hd.toml" outbox retry 1 >/dev/null
hd -c "$T/hd.toml" outbox drain --json > "$T/d3.json"
expect_eq "$(json 'j["sent"]' < "$T/d3.json")" 1 "sent after recovery"
hd -c "$T/hd.toml" outbox drain --json > "$T/d4.json"
expect_eq "$(json 'j["attempted"]' < "$T/d4.json")" 0 "nothing left"
expect_eq "$(received)" 1 "delivered exactly once"

# 2. The receiver is down: connection refused is temporary; nothing is lost.
smtp_stop
hd -c "$T/hd.toml" ingest < "$mail/02-no-skriver.eml"
hd -c "$T/hd.toml" ingest < "$mail/03-se-losenord.eml"
expect_eq "$(drain_rc "$T/d5.json")" 75 "receiver down: exit 75"
expect_eq "$(json 'j["deferred"]' < "$T/d5.json")" 2 "receiver down: both deferred"
smtp_start "$T/smtp"
hd -c "$T/hd.toml" outbox retry 2 >/dev/null
hd -c "$T/hd.toml" outbox retry 3 >/dev/null
hd -c "$T/hd.toml" outbox drain --json > "$T/d6.json"
expect_eq "$(json 'j["sent"]' < "$T/d6.json")" 2 "both sent when it is back"
expect_eq "$(received)" 3 "every acknowledgement arrived once"
expect_eq "$(db "SELECT COUNT(*) FROM outbox WHERE status = 'sent'")" 3 "all marked sent"

# 3. 550: failed for good, the reply on the request, the address suppressed.
echo permfail > "$T/smtp/mode"
hd -c "$T/hd.toml" ingest < "$mail/04-en-export.eml"
expect_eq "$(drain_rc "$T/d7.json")" 1 "every due mail failed for good: exit 1"
expect_eq "$(json 'j["failed"]' < "$T/d7.json")" 1 "550 fails"
expect_eq "$(db "SELECT status FROM outbox WHERE id = 4")" failed "marked failed"
case "$(db "SELECT detail FROM events WHERE kind = 'mail_failed'")" in
  *"550 5.1.1 mailbox unavailable"*) echo "ok: the server's reply is an event on the request" ;;
  *) fail "event: $(db "SELECT detail FROM events WHERE kind = 'mail_failed'")" ;;
esac
expect_eq "$(db "SELECT address FROM suppressions")" emily.carter@example.co.uk "address suppressed"
hd -c "$T/hd.toml" outbox list --json > "$T/list.json"
expect_eq "$(json '[i["status"] for i in j]' < "$T/list.json")" "['failed', 'sent', 'sent', 'sent']" \
  "outbox list"
rm "$T/smtp/mode"
hd -c "$T/hd.toml" outbox retry >/dev/null
hd -c "$T/hd.toml" outbox drain >/dev/null
expect_eq "$(received)" 4 "a retried failure is delivered"
