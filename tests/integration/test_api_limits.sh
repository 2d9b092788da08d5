#!/usr/bin/env bash
# The HTTP API against hostile and careless clients (issue 15): passwords and login sessions
# with a rate limit per account and per address; admin-only resources; the limits on body,
# headers, JSON depth and a slow client; every error a JSON body with a stable code and no
# internals; /metrics parsed by Prometheus's own Python parser; every route of the server is
# in docs/openapi.json and the served document is that file.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

port=$(hd_free_port)
{
  config_database
  config_outgoing
  config_mailbox
  config_user anna
  config_user root 'role = "admin"'
  config_table '[http]' "listen = \"127.0.0.1:$port\"" 'max_body_bytes = 4096' \
    'max_header_bytes = 2048' 'read_timeout_s = 2' 'max_json_depth = 8' \
    'login_failures_per_account = 3' 'login_failures_per_address = 50'
} > "$T/hd.toml"
h() { hd -c "$T/hd.toml" "$@"; }
h ingest --mailbox support < "$HD_SOURCE_DIR/etc/demo/mail/04-en-export.eml" >/dev/null
printf 'correct horse battery\n' | h users passwd anna >/dev/null
expect_eq "$(printf 'short\n' | h users passwd root >/dev/null 2>&1; echo $?)" 64 \
  "users passwd refuses a short password"
expect_eq "$(printf 'whatever long one\n' | h users passwd zoe 2>&1 >/dev/null | grep -c 'known users')" 1 \
  "users passwd names the known users for an unknown login"
admin=$(h tokens create --as root --name ops --scope write --json | json 'j["token"]')
[ "$(hd_sql "SELECT COUNT(*) FROM api_tokens WHERE hash = '$admin'")" = 0 ] ||
  fail "a token is stored in clear"
hd_sql "SELECT hash FROM user_passwords WHERE login = 'anna'" | grep -q '^\$argon2id\$' ||
  fail "the password is not an Argon2id hash"
echo "ok: the token is stored hashed, the password as Argon2id"

"$HELPDESKD" -c "$T/hd.toml" run > "$T/run.log" 2>&1 &
pid=$!
trap 'rc=$?; kill -KILL $pid 2>/dev/null || true; set +e; (exit $rc); hd_test_exit' EXIT
for _ in $(seq 1 500); do grep -q 'http.listening' "$T/run.log" && break; sleep 0.02; done
grep -q 'http.listening' "$T/run.log" || { cat "$T/run.log" >&2; fail "the API did not start"; }

PYTHONPATH="$HD_SOURCE_DIR/tests/integration/lib" /usr/bin/python3 - "$port" "$admin" \
  "$HD_SOURCE_DIR/docs/openapi.json" <<'PY'
import json, re, socket, sys, time
from api import Api, expect
from prometheus_client.parser import text_string_to_metric_families
port, admin_t, openapi_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
nobody, admin = Api(port), Api(port, admin_t)

# Passwords: a wrong one is 401; after 3 failures the account is locked even for the right
# one (429 with Retry-After); the right one before that gives a session token that works.
s, _, b = nobody.call("POST", "/api/login", {"login": "anna", "password": "correct horse battery"})
expect(s, 201, "login with the right password")
anna = Api(port, b["token"])
expect(anna.ok("GET", "/api/me")[1]["login"], "anna", "the session token acts as anna")
expect(anna.call("GET", "/api/outbox")[0], 403, "an agent cannot see the outbox (admin only)")
expect(admin.call("GET", "/api/outbox")[0], 200, "an admin can")
expect(nobody.call("POST", "/api/login", {"login": "zoe", "password": "x"})[2]["error"]["code"],
       "bad_login", "an unknown login looks like a wrong password")
for i in range(3):
    expect(nobody.call("POST", "/api/login", {"login": "anna", "password": "wrong%d" % i})[0], 401,
           "wrong password %d: 401" % (i + 1))
s, h, b = nobody.call("POST", "/api/login", {"login": "anna", "password": "correct horse battery"})
expect(s, 429, "after 3 failures the account is locked, even with the right password")
expect(int(h["retry-after"]) > 0, True, "429 says when to retry")
expect(anna.ok("POST", "/api/logout", {})[1]["action"], "logged_out", "logout")
expect(anna.call("GET", "/api/me")[0], 401, "the session token no longer works")

# Limits and malformed input: each a JSON error with a stable code, nothing internal.
def check_error(status, body, want_status, want_code, what):
    expect((status, body["error"]["code"]), (want_status, want_code), what)
    text = json.dumps(body).lower()
    for leak in ("sqlite", "select ", "exception", "std::", ".cpp"):
        assert leak not in text, (what, text)
