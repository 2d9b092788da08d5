#!/usr/bin/python3
"""A small OAuth2 authorization server on 127.0.0.1 for integration tests.

    oauth2_server.py PORT --grant USER=REFRESH_TOKEN ... [--ttl S] [--client-id ID]
                     [--client-secret SECRET]

POST /token        refresh_token grant (RFC 6749 section 6): a new short-lived access token
                   (expires_in = TTL) for the refresh token's user; 400 invalid_grant for an
                   unknown or revoked refresh token, 401 invalid_client for a wrong client.
POST /introspect   token introspection (RFC 7662) as Dovecot's oauth2 passdb asks for it
                   (introspection_mode = post, form field "token"; GET ?token= works too):
                   {"active": true, "username": USER} while the token lives, else
                   {"active": false}.
POST /control/revoke?user=U      revoke U's refresh token and access tokens
POST /control/expire_access      end every access token now (they still "expire" later
                                 for the client, as a server-side revocation would)
POST /control/ttl?seconds=N      lifetime of tokens issued from now on
GET  /stats        {"refreshes": {USER: n}, "introspections": n, "rejected": n}

Tokens never appear in its log.
"""

import argparse
import json
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    def __init__(self, grants, ttl, client_id, client_secret):
        self.lock = threading.Lock()
        self.grants = dict(grants)  # refresh token -> user
        self.revoked = set()
        self.access = {}  # access token -> (user, expires at)
        self.ttl = ttl
        self.client_id = client_id
        self.client_secret = client_secret
        self.refreshes = {}
        self.introspections = 0
        self.rejected = 0


class Handler(BaseHTTPRequestHandler):
    server_version = "hd-oauth2-test/1"

    def log_message(self, fmt, *args):  # paths only: tokens travel in bodies
        sys.stderr.write("oauth2: %s %s\n" % (self.command, self.path.split("?")[0]))

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def form(self):
        n = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(n).decode() if n else ""
        return {k: v[0] for k, v in urllib.parse.parse_qs(data).items()}

    def query(self):
        return {k: v[0] for k, v in
                urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query).items()}

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        st = self.server.state
        if path == "/stats":
            with st.lock:
                return self.reply(200, {"refreshes": st.refreshes,
                                        "introspections": st.introspections,
                                        "rejected": st.rejected})
        if path == "/introspect":
            return self.introspect(self.query().get("token", ""))
        self.reply(404, {"error": "not_found"})

    def do_POST(self):
        path = urllib.parse.urlsplit(self.path).path
        st = self.server.state
        if path == "/token":
            return self.token(self.form())
        if path == "/introspect":
            return self.introspect(self.form().get("token", ""))
        q = self.query()
        with st.lock:
            if path == "/control/revoke":
                for rt, user in st.grants.items():
                    if user == q.get("user"):
                        st.revoked.add(rt)
                st.access = {t: v for t, v in st.access.items() if v[0] != q.get("user")}
                return self.reply(200, {"ok": True})
            if path == "/control/expire_access":
                st.access.clear()
                return self.reply(200, {"ok": True})
            if path == "/control/ttl":
                st.ttl = int(q["seconds"])
                return self.reply(200, {"ok": True})
        self.reply(404, {"error": "not_found"})

    def token(self, f):
        st = self.server.state
        with st.lock:
            if f.get("grant_type") != "refresh_token":
                return self.reply(400, {"error": "unsupported_grant_type"})
            if (st.client_id and f.get("client_id") != st.client_id) or (
                    st.client_secret and f.get("client_secret") != st.client_secret):
                return self.reply(401, {"error": "invalid_client",
                                        "error_description": "Unknown client."})
            rt = f.get("refresh_token", "")
            user = st.grants.get(rt)
            if user is None or rt in st.revoked:
                st.rejected += 1
                return self.reply(400, {"error": "invalid_grant",
                                        "error_description": "Token has been expired or revoked."})
            token = "at-" + secrets.token_urlsafe(24)
            st.access[token] = (user, time.time() + st.ttl)
            st.refreshes[user] = st.refreshes.get(user, 0) + 1
            return self.reply(200, {"access_token": token, "token_type": "Bearer",
                                    "expires_in": st.ttl, "scope": f.get("scope", "")})

    def introspect(self, token):
        st = self.server.state
        with st.lock:
            st.introspections += 1
            user, exp = st.access.get(token, (None, 0))
            if user is None or exp < time.time():
                return self.reply(200, {"active": False})
            return self.reply(200, {"active": True, "username": user, "exp": int(exp)})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("--grant", action="append", default=[], help="USER=REFRESH_TOKEN")
    ap.add_argument("--ttl", type=int, default=3600)
    ap.add_argument("--client-id", default="")
    ap.add_argument("--client-secret", default="")
    a = ap.parse_args()
    grants = {}
    for g in a.grant:
        user, rt = g.split("=", 1)
        grants[rt] = user
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    srv.state = State(grants, a.ttl, a.client_id, a.client_secret)
    srv.serve_forever()


if __name__ == "__main__":
    main()
