#!/usr/bin/env bash
# An admin's first week (issue 19): mistakes caught by the check commands before they cost
# mail. A misspelt [ack] template fails `config check` and `templates check` and warns in
# `rules check`; at run time each suppressed acknowledgement is logged with its reason; an
# unknown template variable is named with file:line:column; the shipped rules draw no
# warning, a catch-all `category` does. And the CLI tells the whole story: lists show
# priority, category and tags; split names the new request and records both ends; times are
# local with their offset (TZ); postpone reads tomorrow / monday 09:00 / +3d; status shows
# the last SMTP error.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

cp -r "$HD_SOURCE_DIR/etc/templates" "$T/templates"
{
  config_database
  config_outgoing "templates_dir = \"templates\""
  config_table '[ack]' -- 'template = "acme-akc"'
  config_priority normal 'default = true'
  config_priority urgent
  config_users anna ole
  config_category general
  config_category billing
  config_mailbox 'category = "general"'
} > "$T/hd.toml"
h() { hd -c "$T/hd.toml" "$@"; }

# --- [ack] template names a template that does not exist ---
run h config check
expect_eq "$rc" 78 "config check fails on an unknown [ack] template"
has '[ack] template = "acme-akc": no such template in' "config check names the setting"
has "(there are: ack, answer)" "config check lists the templates there are"
run h templates check
expect_eq "$rc" 78 "templates check fails on it too"
has '[ack] template = "acme-akc"' "templates check names it"
cp "$HD_SOURCE_DIR/etc/rules.sieve" "$T/rules.sieve"
run h rules check "$T/rules.sieve"
expect_eq "$rc" 0 "rules check: the rules themselves are fine"
has 'warning: ' "rules check warns about the config's [ack] template"
has '[ack] template = "acme-akc"' "rules check names it"

# At run time: no acknowledgement, and the log says why (a warning: the fault is ours).
run h ingest --mailbox support < "$HD_SOURCE_DIR/etc/demo/mail/04-en-export.eml"
expect_eq "$rc" 0 "the mail is stored"
has "warn ack.suppressed mailbox=support request=1 reason=\"no template named 'acme-akc'\"" \
  "the suppressed acknowledgement is logged with its reason"
# A robot's mail is not acknowledged either; that is logged as information.
printf 'From: noreply@shop.example\r\nTo: support@example.com\r\nSubject: Your order\r\nAuto-Submitted: auto-generated\r\nMessage-ID: <robot.1@shop.example>\r\n\r\nShipped.\r\n' > "$T/robot.eml"
run h ingest --mailbox support < "$T/robot.eml"
has "info ack.suppressed mailbox=support request=2 reason=" "a robot's mail: logged as info"

# --- the shipped rules draw no warning; a catch-all category does ---
sed -i 's/acme-akc/ack/' "$T/hd.toml"
run h config check
expect_eq "$rc" 0 "config check passes with the template fixed"
expect_eq "$(h rules check "$T/rules.sieve" --json | json 'j["warnings"]')" "[]" \
  "the shipped rules.sieve: no warnings"
printf '\ncategory "general";\n' >> "$T/rules.sieve"
run h rules check "$T/rules.sieve"
expect_eq "$rc" 0 "a warning does not fail rules check"
line=$(grep -n '^category "general";' "$T/rules.sieve" | cut -d: -f1)
has "rules.sieve:$line:1: warning: \`category \"general\";\` sets the category of every mail" \
  "rules check warns about a catch-all category, with its line"
has "the mailbox's own \`category\` is never used" "and says which setting it hides"

# --- template variables and syntax ---
printf -- '--- subject\nEingang: {{original_subject}}\n--- text\nHallo {{persn.name}},\nKundennummer: {{customer.number}}\n' \
  > "$T/templates/ack/de.mustache"
run h templates check
expect_eq "$rc" 78 "templates check fails on unknown variables"
has "templates/ack/de.mustache:4:7: unknown variable 'persn.name' (did you mean 'person.name'?)" \
  "an unknown variable with file:line:column and the nearest name"
has "templates/ack/de.mustache:5:15: unknown variable 'customer.number'" "every one of them"
printf -- '--- subject\nS\n--- text\n{{#company}}\nx\n' > "$T/templates/ack/de.mustache"
run h templates check
expect_eq "$rc" 78 "templates check fails on a syntax error"
has "templates/ack/de.mustache:4:1: '{{#company}}' is never closed" "a syntax error with line and column"

# --- logs: a syslog priority under systemd, a timestamp elsewhere; run --once is quiet ---
printf 'From: a@b.example\r\nSubject: log\r\nMessage-ID: <log.1@b.example>\r\n\r\nx\r\n' > "$T/log.eml"
out=$(JOURNAL_STREAM=8:1234 hd -c "$T/hd.toml" --log-level info ingest --mailbox support < "$T/log.eml" 2>&1)
has "<6>info ingest.stored" "under systemd each line starts with its syslog priority"
printf 'From: a@b.example\r\nSubject: log\r\nMessage-ID: <log.2@b.example>\r\n\r\nx\r\n' > "$T/log.eml"
out=$(env -u JOURNAL_STREAM "$HELPDESKD" -c "$T/hd.toml" --log-level info ingest --mailbox support < "$T/log.eml" 2>&1)
echo "$out" | grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-][0-9]{2}:[0-9]{2} info ingest.stored' ||
  fail "elsewhere a timestamp leads each line: $out"
