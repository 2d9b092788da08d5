#!/usr/bin/env bash
# The seed scenario over HTTP alone, as two agents with their own tokens (issue 15): a customer
# mails support@ (Dovecot, IMAPS); `helpdeskd run` takes it in and serves the API; anna
# accepts it and transfers it to ole with a note; ole replies from a template (SMTP receiver);
# the customer's answer threads back; ole closes it. Along the way: ETag/If-Match (412 on a
# stale view), an idempotent reply sent once, and the events recorded as the token's user.
# The agents never touch the config's secret files or the database file.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

imap_server_start
smtp_start "$T/smtp"
port=$(hd_free_port)
{
  config_database
  config_outgoing 'from_name = "Example Support"'
  config_smtp 'timeout_s = 10'
  config_user anna 'name = "Anna Berg"'
  config_user ole 'name = "Ole Hansen"'
  config_imap_mailbox support 'language = "en"' 'poll_interval_s = 600'
  config_table '[http]' "listen = \"127.0.0.1:$port\""
} > "$T/hd.toml"
h() { hd -c "$T/hd.toml" "$@"; }
# The admin hands each agent a token (shown once).
anna=$(h tokens create --as anna --name "anna laptop" --scope write --json | json 'j["token"]')
ole=$(h tokens create --as ole --name "ole laptop" --scope write --json | json 'j["token"]')
reader=$(h tokens create --as ole --name "wallboard" --json | json 'j["token"]')
revoked_id=$(h tokens create --as anna --name "old" --scope write --json | json 'j["id"]')
revoked=$(h tokens list --as anna --json | json 'len(j)')
expect_eq "$revoked" 2 "tokens list shows anna's two tokens"
old=$(h tokens create --as anna --name "older" --scope write --json)
old_token=$(echo "$old" | json 'j["token"]')
h tokens revoke "$(echo "$old" | json 'j["id"]')" >/dev/null

"$HELPDESKD" -c "$T/hd.toml" run > "$T/run.log" 2>&1 &
pid=$!
trap 'rc=$?; kill -KILL $pid 2>/dev/null || true; set +e; (exit $rc); hd_test_exit' EXIT
for _ in $(seq 1 500); do grep -q 'http.listening' "$T/run.log" && break; sleep 0.02; done
grep -q 'http.listening' "$T/run.log" || { cat "$T/run.log" >&2; fail "the API did not start"; }
for _ in $(seq 1 500); do grep -q 'imap.connected' "$T/run.log" && break; sleep 0.02; done
sleep 0.3

dovecot_lmtp support "$HD_SOURCE_DIR/etc/demo/mail/04-en-export.eml"
# The agents' side: HTTP only, in Python; it also delivers the customer's answer (LMTP).
PYTHONPATH="$HD_SOURCE_DIR/tests/integration/lib" /usr/bin/python3 - "$port" "$anna" "$ole" \
  "$reader" "$old_token" "$SMTP_DIR" "$T" "$DOVECOT_LMTP_PORT" <<'PY'
import glob, json, os, subprocess, sys, time
from api import Api, expect
port, anna_t, ole_t, reader_t, old_t, smtp_dir, tdir, lmtp_port = sys.argv[1:]
port = int(port)
anna, ole, reader, nobody = Api(port, anna_t), Api(port, ole_t), Api(port, reader_t), Api(port)

def wait(what, f, seconds=30):
    end = time.time() + seconds
    while time.time() < end:
        v = f()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)

# Auth failures first: no token, a revoked token, a read-only token writing.
expect(nobody.call("GET", "/api/requests")[0], 401, "no token: 401")
expect(nobody.call("GET", "/api/requests")[2]["error"]["code"], "unauthenticated", "a stable error code")
expect(Api(port, old_t).call("GET", "/api/requests")[0], 401, "a revoked token: 401")
expect(Api(port, "hdt_" + "0" * 64).call("GET", "/api/me")[0], 401, "an unknown token: 401")
expect(nobody.call("GET", "/healthz")[0], 200, "/healthz needs no token")

listing = wait("the mail to become request #1",
               lambda: (lambda r: r if r["total"] == 1 else None)(anna.ok("GET", "/api/requests")[1]))
