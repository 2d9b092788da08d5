#!/usr/bin/env bash
# Webhooks (issue 15 point 5): every event is queued with its change, and delivered to a
# receiver on 127.0.0.1 with a valid HMAC-SHA256 signature exactly once — after the receiver
# was down at first (the deliveries are retried with backoff). The delivery log is visible to
# admins over HTTP and the CLI, and in /metrics. A daemon killed mid-POST sends that delivery
# again, with the same id, when it starts again.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

smtp_start "$T/smtp"
port=$(hd_free_port)
rport=$(hd_free_port)
head -c 32 /dev/urandom | base64 > "$T/hook.secret"
{
  config_database
  config_table '[ack]' -- 'enabled = false'
  config_outgoing 'message_id_domain = "helpdesk.example.com"'
  config_smtp 'timeout_s = 10'
  config_user anna 'role = "admin"'
  config_user ole
  config_table '[http]' "listen = \"127.0.0.1:$port\""
  config_table '[[webhook]]' 'name = "crm"' "url = \"http://127.0.0.1:$rport/hook\"" \
    'events = ["request.created", "message.received", "request.assigned", "request.status_changed", "message.sent"]' \
    'secret_file = "hook.secret"' 'backoff_min_s = 1' 'backoff_max_s = 2' 'max_attempts = 50'
} > "$T/hd.toml"
h() { hd -c "$T/hd.toml" "$@"; }
h config check >/dev/null || fail "the config with a [[webhook]] is refused"
anna=$(h tokens create --as anna --name "admin" --scope write --json | json 'j["token"]')
ole=$(h tokens create --as ole --name "agent" --json | json 'j["token"]')

# A customer's mail, before the daemon runs: queued with the request, sent when it starts.
h ingest < "$HD_SOURCE_DIR/etc/demo/mail/02-no-skriver.eml" > /dev/null
expect_eq "$(h webhooks list --json | json 'len(j)')" 2 "request.created and message.received queued"

"$HELPDESKD" -c "$T/hd.toml" run > "$T/run.log" 2>&1 &
pid=$!
trap 'rc=$?; kill -KILL $pid 2>/dev/null || true; kill ${rpid:-} 2>/dev/null || true; set +e; (exit $rc); hd_test_exit' EXIT
for _ in $(seq 1 500); do grep -q 'webhook.deferred' "$T/run.log" && break; sleep 0.02; done
grep -q 'webhook.deferred' "$T/run.log" || { cat "$T/run.log" >&2; fail "no failed attempt while the receiver is down"; }
echo "ok: the receiver is down: the delivery is deferred"

export HELPDESKD_AGENT=anna
h requests accept 1 > /dev/null
h requests reply 1 --text "Prøv å oppdatere driveren." > /dev/null
for _ in $(seq 1 500); do grep -q 'outbox.sent' "$T/run.log" && break; sleep 0.02; done
h requests close 1 > /dev/null

/usr/bin/python3 "$HD_SOURCE_DIR/tests/integration/lib/webhook_receiver.py" "$rport" "$T/hook.secret" \
  "$T/received.jsonl" > "$T/receiver.log" 2>&1 &
rpid=$!
hd_wait_port "$rport" 15 || fail "the receiver did not start"
for _ in $(seq 1 1000); do
  [ "$(cat "$T/received.jsonl" 2>/dev/null | wc -l)" -ge 5 ] && break
  sleep 0.02
done
sleep 3  # a duplicate would arrive within the backoff (at most 2.5 s)

/usr/bin/python3 - "$T/received.jsonl" <<'PY' || fail "the receiver's log"
import collections, json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
events = sorted(e["event"] for e in got)
want = sorted(["request.created", "message.received", "request.assigned",
               "request.status_changed", "message.sent"])
assert events == want, events
ids = [e["delivery"] for e in got]
assert len(set(ids)) == len(ids) == 5, ids
assert all(e["valid"] for e in got), [e for e in got if not e["valid"]]
assert all(e["content_type"] == "application/json" for e in got)
by = {e["event"]: e["body"] for e in got}
for ev, body in by.items():
    assert body["event"] == ev and body["request"]["id"] == 1, body
