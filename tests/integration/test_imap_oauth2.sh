#!/usr/bin/env bash
# XOAUTH2 against a real Dovecot whose oauth2 passdb checks every token with a token endpoint
# on 127.0.0.1 (lib/oauth2_server.py) that issues 5-second access tokens from refresh tokens.
# `helpdeskd run` with two XOAUTH2 mailboxes (IMAPS, STARTTLS) and a password one:
#   1. tokens expire during the run: the sessions log in again with refreshed tokens and mail
#      delivered afterwards is still fetched (IDLE);
#   2. the server revokes the access tokens before they expire: the rejected login is retried
#      once with a refreshed token (oauth2.rejected, then connected);
#   3. a revoked refresh token: that mailbox fails with a clear error, the others go on;
#   4. no token appears in helpdeskd's log.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"
source "$(dirname "$0")/lib/oauth2.sh"

oauth2_start "$T/oauth2" --grant support=rt-support-1 --grant sales=rt-sales-1 --ttl 5 \
  --client-id helpdeskd-test --client-secret app-secret
dovecot_oauth2_start "$T/dovecot"
mail="$HD_SOURCE_DIR/etc/demo/mail"
dovecot_deliver support "$mail/01-nl-factuur.eml"
dovecot_deliver sales "$mail/02-no-skriver.eml"
dovecot_deliver other "$mail/03-se-losenord.eml"
printf 'rt-support-1\n' > "$T/rt-support"
printf 'rt-sales-1\n' > "$T/rt-sales"
printf 'app-secret\n' > "$T/client-secret"
printf 'secret\n' > "$T/pass"
xoauth2_mailbox() {  # NAME TLS PORT
  cat <<CONF
[[mailbox]]
name = "$1"
address = "$1@example.com"
host = "127.0.0.1"
port = $3
tls = "$2"
ca_file = "$DOVECOT_CA"
user = "$1"
auth = "xoauth2"
poll_interval_s = 600
[mailbox.oauth2]
token_url = "$OAUTH2_URL/token"
allow_http = true
client_id = "helpdeskd-test"
client_secret_file = "client-secret"
refresh_token_file = "rt-$1"
scope = "mail"
CONF
}
{
  config_database
  config_table '[ack]' -- 'enabled = false'
  xoauth2_mailbox support implicit "$DOVECOT_IMAPS_PORT"
  xoauth2_mailbox sales starttls "$DOVECOT_IMAP_PORT"
  config_imap_mailbox other 'poll_interval_s = 600'
} > "$T/hd.toml"
hd -c "$T/hd.toml" config check > /dev/null || fail "config check"

count() {  # count MAILBOX
  hd_sql "SELECT COUNT(*) FROM raw_messages WHERE mailbox = '$1'" 2>/dev/null || echo 0
}
wait_for() {  # wait_for SECONDS COMMAND...: until COMMAND succeeds
  local n=$(($1 * 20)); shift
  for _ in $(seq 1 "$n"); do "$@" && return 0; sleep 0.05; done
  return 1
}
has_count() { [ "$(count "$1")" -ge "$2" ]; }
refreshes() { oauth2_stats "j['refreshes'].get('$1', 0)"; }
refreshed_since() { [ "$(refreshes "$1")" -gt "$2" ]; }
logged() { grep -q -- "$1" "$T/run.log"; }

"$HELPDESKD" -c "$T/hd.toml" run 2> "$T/run.log" &
pid=$!
trap 'rc=$?; kill -TERM $pid 2>/dev/null || true; oauth2_stop; set +e; (exit $rc); hd_test_exit' EXIT
wait_for 20 has_count support 1 && wait_for 20 has_count sales 1 && wait_for 20 has_count other 1 ||
  { cat "$T/run.log" >&2; fail "first mails not stored"; }
echo "ok: XOAUTH2 (IMAPS and STARTTLS) and password mailboxes stored their mail"

