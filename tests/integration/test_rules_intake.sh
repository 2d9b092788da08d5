#!/usr/bin/env bash
# Rules in pipe mode: the config's Sieve file routes mail into categories with owners from the
# assignment method, `discard` makes no request but keeps the raw mail with the rule's line,
# and a rules file that does not compile is a temporary failure (75), never a lost mail.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

{
  config_database
  config_table '[rules]' -- 'file = "rules.sieve"'
  config_priority normal 'default = true'
  config_priority urgent
  config_users anna ole
  config_category general
  config_category billing 'assignment = "round_robin"' 'members = ["anna", "ole"]'
  config_mailbox 'category = "general"'
} > "$T/hd.toml"
cat > "$T/rules.sieve" <<'S'
require ["fileinto", "vnd.helpdeskd"];
if header :contains "subject" ["factuur", "invoice"] { fileinto "billing"; priority "urgent"; }
if address :domain "from" "example.co.uk" {
  discard;
}
S
mail="$HD_SOURCE_DIR/etc/demo/mail"

out=$(hd -c "$T/hd.toml" rules check --json)
expect_eq "$(echo "$out" | json 'j["ok"]')" True "rules check accepts the file"

hd -c "$T/hd.toml" ingest --mailbox support < "$mail/01-nl-factuur.eml"
sed -e 's/Message-ID: <20261116091244.4711/Message-ID: <second/' "$mail/01-nl-factuur.eml" |
  hd -c "$T/hd.toml" ingest --mailbox support
hd -c "$T/hd.toml" ingest --mailbox support < "$mail/02-no-skriver.eml"
q() { hd_sql "$1"; }
expect_eq "$(q "SELECT $(hd_concat line ' ') FROM
               (SELECT c.name || '/' || COALESCE(u.login, '-') || '/' || r.priority AS line
                  FROM requests r LEFT JOIN categories c ON c.id = r.category_id
                  LEFT JOIN users u ON u.id = r.owner_id ORDER BY r.id) x")" \
  "billing/anna/urgent billing/ole/urgent general/-/normal" \
  "category, round-robin owner and priority from the rules and config"

set +e
hd -c "$T/hd.toml" ingest --mailbox support < "$mail/04-en-export.eml"; rc=$?
set -e
expect_eq "$rc" 0 "a discarded mail exits 0 (the mail server must not bounce it)"
expect_eq "$(q 'SELECT COUNT(*) FROM requests')" 3 "discard makes no request"
expect_eq "$(q "SELECT reason || ' ' || resolution FROM quarantine")" \
  "discarded by $T/rules.sieve:4 discarded" "the raw mail is kept with the rule's file and line"

echo 'if header :bogus "x" "y" { keep; }' > "$T/rules.sieve"
set +e
hd -c "$T/hd.toml" ingest --mailbox support < "$mail/03-se-losenord.eml"; rc=$?
out=$(hd -c "$T/hd.toml" rules check 2>&1); check_rc=$?
set -e
expect_eq "$rc" 75 "broken rules: temporary failure, the mail server retries"
expect_eq "$check_rc" 65 "rules check exits 65 on errors"
echo "$out" | grep -q "rules.sieve:1:11: error: unknown tag ':bogus' for 'header'" ||
  fail "rules check names file:line:column: $out"
echo "$out" | grep -qE '^     \| {11}\^$' || fail "rules check draws a caret: $out"
echo "ok: rules check output"
