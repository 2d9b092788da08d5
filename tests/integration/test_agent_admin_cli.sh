#!/usr/bin/env bash
# The agent's lists and the admin's directory from the command line: `requests list` filters
# (flagged, favourite, overdue) and sorting; `reply --template answer` in the customer's
# language; persons edit and merge; companies add (atomic), edit (against the config's lists)
# and merge. Misuse exits non-zero with a clear message.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

{
  config_database
  config_table '[ack]' -- 'enabled = false'
  config_outgoing 'from_name = "Example Support"'
  config_table '[companies]' -- 'categories = ["customer", "partner"]' \
    'industries = ["energy", "retail"]'
  config_priority normal 'first_response_hours = 8' 'resolution_hours = 72' 'default = true'
  config_priority urgent 'first_response_hours = 1' 'resolution_hours = 8'
  config_user anna 'name = "Anna Jansen"' 'signature = "Anna Jansen, Example Support"'
  config_user ole
} > "$T/hd.toml"
h() { hd -c "$T/hd.toml" "$@"; }
ids() { h requests list "$@" --json | json '" ".join(str(r["id"]) for r in j)'; }
expect_fail() {  # expect_fail CODE TEXT WHAT -- command...
  local code=$1 text=$2 what=$3 out rc
  shift 4
  set +e
  out=$("$@" 2>&1); rc=$?
  set -e
  expect_eq "$rc" "$code" "$what: exit $code"
  case "$out" in *"$text"*) ;; *) fail "$what: the message does not say '$text': $out";; esac
}
export HELPDESKD_AGENT=anna
mail="$HD_SOURCE_DIR/etc/demo/mail"
for f in 01-nl-factuur 02-no-skriver 03-se-losenord 04-en-export; do h ingest < "$mail/$f.eml"; done
h requests set 2 --priority urgent >/dev/null
h requests set 4 --title "CSV export (edited)" >/dev/null

# --- requests list: filters and sorting ---
expect_eq "$(ids)" "4 3 2 1" "the default: active requests, newest first"
expect_eq "$(ids --sort id)" "1 2 3 4" "--sort id: oldest first"
expect_eq "$(ids --sort=-id)" "4 3 2 1" "a leading - reverses"
expect_eq "$(ids --sort id --desc)" "4 3 2 1" "--desc reverses"
expect_eq "$(ids --sort priority | cut -d' ' -f1)" 2 "priority: the urgent one first"
expect_eq "$(ids --sort updated --desc | cut -d' ' -f1)" 4 "updated: the last touched first"
msg=$(h requests show 3 --json | json 'j["messages"][0]["id"]')
h requests flag "$msg" >/dev/null
expect_eq "$(ids --flagged)" 3 "--flagged: requests with a flagged message"
h requests favourite 1 --as ole >/dev/null
h requests favourite 4 >/dev/null
expect_eq "$(ids --favourite)" 4 "--favourite: anna's ($HELPDESKD_AGENT)"
expect_eq "$(ids --favourite --as ole)" 1 "--favourite --as ole: ole's"
expect_eq "$(ids --overdue)" "" "--overdue: nothing is late yet"
hd_sql "UPDATE requests SET first_response_due = 1000 WHERE id = 1"
expect_eq "$(ids --overdue)" 1 "--overdue: past its first-response time"
expect_eq "$(ids --overdue --favourite --as ole --flagged)" "" "filters combine"
expect_eq "$(h requests list --json | json 'sorted(j[0].keys())')" \
  "['category', 'company', 'created_at', 'id', 'mailbox', 'messages', 'owner', 'person', 'priority', 'status', 'tags', 'title', 'updated_at']" \
  "--json keeps its shape (tags added for issue 19)"
expect_fail 64 "not one of id, created" "an unknown sort key" -- h requests list --sort size
env -u HELPDESKD_AGENT "$HELPDESKD" -c "$T/hd.toml" requests list --favourite >/dev/null 2>&1 &&
  fail "--favourite without an agent must fail"
echo "ok: --favourite needs an agent"

