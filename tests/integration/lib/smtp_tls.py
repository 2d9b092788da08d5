"""An SMTP receiver with TLS and AUTH for tests:
smtp_tls.py HOST PORT DIR MODE CERT KEY [USER PASSWORD [MECHANISMS]]

MODE is "implicit" (TLS from the first byte, like port 465), "starttls" (STARTTLS required
before MAIL) or "plain" (no TLS). $HD_SMTP_DELAY_S makes each MAIL take that long (several
sessions at once are served concurrently); the most sessions seen between MAIL and DATA at once is
kept in DIR/max_concurrent. With USER and PASSWORD, AUTH is required (and only offered over TLS); MECHANISMS
("PLAIN", "LOGIN" or "PLAIN,LOGIN") limits what is offered. Messages are written like
smtp_sink.py does (DIR/NNNNNN.eml + .json); each .json also says whether the session was
encrypted and who logged in with which mechanism. Failed logins go to DIR/auth.log.
"""
import asyncio
import json
import os
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from smtp_sink import Sink  # noqa: E402


class TlsSink(Sink):
    def __init__(self, directory, user, password):
        super().__init__(directory)
        self.user, self.password = user, password
        self.implicit = False
        self.delay = float(os.environ.get("HD_SMTP_DELAY_S", "0"))
        self.active = self.max_active = 0

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and self.user is not None
              and auth_data.login.decode() == self.user
              and auth_data.password.decode() == self.password)
        with open(os.path.join(self.dir, "auth.log"), "a") as f:
            f.write("%s %s %s\n" % (mechanism, auth_data.login.decode(errors="replace")
                                    if isinstance(auth_data, LoginPassword) else "?",
                                    "ok" if ok else "refused"))
        if ok:
            session.hd_mechanism = mechanism
            session.hd_login = self.user
        return AuthResult(success=ok, handled=False)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        # A session counts as active from MAIL to the end of its DATA.
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        with open(os.path.join(self.dir, "max_concurrent"), "w") as f:
            f.write("%d\n" % self.max_active)
        await asyncio.sleep(self.delay)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.active = max(0, self.active - 1)
        reply = await super().handle_DATA(server, session, envelope)
        if reply.startswith("250"):
            base = os.path.join(self.dir, "%06d.json" % self.count)
            with open(base) as f:
                j = json.load(f)
            j["tls"] = self.implicit or bool(session.ssl)
            j["auth_login"] = getattr(session, "hd_login", None)
            j["auth_mechanism"] = getattr(session, "hd_mechanism", None)
            with open(base + ".tmp", "w") as f:
                json.dump(j, f)
            os.rename(base + ".tmp", base)
        return reply


def main():
    host, port, directory, mode, cert, key = sys.argv[1:7]
    port = int(port)
    user = sys.argv[7] if len(sys.argv) > 7 else None
    password = sys.argv[8] if len(sys.argv) > 8 else None
    mechanisms = sys.argv[9].split(",") if len(sys.argv) > 9 else ["PLAIN", "LOGIN"]
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    handler = TlsSink(directory, user, password)
    handler.implicit = mode == "implicit"
    kwargs = {"decode_data": False, "auth_require_tls": True,
              "auth_exclude_mechanism": [m for m in ("PLAIN", "LOGIN") if m not in mechanisms]}
    if user is not None:
        kwargs.update(authenticator=handler.authenticate, auth_required=True)
    if mode == "implicit":
        # aiosmtpd counts only STARTTLS as TLS for auth_require_tls; this whole session is.
        kwargs["auth_require_tls"] = False
        controller = Controller(handler, hostname=host, port=port, ssl_context=ctx,
                                server_hostname="localhost", server_kwargs=kwargs)
    elif mode == "plain":
        kwargs["auth_require_tls"] = False
        controller = Controller(handler, hostname=host, port=port, server_kwargs=kwargs)
    else:
        kwargs.update(tls_context=ctx, require_starttls=True)
        controller = Controller(handler, hostname=host, port=port, server_kwargs=kwargs)
    controller.start()
    print("smtp_tls: %s on %s:%d, writing to %s" % (mode, host, port, directory), flush=True)
    signal.sigwait([signal.SIGTERM, signal.SIGINT])
    controller.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM, signal.SIGINT])
    main()