s, _, b = admin.call("POST", "/api/requests/1/note", raw=b'{"text": "' + b"x" * 5000 + b'"}',
                     headers={"Content-Type": "application/json"})
check_error(s, b, 413, "too_large", "a body over max_body_bytes: 413")
s, _, b = admin.call("GET", "/api/requests", headers={"X-Junk": "y" * 3000})
check_error(s, b, 431, "headers_too_large", "headers over max_header_bytes: 431")
s, _, b = admin.call("POST", "/api/requests/1/note", raw=b"[" * 20 + b"]" * 20,
                     headers={"Content-Type": "application/json"})
check_error(s, b, 400, "too_deep", "JSON nested past max_json_depth: 400")
s, _, b = admin.call("POST", "/api/requests/1/note", raw=b"{not json",
                     headers={"Content-Type": "application/json"})
check_error(s, b, 400, "bad_json", "malformed JSON: 400")
s, _, b = admin.call("POST", "/api/requests/1/note", raw=b'{"text": "\xff\xfe"}',
                     headers={"Content-Type": "application/json"})
check_error(s, b, 400, "bad_json", "a body that is not UTF-8: 400")
check_error(*admin.call("GET", "/api/requests/999")[::2], 404, "not_found", "an unknown request: 404")
check_error(*admin.call("GET", "/api/nothing")[::2], 404, "no_route", "an unknown route: 404")
check_error(*admin.call("DELETE", "/api/requests")[::2], 405, "method_not_allowed",
            "a wrong method: 405")
check_error(*admin.call("GET", "/api/requests?limit=abc")[::2], 400, "bad_parameter",
            "a bad parameter: 400")
check_error(*admin.call("POST", "/api/requests/1/postpone", {"until": "someday"})[::2], 422,
            "invalid", "an unreadable time: 422")

# A slow client (slowloris): half a request line, then nothing. The server cuts it off after
# read_timeout_s (2 s), and keeps answering others meanwhile.
slow = socket.create_connection(("127.0.0.1", port))
slow.sendall(b"GET /api/requests HTTP/1.1\r\nHost: x\r\n")
t0 = time.time()
expect(admin.call("GET", "/healthz")[0], 200, "others are answered while a client is slow")
slow.settimeout(30)  # no answer and no close within 30 s fails here
closed = slow.recv(100) == b""
expect(closed, True, "the slow client is cut off (read_timeout_s)")
print("measured: slow client cut off after %.1f s (read_timeout_s = 2)" % (time.time() - t0))

# The security headers.
_, h, _ = admin.call("GET", "/api/me")
expect(h.get("x-content-type-options"), "nosniff", "nosniff")
expect(h.get("cache-control"), "no-store", "no-store")
expect("default-src 'none'" in h.get("content-security-policy", ""), True, "a strict CSP")

# /metrics in the Prometheus text format, read by Prometheus's own parser.
s, h, text = admin.call("GET", "/metrics")
expect(s, 200, "/metrics answers")
fams = {f.name: f for f in text_string_to_metric_families(text)}
for name in ("helpdeskd_mail_stored", "helpdeskd_outbox_messages", "helpdeskd_http_requests",
             "helpdeskd_http_request_duration_seconds", "helpdeskd_http_connections"):
    assert name in fams, (name, sorted(fams))
stored = [s for s in fams["helpdeskd_mail_stored"].samples if s.labels.get("mailbox") == "support"]
expect(stored[0].value, 1.0, "metrics: one mail stored in support")
four = [s for s in fams["helpdeskd_http_requests"].samples if s.labels.get("code") == "4xx"]
expect(four[0].value >= 10, True, "metrics count the 4xx answers")

# The OpenAPI document: served as docs/openapi.json, and naming every route the server has.
served = admin.ok("GET", "/api/openapi.json")[1]
doc = json.load(open(openapi_path))
expect(served, doc, "/api/openapi.json is docs/openapi.json")
expect(doc["openapi"], "3.1.0", "OpenAPI 3.1")
PY
# That every route of the server is in the document (and no other) is checked by
# unit.daemon (test_api.cpp), which sees the route table.
kill -TERM "$pid"
set +e
wait "$pid"; rc=$?
set -e
expect_eq "$rc" 0 "SIGTERM exits 0"
grep -q 'api_login_failed' "$T/run.log" || fail "failed logins are not logged"
grep -q 'correct horse' "$T/run.log" && fail "a password reached the log"
echo "ok: failed logins logged, no password in the log"