# --- reply --template answer ---
out=$(h requests reply 2 --template answer --text "Prøv driver 4.2." --json)
expect_eq "$(echo "$out" | json 'j["language"]')" no "the answer is Norwegian (detected from the mail)"
hd_bytes "SELECT bytes FROM outbox WHERE request_id = 2 AND kind = 'reply'" > "$T/answer.eml"
/usr/bin/python3 - "$T/answer.eml" <<'PY' || fail "the templated reply is not right"
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.default)
body = m.get_body().get_content()
assert str(m["subject"]).startswith("[#2] Re: Skriveren"), m["subject"]
assert m["content-language"] == "no", m["content-language"]
assert m["in-reply-to"] == "<c0ffee.1@fjordkraft-eksempel.no>", m["in-reply-to"]
assert body.startswith("Hei Åsa,"), body
assert "Prøv driver 4.2." in body and "Med vennlig hilsen\nAnna Jansen\nExample Support" in body, body
assert "-- \n" not in body, body  # the template signs; no second signature
PY
echo "ok: templated reply: Norwegian, tagged, threaded, the agent's text and name"
h persons edit jan.devries@bakkerij-devries.nl --language de >/dev/null
expect_eq "$(h requests reply 1 --template answer --json | json 'j["language"]')" de \
  "the person's language wins"
expect_fail 64 "no template 'nope'" "an unknown template" -- h requests reply 1 --template nope

# --- persons ---
expect_fail 64 "belongs to person" "another person's address" -- \
  h persons edit 1 --add-address asa@fjordkraft-eksempel.no
expect_fail 64 "no address left" "removing the last address" -- \
  h persons edit 1 --remove-address jan.devries@bakkerij-devries.nl
p=$(h persons edit 1 --name "Jan de Vries jr." --add-address jan@prive.example --json)
expect_eq "$(echo "$p" | json 'j["name"], len(j["addresses"]), j["language"]')" \
  "Jan de Vries jr. 2 de" "name, address and language changed"
expect_fail 64 "is not a language tag" "a malformed language" -- h persons edit 1 --language 'x y!'
# Emily phones from her private address: a second person; then merged into the first.
h requests create --email emily@home.example --name "Emily Carter" --title "Phone: export" \
  --json >/dev/null
m=$(h persons merge emily@home.example --into emily.carter@example.co.uk --json)
expect_eq "$(echo "$m" | json 'len(j["addresses"]), len(j["requests"])')" "2 2" \
  "merged: both addresses, both requests"
expect_eq "$(h requests show 5 --json | json 'j["events"][-1]["kind"]')" person_merged \
  "the moved request records the merge"
expect_eq "$(h persons list --json | json 'len(j)')" 4 "the duplicate person is gone"

# --- companies ---
h companies add Bakkerij --domain bakkerij-devries.nl >/dev/null
expect_fail 64 "already belongs" "add with a taken domain" -- \
  h companies add Other --domain other.example --domain bakkerij-devries.nl
expect_fail 1 "no company 'Other'" "a failed add leaves nothing behind" -- h companies show Other
c=$(h companies edit Bakkerij --name "Bakkerij De Vries" --category customer --industry retail \
      --add-domain devries.example --json)
expect_eq "$(echo "$c" | json 'j["name"], j["category"], j["industry"], len(j["domains"])')" \
  "Bakkerij De Vries customer retail 2" "edited: name, category, industry, domain"
expect_fail 64 "not a declared company category: one of customer, partner" "an unknown category" -- \
  h companies edit 1 --category vip
expect_fail 64 "not a declared company industry" "an unknown industry" -- \
  h companies edit 1 --industry mining
h companies add "Bakkerij (dup)" --domain devries-dup.example >/dev/null
h companies edit "Bakkerij (dup)" --category partner >/dev/null
m=$(h companies merge "Bakkerij (dup)" --into "Bakkerij De Vries" --json)
expect_eq "$(echo "$m" | json 'len(j["domains"]), j["category"]')" "3 customer" \
  "merged: domains move, the master keeps its category"
expect_eq "$(h companies list --json | json 'len(j)')" 1 "the duplicate company is gone"
expect_eq "$(hd_sql "SELECT $(hd_concat kind) FROM (SELECT kind FROM events WHERE request_id IS NULL AND kind LIKE 'company.%' ORDER BY id) e")" \
  "company.added,company.domain_added,company.domain_added,company.edited,company.added,company.domain_added,company.edited,company.merged" \
  "every change is an event"