echo "ok: a timestamp leads each line"
config_database > "$T/cron.toml"  # a cron pass: no mailboxes to poll
out=$(env -u JOURNAL_STREAM "$HELPDESKD" -c "$T/cron.toml" run --once 2>&1)
echo "$out" | grep -q ' info ' && fail "run --once prints info lines (cron would mail them): $out"
echo "ok: run --once prints no info lines"
out=$(env -u JOURNAL_STREAM "$HELPDESKD" -c "$T/cron.toml" --log-level info run --once 2>&1)
has "info run.finished" "--log-level info brings the info lines back"

# --- the CLI tells the whole story ---
out=$(h requests list)
has "PRIORITY  CATEGORY" "requests list has priority and category columns"
echo "$out" | grep -qE '^ +1  open +normal +general ' || fail "request 1's priority and category: $out"
export HELPDESKD_AGENT=anna
note=$(h requests note 1 --text "A second topic" --json | json 'j["message"]')
out=$(h requests split 1 --message "$note")
echo "$out" | grep -qE '^new request #[0-9]+$' || fail "split prints the new request's id: $out"
echo "ok: split prints the new request's id"
fresh=$(echo "$out" | sed -n 's/^new request #//p')
has "request #1: split" "split says what it did"
out=$(h requests show 1)
has "anna       split: into #$fresh" "the old request records where the messages went"
out=$(h requests show "$fresh")
has "anna       created: split from #1" "the new request records where they came from"

# Lists show tags (text and --json) beside priority and category.
h requests set 1 --tag vip --tag export > /dev/null
out=$(h requests list)
has "TAGS" "requests list has a tags column"
echo "$out" | grep -qE '^ +1  open +normal +general +[^ ]+ +.* export,vip +' ||
  fail "request 1's tags in the list: $out"
echo "ok: request 1's tags are listed"
expect_eq "$(h requests list --json | json '[r["tags"] for r in j if r["id"] == 1][0]')" \
  "['export', 'vip']" "requests list --json has the tags"

# Times people read: local time with its offset, in text and --json; postpone takes
# tomorrow, weekdays and +N, and lists the accepted forms when it cannot read one.
export TZ=Asia/Kolkata  # +05:30 all year: no daylight saving to race with
out=$(h requests show 1)
echo "$out" | grep -qE '^Created: [0-9-]{10}T[0-9:]{8}\+05:30 ' || fail "show: local time and offset: $out"
echo "ok: requests show gives local times with their offset"
h requests list --json | json 'j[0]["created_at"]' | grep -qE '^[0-9-]{10}T[0-9:]{8}\+05:30$' ||
  fail "requests list --json: not ISO 8601 with the offset"
echo "ok: --json gives ISO 8601 with the offset"
out=$(h requests postpone 1 --until "monday 09:00")
echo "$out" | grep -qE '^wakes [0-9-]{10}T09:00:00\+05:30$' || fail "postpone monday 09:00: $out"
echo "ok: postpone --until 'monday 09:00' wakes at 09:00 local"
[ "$(date -d "$(echo "$out" | sed -n 's/^wakes //p')" +%a)" = Mon ] || fail "not a Monday: $out"
echo "ok: and on a Monday"
out=$(h requests postpone 1 --until tomorrow --json)
echo "$out" | json 'j["until"]' | grep -qE "^$(date -d tomorrow +%F)T09:00:00\+05:30$" ||
  fail "postpone --until tomorrow: $out"
echo "ok: tomorrow is 09:00 local the next day"
run h requests postpone 1 --until "next week"
expect_eq "$rc" 64 "an unreadable --until"
has "cannot read 'next week' as a time; the accepted forms are:" "the error says so"
has "tomorrow [14:30]" "and lists tomorrow"
has "monday [14:30]" "and weekdays"
has "+30m  +4h  +3d" "and +N"
has "2026-12-07T14:30" "and the ISO forms"
unset TZ

# status shows the outbox's last SMTP error: when, which mail, the server's answer.
run h status
case "$out" in *"last SMTP error"*) fail "a last SMTP error before any attempt: $out";; esac
expect_eq "$(h status --json | json 'j["outbox"]["last_error"]')" None "no SMTP error yet (--json)"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
config_table '[smtp]' 'host = "127.0.0.1"' "port = $port" 'tls = "none"' >> "$T/hd.toml"
h requests reply 1 --text "We are on it." > /dev/null
run h outbox drain
expect_eq "$rc" 75 "outbox drain: nothing could be sent (connection refused)"
run h status
echo "$out" | grep -qE "^  last SMTP error [0-9-]{10}T[0-9:]{8}(Z|[+-][0-9:]{5}): outbox #[0-9]+ \(.*\): .*127\.0\.0\.1:$port" ||
  fail "status: the last SMTP error with when, which mail and the answer: $out"
echo "ok: status shows the last SMTP error"
h status --json > "$T/status.json"
json 'j["outbox"]["last_error"]["error"]' < "$T/status.json" | grep -q "127.0.0.1:$port" ||
  fail "status --json: outbox.last_error.error: $(cat "$T/status.json")"
expect_eq "$(json 'j["outbox"]["last_error"]["outbox_id"] > 0 and j["outbox"]["last_error"]["at"] != ""' < "$T/status.json")" \
  True "status --json: which mail and when"
run h dashboard --as zzz
expect_eq "$rc" 64 "dashboard --as an unknown user"
has "known users: anna, ole" "the refusal names the known users"
run h requests frobnicate
expect_eq "$rc" 64 "an unknown subcommand"
has "requests: unknown subcommand 'frobnicate'" "it is named as such"
run h -V
expect_eq "$rc" 0 "-V"
has "helpdeskd " "-V prints the version"