expect(listing["requests"][0]["id"], 1, "request #1 listed over HTTP with a total")
expect(reader.call("POST", "/api/requests/1/accept", {})[0], 403, "a read-only token cannot act")

hdrs, r = anna.ok("GET", "/api/requests/1")
etag = hdrs["etag"]
expect(r["person"]["address"], "emily.carter@example.co.uk", "the request has its person")
# anna accepts with the ETag she saw; ole, acting on the same stale view, gets 412.
hdrs, a = anna.ok("POST", "/api/requests/1/accept", {}, {"If-Match": etag})
expect(a["action"], "accepted", "anna accepts #1 with If-Match")
status, _, body = ole.call("POST", "/api/requests/1/accept", {"force": True}, {"If-Match": etag})
expect(status, 412, "ole on the stale view gets 412")
expect(body["error"]["code"], "stale", "412's code is stale")
new_etag = hdrs["etag"]
_, t = anna.ok("POST", "/api/requests/1/transfer", {"to": "ole", "note": "Export question: yours"},
               {"If-Match": new_etag})
expect(t["action"], "transferred", "anna transfers #1 to ole with a note")
status, _, body = anna.call("POST", "/api/requests/1/transfer", {"to": "bret"})
expect(status, 422, "transfer to an unknown user is refused")
expect("known users" in body["error"]["message"], True, "the refusal names the known users")

# ole replies from the template, twice with one Idempotency-Key: one mail.
key = {"Idempotency-Key": "ole-reply-1"}
_, r1 = ole.ok("POST", "/api/requests/1/reply", {"template": "answer", "text": "Use File > Export."}, key)
s2, h2, r2 = ole.call("POST", "/api/requests/1/reply", {"template": "answer", "text": "Use File > Export."}, key)
expect(s2, 200, "the retried reply answers 200")
expect(r2["outbox"], r1["outbox"], "the retry is the same outbox mail")
expect(h2.get("idempotent-replayed"), "true", "the retry says it was replayed")
sent = wait("the acknowledgement and one reply at the SMTP receiver",
            lambda: (lambda f: f if len(f) >= 2 else None)(sorted(glob.glob(smtp_dir + "/*.eml"))))
time.sleep(1.0)
sent = sorted(glob.glob(smtp_dir + "/*.eml"))
expect(len(sent), 2, "acknowledgement + one reply: the retried reply was not sent twice")
reply = open(sent[-1], "rb").read().decode("utf-8", "replace")
msgid = [l for l in reply.splitlines() if l.lower().startswith("message-id:")][0].split(":", 1)[1].strip()
answer = ("From: Jane <%s>\r\nTo: support@example.com\r\nSubject: Re: [#1] thanks\r\n"
          "Message-ID: <api-answer.1@example.org>\r\nIn-Reply-To: %s\r\n\r\nThat worked, thanks!\r\n")
addr = anna.ok("GET", "/api/requests/1")[1]["person"]["address"]
open(tdir + "/answer.eml", "w").write(answer % (addr, msgid))
lib = os.path.join(os.environ["HD_SOURCE_DIR"], "tests/integration/lib")
subprocess.run([sys.executable, lib + "/lmtp_send.py", "127.0.0.1", lmtp_port, "support",
                tdir + "/answer.eml"], check=True)
wait("the answer to thread into #1",
     lambda: len(ole.ok("GET", "/api/requests/1")[1]["messages"]) >= 5)
expect(anna.ok("GET", "/api/requests?status=all")[1]["total"], 1, "the answer made no new request")
_, c = ole.ok("POST", "/api/requests/1/close", {})
expect(c["action"], "closed", "ole closes #1")
_, d = ole.ok("GET", "/api/requests/1")
kinds = [(e["kind"], e["actor"]) for e in d["events"] if e["kind"] in ("accepted", "transferred", "replied", "closed")]
expect(kinds, [("accepted", "anna"), ("transferred", "anna"), ("replied", "ole"), ("closed", "ole")],
       "every action recorded as the token's user")
expect(d["status"], "closed", "request #1 is closed")
PY
kill -TERM "$pid"
set +e
wait "$pid"; rc=$?
set -e
expect_eq "$rc" 0 "SIGTERM exits 0 with the API running"
