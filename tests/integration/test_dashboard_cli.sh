#!/usr/bin/env bash
# Views: deadlines from the priorities, the dashboard (text and JSON), `requests next` handing
# out the nearest deadline first, and the admin lists with open counts.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

{
  config_database
  config_priority normal 'first_response_hours = 8' 'resolution_hours = 72' 'default = true'
  config_priority urgent 'first_response_hours = 1' 'resolution_hours = 8'
  config_users anna ole
} > "$T/hd.toml"
h() { hd -c "$T/hd.toml" "$@"; }
for f in "$HD_SOURCE_DIR"/etc/demo/mail/0[1-4]*.eml; do h ingest < "$f"; done
export HELPDESKD_AGENT=anna

h requests set 3 --priority urgent >/dev/null
expect_eq "$(h requests next --json | json 'j["id"]')" 3 "next hands out the urgent request first"
expect_eq "$(h requests next --as ole --json | json 'j["id"]')" 1 "then the oldest with the nearest deadline"
h requests postpone 2 --until +1m >/dev/null
h dashboard --json > "$T/d.json"
expect_eq "$(json '[r["id"] for r in j["mine"]]' < "$T/d.json")" "[3]" "anna's open requests"
expect_eq "$(json '[r["id"] for r in j["unassigned"]]' < "$T/d.json")" "[4]" "the unassigned queue"
expect_eq "$(json 'j["mine"][0]["first_response_due"] is not None' < "$T/d.json")" True "due times are set"
h dashboard > "$T/d.txt"
grep -q "My open requests (1)" "$T/d.txt" || fail "text dashboard lacks its sections"
grep -q $'\033' "$T/d.txt" && fail "no colour codes when stdout is not a terminal"
echo "ok: plain text when not a terminal"
expect_eq "$(h users --json | json '[(u["login"], u["open"]) for u in j]')" "[('anna', 1), ('ole', 1)]" \
  "users with open counts"
expect_eq "$(h priorities --json | json '[(p["name"], p["open"]) for p in j]')" "[('normal', 2), ('urgent', 1)]" \
  "priorities with open counts"
set +e
env -u HELPDESKD_AGENT "$HELPDESKD" -c "$T/hd.toml" dashboard 2>/dev/null; rc=$?
set -e
expect_eq "$rc" 64 "the dashboard needs to know who is asking"
set +e
out=$(h dashboard --as zzz 2>&1); rc=$?
set -e
expect_eq "$rc" 64 "dashboard --as an unknown user is refused"
case "$out" in *"no user 'zzz'; known users: anna, ole"*) ;; *) fail "the refusal names the known users: $out";; esac
echo "ok: dashboard --as zzz names the known users"
set +e
out=$(h requests next --as zzz 2>&1); rc=$?
set -e
expect_eq "$rc" 64 "requests next --as an unknown user is refused"
case "$out" in *"known users: anna, ole"*) ;; *) fail "next's refusal names the known users: $out";; esac

# A cron setup (run --once, no mailboxes) wakes a postponed request whose time has come.
h requests postpone 4 --until +1m >/dev/null
hd_sql "UPDATE requests SET postponed_until = 1 WHERE id = 4"
h run --once 2>/dev/null
expect_eq "$(hd_sql "SELECT status FROM requests WHERE id = 4")" open "run --once wakes postponed requests"