assert by["request.assigned"]["request"]["owner"] == "anna", by["request.assigned"]
assert by["request.status_changed"]["previous_status"] == "open"
assert by["request.status_changed"]["request"]["status"] == "closed"
assert by["message.sent"]["message"]["kind"] == "reply", by["message.sent"]
assert by["message.received"]["message"]["from_address"] == "asa@fjordkraft-eksempel.no"
print("ok: each event once, signed, with its payload")
PY

list=$(h webhooks list --json)
expect_eq "$(echo "$list" | json 'sorted(set(d["state"] for d in j))')" "['delivered']" \
  "the log shows every delivery delivered"
expect_eq "$(echo "$list" | json 'max(d["attempts"] for d in j if d["event"] == "request.created") > 1')" \
  True "the first delivery was retried after the receiver came up"

PYTHONPATH="$HD_SOURCE_DIR/tests/integration/lib" /usr/bin/python3 - "$port" "$anna" "$ole" <<'PY'
import sys
from api import Api, expect
port, anna_t, ole_t = int(sys.argv[1]), sys.argv[2], sys.argv[3]
anna, ole = Api(port, anna_t), Api(port, ole_t)
_, page = anna.ok("GET", "/api/webhooks/deliveries?state=delivered&limit=2")
expect(page["total"], 5, "the delivery log over HTTP, with a total")
expect(len(page["deliveries"]), 2, "paged")
expect(page["next"], "/api/webhooks/deliveries?state=delivered&limit=2&cursor=2", "a next link")
expect(page["deliveries"][0]["payload"]["event"], page["deliveries"][0]["event"], "with its payload")
expect(anna.ok("GET", "/api/webhooks/deliveries?endpoint=other")[1]["total"], 0, "filtered by endpoint")
expect(anna.call("GET", "/api/webhooks/deliveries?state=lost")[0], 400, "a bad state: 400")
expect(ole.call("GET", "/api/webhooks/deliveries")[0], 403, "agents do not see it")
first = page["deliveries"][0]["id"]
status, _, body = anna.call("POST", f"/api/webhooks/deliveries/{first}/retry", {})
expect((status, body["error"]["code"]), (422, "invalid"), "a delivered delivery is not retried")
expect(anna.call("POST", "/api/webhooks/deliveries/999/retry", {})[0], 404, "retry: no such delivery")
expect(ole.call("POST", f"/api/webhooks/deliveries/{first}/retry", {})[0], 403, "agents cannot retry")
_, _, metrics = anna.call("GET", "/metrics")
assert 'helpdeskd_webhook_deliveries{state="delivered"} 5' in metrics, metrics
print("ok: /metrics counts the deliveries")
PY

set +e
h webhooks retry 999 2>/dev/null; rc=$?
set -e
expect_eq "$rc" 65 "retrying a delivery that does not exist"

# Killed while a POST is in flight: the row stays 'sending'; the next start sends it again.
touch "$T/received.jsonl.hang"
h requests reopen 1 > /dev/null
for _ in $(seq 1 500); do [ -s "$T/received.jsonl.begun" ] && break; sleep 0.02; done
[ -s "$T/received.jsonl.begun" ] || fail "the reopen was not POSTed"
expect_eq "$(h webhooks list --state sending --json | json 'len(j)')" 1 "in flight: sending"
kill -KILL $pid
wait $pid 2>/dev/null || true
rm "$T/received.jsonl.hang"
"$HELPDESKD" -c "$T/hd.toml" run > "$T/run2.log" 2>&1 &
pid=$!
for _ in $(seq 1 500); do [ "$(wc -l < "$T/received.jsonl")" -ge 6 ] && break; sleep 0.02; done
/usr/bin/python3 - "$T/received.jsonl" "$T/received.jsonl.begun" <<'PY' || fail "the resent delivery"
import json, sys
got = [json.loads(l) for l in open(sys.argv[1])]
begun = [json.loads(l) for l in open(sys.argv[2])]
assert len(got) == 6, len(got)
last = got[-1]
assert last["event"] == "request.status_changed" and last["valid"], last
assert last["body"]["previous_status"] == "closed", last["body"]
assert last["delivery"] == begun[0]["delivery"], (last, begun)
print("ok: sent again after a kill, with the same delivery id")
PY
grep -q 'webhook.requeued' "$T/run2.log" || fail "no webhook.requeued at the restart"
kill -TERM $pid
wait $pid || fail "helpdeskd run did not stop cleanly"
