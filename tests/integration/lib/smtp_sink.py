"""An SMTP receiver for tests and the demo: smtp_sink.py HOST PORT DIR

Writes each accepted message to DIR/NNNNNN.eml (the bytes as received) and its envelope to
DIR/NNNNNN.json. The file DIR/mode, if present, changes the answer to DATA:
"tempfail" -> 451, "permfail" -> 550, anything else -> 250. The file DIR/tempfail_rcpt, if
present, holds one address: mail to it alone is answered 451 (a rejection of that message).
"""
import json
import os
import signal
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.dir = directory
        self.count = len([n for n in os.listdir(directory) if n.endswith(".eml")])

    def mode(self):
        try:
            with open(os.path.join(self.dir, "mode")) as f:
                return f.read().strip()
        except FileNotFoundError:
            return "ok"

    def tempfail_rcpt(self):
        try:
            with open(os.path.join(self.dir, "tempfail_rcpt")) as f:
                return f.read().strip()
        except FileNotFoundError:
            return None

    async def handle_DATA(self, server, session, envelope):
        mode = self.mode()
        if self.tempfail_rcpt() in envelope.rcpt_tos:
            return "451 4.2.0 this recipient later (test mode)"
        if mode == "tempfail":
            return "451 4.3.0 try again later (test mode)"
        if mode == "permfail":
            return "550 5.1.1 mailbox unavailable (test mode)"
        self.count += 1
        base = os.path.join(self.dir, "%06d" % self.count)
        with open(base + ".json.tmp", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "helo": session.host_name}, f)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(base + ".json.tmp", base + ".json")
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 OK queued as %06d" % self.count


def main():
    host, port, directory = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    controller = Controller(Sink(directory), hostname=host, port=port,
                            server_kwargs={"decode_data": False})
    controller.start()
    print("smtp_sink: listening on %s:%d, writing to %s" % (host, port, directory), flush=True)
    signal.sigwait([signal.SIGTERM, signal.SIGINT])
    controller.stop()


if __name__ == "__main__":
    # Block the signals before the controller's thread starts, so only sigwait sees them.
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM, signal.SIGINT])
    main()
