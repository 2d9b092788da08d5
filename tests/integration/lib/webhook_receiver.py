"""A webhook receiver for tests: verifies each POST's signature as docs/api.md tells receivers
to, appends one JSON line per POST to LOG, and answers 204 (or 500 for a bad signature).
While the file LOG.hang exists, a POST is noted in LOG.begun and left unanswered until the
file is removed (then it is dropped unlogged): a receiver the sender is cut off from.

    webhook_receiver.py PORT SECRET_FILE LOG
"""
import os
import hashlib
import hmac
import http.server
import json
import sys
import time

port, secret_file, log_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
secret = open(secret_file, "rb").read().rstrip(b"\r\n")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        ts = self.headers.get("X-Helpdeskd-Timestamp", "")
        want = "sha256=" + hmac.new(secret, ts.encode() + b"." + body, hashlib.sha256).hexdigest()
        got = self.headers.get("X-Helpdeskd-Signature", "")
        valid = hmac.compare_digest(want, got) and abs(time.time() - int(ts or 0)) <= 300
        if os.path.exists(log_path + ".hang"):
            with open(log_path + ".begun", "a") as f:
                f.write(json.dumps({"delivery": self.headers.get("X-Helpdeskd-Delivery")}) + "\n")
            while os.path.exists(log_path + ".hang"):
                time.sleep(0.05)
            return
        entry = {
            "delivery": self.headers.get("X-Helpdeskd-Delivery"),
            "event": self.headers.get("X-Helpdeskd-Event"),
            "content_type": self.headers.get("Content-Type"),
            "valid": valid,
            "body": json.loads(body),
        }
        with open(log_path, "a") as f:
            f.write(json.dumps(entry) + "\n")
        self.send_response(204 if valid else 500)
        self.end_headers()

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
