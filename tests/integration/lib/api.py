"""A small client for the helpdeskd HTTP API in tests (urllib, no third-party code).

    from api import Api
    a = Api(port, token)
    status, headers, body = a.call("POST", "/api/requests/1/accept", {"force": False})
"""
import http.client
import json


class Api:
    def __init__(self, port, token=None):
        self.port = port
        self.token = token

    def call(self, method, path, body=None, headers=None, raw=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = dict(headers or {})
        if self.token:
            h["Authorization"] = "Bearer " + self.token
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        text = r.read().decode("utf-8", "replace")
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        if hdrs.get("content-type", "").startswith("application/json"):
            return r.status, hdrs, json.loads(text)
        return r.status, hdrs, text

    def ok(self, method, path, body=None, headers=None, want=(200, 201)):
        status, hdrs, j = self.call(method, path, body, headers)
        if status not in want:
            raise AssertionError(f"{method} {path}: {status} {j}")
        return hdrs, j


def expect(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")
    print(f"ok: {what}")