# 1. Tokens live 5 s: by now they expired and the sessions logged in again with new ones.
wait_for 20 refreshed_since support 2 || { cat "$T/run.log" >&2; fail "no refresh"; }
dovecot_lmtp support "$mail/04-en-export.eml"
wait_for 20 has_count support 2 || { cat "$T/run.log" >&2; fail "mail after refresh"; }
n=$(grep -c 'oauth2.refreshed mailbox=support' "$T/run.log")
[ "$n" -ge 3 ] || fail "support refreshed only $n times"
logged 'imap.failed mailbox=support' && fail "support failed around a token expiry"
echo "ok: token expired $((n - 1)) times, refreshed, logged in again; mail still fetched"

# 2. Long-lived tokens from now on, then revoked by the server behind helpdeskd's back.
s1=$(refreshes support) s2=$(refreshes sales)
oauth2_ctl '/control/ttl?seconds=3600'
wait_for 20 refreshed_since support "$s1" || fail "no long token"
wait_for 20 refreshed_since sales "$s2" || fail "no long token (sales)"
sleep 0.5  # the new tokens are in use
s=$(refreshes support)
oauth2_ctl /control/expire_access
kill -HUP "$pid"  # the sessions log in again, with their cached (now revoked) tokens
wait_for 20 logged 'oauth2.rejected mailbox=support' || { cat "$T/run.log" >&2; fail "no reject"; }
wait_for 20 refreshed_since support "$s" || fail "no refresh after the reject"
dovecot_lmtp support "$mail/05-en-export-followup.eml"
wait_for 20 has_count support 3 || { cat "$T/run.log" >&2; fail "mail after reject + retry"; }
logged 'imap.failed mailbox=support' && fail "support failed after a rejected token"
echo "ok: a token the server revoked is refreshed once and the login retried"

# 3. sales' refresh token is revoked: sales fails clearly, the others go on.
oauth2_ctl '/control/revoke?user=sales'
kill -HUP "$pid"
wait_for 30 logged 'imap.failed mailbox=sales' || { cat "$T/run.log" >&2; fail "sales did not fail"; }
grep 'imap.failed mailbox=sales' "$T/run.log" | head -1
logged 'imap.failed mailbox=sales.*refused the refresh token.*invalid_grant.*new refresh token is needed' ||
  fail "the sales error does not say what to do"
for n in 1 2; do
  printf 'From: Kim <kim%s@customer.example>\r\nTo: support@example.com\r\nSubject: Still there %s?\r\nMessage-ID: <oauth2-%s-%s@customer.example>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nHello.\r\n' \
    "$n" "$n" "$n" "$$" > "$T/new$n.eml"
done
dovecot_lmtp support "$T/new1.eml"
dovecot_lmtp other "$T/new2.eml"
wait_for 20 has_count support 4 && wait_for 20 has_count other 2 ||
  { cat "$T/run.log" >&2; fail "other mailboxes stopped"; }
echo "ok: a revoked refresh token fails its mailbox only"
hd -c "$T/hd.toml" status --json > "$T/status.json"
expect_eq "$(json '"invalid_grant" in j["mailboxes"][1]["last_error"]' < "$T/status.json")" True \
  "status shows sales' error"

kill -TERM "$pid"
set +e
wait "$pid"; rc=$?
set -e
expect_eq "$rc" 0 "SIGTERM exits 0"

# The same from cron: each run --once gets its own tokens; sales' failure makes it exit 75.
set +e
"$HELPDESKD" -c "$T/hd.toml" --log-level info run --once 2> "$T/once.log"; rc=$?
set -e
expect_eq "$rc" 75 "run --once with a revoked refresh token exits 75"
grep -q 'imap.polled mailbox=support' "$T/once.log" || fail "support not polled by run --once"
grep -q 'imap.failed mailbox=sales.*invalid_grant' "$T/once.log" || fail "run --once: sales error"
echo "ok: run --once logs in with a fresh token and reports the revoked one"

# 4. Secrets stay out of the log.
for s in rt-support-1 rt-sales-1 app-secret 'at-[A-Za-z0-9_-]\{8\}'; do
  grep -q -- "$s" "$T/run.log" "$T/once.log" && fail "a secret ($s) is in the log"
done
echo "ok: no token or secret in the log"
echo "measured: refreshes $(oauth2_stats 'j["refreshes"]'), introspections $(oauth2_stats 'j["introspections"]'), refused $(oauth2_stats 'j["rejected"]')"
