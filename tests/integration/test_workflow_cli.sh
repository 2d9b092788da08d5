#!/usr/bin/env bash
# The agent workflow from the command line: a mail comes in, an agent accepts it, transfers it
# to a colleague with a note, the colleague postpones and closes it; duplicates are merged; a
# mail holding two problems is split; misuse gives a clear error and a non-zero exit.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

{
  config_database
  config_priority normal 'default = true'
  config_priority urgent
  config_users anna ole
  config_category general 'members = ["anna", "ole"]'
} > "$T/hd.toml"
h() { hd -c "$T/hd.toml" "$@"; }
mail="$HD_SOURCE_DIR/etc/demo/mail"
h ingest < "$mail/02-no-skriver.eml"
export HELPDESKD_AGENT=anna

expect_eq "$(h requests accept 1 --json | json 'j["action"]')" accepted "anna accepts #1"
set +e
out=$(h requests accept 1 --as ole 2>&1); rc=$?
set -e
expect_eq "$rc" 65 "ole cannot take an owned request without --force"
case "$out" in *"owned by anna: use --force"*) echo "ok: the error says why and what to do";; *) fail "unclear error: $out";; esac
h requests transfer 1 ole --note "Printer in Tromsø: you know that model" >/dev/null
expect_eq "$(h requests list --owner ole --json | json 'len(j)')" 1 "ole owns it after the transfer"
h requests set 1 --as ole --priority urgent --tag hardware >/dev/null
expect_eq "$(h requests list --json | json 'j[0]["priority"]')" urgent "priority changed"
h requests postpone 1 --as ole --until +2d >/dev/null
expect_eq "$(h requests list --status pending --json | json 'len(j)')" 1 "postponed requests are pending"
h requests close 1 --as ole >/dev/null
expect_eq "$(h requests list --status closed --json | json 'len(j)')" 1 "closed"
set +e
h requests close 1 --as ole 2>/dev/null; rc=$?
set -e
expect_eq "$rc" 65 "closing twice is an error"

id=$(h requests create --email kari@example.no --name "Kari Nordmann" --title "Phone: VPN drops" \
       --text "Called at 10:15" --json | json 'j["request"]')
dup=$(h requests create --email kari@example.no --title "Phone: VPN again" --json | json 'j["request"]')
h requests merge "$dup" --into "$id" >/dev/null
expect_eq "$(h requests list --status merged --json | json 'j[0]["id"]')" "$dup" "the duplicate is merged"
set +e
h requests close "$dup" 2>/dev/null; rc=$?
set -e
expect_eq "$rc" 65 "a merged request cannot be closed"
note=$(h requests note "$id" --text "Also asks about a new laptop" --json | json 'j["message"]')
new=$(h requests split "$id" --message "$note" --json | json 'j["new_request"]')
[ "$new" -gt "$dup" ] || fail "split made no new request"
echo "ok: split made request #$new"
h requests flag 1 --json >/dev/null 2>&1 || true
set +e
h requests accept 1 --as nobody-here 2>/dev/null; rc=$?
set -e
expect_eq "$rc" 64 "an unknown agent is a usage error"
expect_eq "$(hd_sql "SELECT COUNT(*) FROM events WHERE actor = 'ole'")" 4 "every action by ole is an event"
