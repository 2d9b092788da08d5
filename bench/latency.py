"""Arrival-to-acknowledgement latency under IMAP IDLE.

    /usr/bin/python3 bench/latency.py BUILD/daemon/helpdeskd [--mails 30] [--gap 0.5]
        [--tls implicit|none] [--keep]

Starts a private Dovecot and the project's SMTP receiver on 127.0.0.1 and `helpdeskd run` as a
service (IMAPS with the test CA by default, IDLE, safety-net poll every 600 s, so only IDLE can
be fast; [smtp] pointing at the receiver; acknowledgements on). Then delivers MAILS mails one
at a time over LMTP, each from a new customer, and measures from the moment Dovecot accepted
the mail (LMTP's 250) to
  - stored: the mail's row in raw_messages (the database is polled every 2 ms), and
  - acked:  the acknowledgement arriving at the SMTP receiver (its directory polled every 2 ms).
A bare IDLE client (raw socket) on the same mailbox shows when Dovecot itself announces the
mail (`* N EXISTS`): the floor for any IDLE client. Between mails it waits GAP seconds plus a
random 0..1 s, so arrivals fall at random moments of any periodic work in the daemon. Prints
median, p90 and max of each.
"""
import argparse
import os
import random
import smtplib
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402


def wait_for_log(path, needle, seconds, proc):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with open(path, errors="replace") as f:
            if needle in f.read():
                return True
        if proc.poll() is not None:
            return False
        time.sleep(0.02)
    return False


class idle_watcher:
    """A bare IMAP client in IDLE on the same mailbox (plain IMAP, raw socket): the time at
    which Dovecot announces each new mail (`* N EXISTS`). The floor for any IDLE client."""

    def __init__(self, dovecot):
        self.sock = socket.create_connection(("127.0.0.1", dovecot.imap_port))
        self.file = self.sock.makefile("rb")
        self.file.readline()
        for cmd in (b"a LOGIN support secret", b"b EXAMINE INBOX", b"c IDLE"):
            self.sock.sendall(cmd + b"\r\n")
            while True:
                line = self.file.readline()
                if not line or line.startswith(cmd[:2]) or line.startswith(b"+"):
                    break
        self.seen = []
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.file:
            if line.endswith(b"EXISTS\r\n"):
                with self.lock:
                    self.seen.append(time.perf_counter())

    def count(self):
        with self.lock:
            return len(self.seen)

    def at(self, k):
        with self.lock:
            return self.seen[k] if len(self.seen) > k else None

    def close(self):
        try:
            self.sock.sendall(b"DONE\r\nd LOGOUT\r\n")
        except OSError:
            pass
        self.sock.close()


def acks(smtp_dir):
    return sum(1 for n in os.listdir(smtp_dir) if n.endswith(".eml"))


def measure_one(i, dovecot, smtp, db, watcher, timeout=30.0):
    """Delivers mail i and returns (exists_s, stored_s, acked_s); None for what did not
    arrive."""
    k = watcher.count()
    want_rows = bl.sqlite_count(db, "raw_messages") + 1
    want_acks = acks(smtp.dir) + 1
    data = bl.text_mail(i, 4096, "latency")
    with smtplib.LMTP("127.0.0.1", dovecot.lmtp_port) as lmtp:
        lmtp.sendmail(f"customer{i}@example{i % 50}.org", ["support"], data)
        t0 = time.perf_counter()
    stored = acked = exists = None
    while time.perf_counter() - t0 < timeout and (stored is None or acked is None):
        now = time.perf_counter() - t0
        if exists is None and watcher.at(k) is not None:
            exists = watcher.at(k) - t0
        if stored is None and bl.sqlite_count(db, "raw_messages") >= want_rows:
            stored = now
        if acked is None and acks(smtp.dir) >= want_acks:
            acked = now
        time.sleep(0.002)
    # The bare client's EXISTS may come a little after helpdeskd's ack: wait up to 1 s more.
    waited = time.perf_counter()
    while exists is None and time.perf_counter() - waited < 1.0:
        if watcher.at(k) is not None:
            exists = watcher.at(k) - t0
        time.sleep(0.002)
    return exists, stored, acked


def summary(name, values):
    ms = [v * 1000 for v in values]
    return (f"   {name:7} ms: median {bl.fmt_num(statistics.median(ms))}, "
            f"p90 {bl.fmt_num(bl.percentile(ms, 90))}, max {bl.fmt_num(max(ms))}, "
            f"min {bl.fmt_num(min(ms))} (n {len(ms)})")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("helpdeskd")
    p.add_argument("--mails", type=int, default=30)
    p.add_argument("--gap", type=float, default=0.5)
    p.add_argument("--tls", default="implicit", choices=["none", "implicit"])
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()
    binary = os.path.abspath(args.helpdeskd)
    bl.say("latency benchmark: LMTP delivery -> stored / -> ack at the SMTP receiver, "
           "helpdeskd run (service, IDLE)")
    bl.say("before: " + bl.machine_line())
    exists, stored, acked, missing = [], [], [], 0
    with bl.workdir(args.keep) as work:
        dovecot = bl.start_dovecot(work)
        smtp = bl.start_smtp(work)
        proc = None
        try:
            with open(os.path.join(work, "pass"), "w") as f:
                f.write("secret\n")
            conf = os.path.join(work, "hd.toml")
            mb = bl.imap_mailbox(dovecot, "support", "pass", args.tls, poll_interval_s=600,
                                 idle="true")
            bl.write_config(conf, "hd.db", [mb], smtp_port=smtp.port)
            log_path = os.path.join(work, "run.log")
            log = open(log_path, "w")
            proc = subprocess.Popen([binary, "-c", conf, "run"], stdout=log, stderr=log)
            if not wait_for_log(log_path, "idle=true", 20, proc):
                raise RuntimeError(f"helpdeskd did not reach IDLE; see {log_path}")
            db = os.path.join(work, "hd.db")
            watcher = idle_watcher(dovecot)
            for i in range(1, args.mails + 1):
                e, s, a = measure_one(i, dovecot, smtp, db, watcher)
                if e is not None:
                    exists.append(e)
                if s is None or a is None:
                    missing += 1
                if s is not None:
                    stored.append(s)
                if a is not None:
                    acked.append(a)
                bl.say(f"  mail {i:3}: EXISTS to a bare IDLE client {fmt_ms(e)}, "
                       f"stored {fmt_ms(s)}, acked {fmt_ms(a)}")
                time.sleep(args.gap + random.random())
            watcher.close()
        finally:
            if proc:
                proc.terminate()
                proc.wait(timeout=30)
            smtp.stop()
            dovecot.stop()
    bl.say(f"\n-- {args.mails} mails of 4 KB by LMTP, one at a time, tls {args.tls}, "
           f"IDLE, [smtp] configured, synchronous full")
    if exists:
        bl.say(summary("EXISTS", exists) + "  <- Dovecot's own notification delay (bare client)")
    if stored:
        bl.say(summary("stored", stored))
    if acked:
        bl.say(summary("acked", acked))
    if missing:
        bl.say(f"   {missing} mails not stored or not acknowledged within 30 s")
    bl.say("after: load average " + bl.load_average())
    sys.exit(1 if missing else 0)


def fmt_ms(v):
    return "-" if v is None else f"{v * 1000:7.1f} ms"


if __name__ == "__main__":
    main()
