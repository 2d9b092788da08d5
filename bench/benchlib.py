"""Shared pieces of the end-to-end benchmarks (intake.py, latency.py, memory.py).

Run the benchmarks with Debian's /usr/bin/python3 (it has aiosmtpd for the SMTP receiver).
The servers are the project's own, from tests/integration/lib/servers.sh: a private Dovecot
and an SMTP receiver on 127.0.0.1 in a temporary directory, stopped when the benchmark ends.
Only loopback addresses are used.
"""
import base64
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(HERE)
SERVERS_SH = os.path.join(SOURCE_DIR, "tests", "integration", "lib", "servers.sh")


# ---------------------------------------------------------------------------------------------
# The machine and the figures


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def machine_line():
    """nproc, CPU model, memory and the load average now: printed with every figure."""
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"machine: nproc {os.cpu_count()}, {model}, {mem_gib:.0f} GiB, "
            f"kernel {os.uname().release}; load average {load_average()}")


def spread(values):
    """'median M (min A, max B, n N)' for a list of numbers."""
    return (f"median {fmt_num(statistics.median(values))} (min {fmt_num(min(values))}, "
            f"max {fmt_num(max(values))}, n {len(values)})")


def fmt_num(x):
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    s = sorted(values)
    return s[max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))]


def free_port():
    """A free TCP port on 127.0.0.1 (for a server the benchmark starts)."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def say(*args):
    print(*args, flush=True)


# ---------------------------------------------------------------------------------------------
# Mail


LINE = "The printer in the second floor office still does not print after the update.\r\n"


def text_mail(i, size, tag="bench"):
    """A plain-text customer mail of about `size` bytes, with a unique sender (each mail is a
    new person and a new request, and gets an acknowledgement) and a unique Message-ID."""
    head = (f"From: Customer {i} <customer{i}@example{i % 50}.org>\r\n"
            f"To: support@example.com\r\n"
            f"Subject: Problem number {i} with the printer\r\n"
            f"Message-ID: <{tag}-{i}@example{i % 50}.org>\r\n"
            f"Date: Mon, 16 Nov 2026 09:00:00 +0000\r\n"
            f"MIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
            f"Mail {i}.\r\n")
    body_bytes = max(0, size - len(head) - 2)
    body = (LINE * (body_bytes // len(LINE) + 1))[:body_bytes]
    return (head + body + "\r\n").encode()


def attachment_mail(i, size, tag="bench", seed=None):
    """A multipart/mixed mail of about `size` bytes: a short text part and a base64
    attachment of random bytes (a screenshot, say) filling the rest."""
    head = (f"From: Customer {i} <customer{i}@example{i % 50}.org>\r\n"
            f"To: support@example.com\r\n"
            f"Subject: Screenshot of problem {i}\r\n"
            f"Message-ID: <{tag}-{i}@example{i % 50}.org>\r\n"
            f"Date: Mon, 16 Nov 2026 09:00:00 +0000\r\n"
            f"MIME-Version: 1.0\r\n"
            f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n'
            f"--b{i}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            f"Mail {i}, see the attachment.\r\n{LINE * 5}"
            f"--b{i}\r\nContent-Type: image/png; name=\"screen{i}.png\"\r\n"
            f"Content-Disposition: attachment; filename=\"screen{i}.png\"\r\n"
            f"Content-Transfer-Encoding: base64\r\n\r\n")
    tail = f"--b{i}--\r\n"
    room = max(0, size - len(head) - len(tail))
    raw = random.Random(seed if seed is not None else i).randbytes(room * 57 // 78)
    b64 = base64.encodebytes(raw).replace(b"\n", b"\r\n")
    return head.encode() + b64 + tail.encode()


def make_mail(i, size, tag="bench"):
    """Text mail up to 8 KB, mail with an attachment above."""
    return text_mail(i, size, tag) if size <= 8192 else attachment_mail(i, size, tag)


# ---------------------------------------------------------------------------------------------
# Servers (the project's servers.sh, run by bash; bash stays as the parent that reaps them)


class server:
    """A server started by a servers.sh function in a bash that waits for it. `vars` holds the
    shell variables the function set."""

    def __init__(self, call, names):
        script = (f'source "{SERVERS_SH}"; {call} || exit 1; '
                  f'echo {" ".join("$" + n for n in names)}; wait')
        self.proc = subprocess.Popen(["bash", "-c", script], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        if len(line) != len(names):
            self.proc.wait()
            raise RuntimeError(f"servers.sh: {call} failed")
        self.vars = dict(zip(names, line))
        self.pid = int(self.vars[names[0]])

    def stop(self):
        try:
            os.killpg(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.proc.wait()


def start_dovecot(workdir):
    s = server(f'dovecot_start "{workdir}/dovecot"',
               ["DOVECOT_PID", "DOVECOT_IMAP_PORT", "DOVECOT_IMAPS_PORT", "DOVECOT_LMTP_PORT",
                "DOVECOT_CA", "DOVECOT_DIR"])
    s.imap_port = int(s.vars["DOVECOT_IMAP_PORT"])
    s.imaps_port = int(s.vars["DOVECOT_IMAPS_PORT"])
    s.lmtp_port = int(s.vars["DOVECOT_LMTP_PORT"])
    s.ca = s.vars["DOVECOT_CA"]
    s.dir = s.vars["DOVECOT_DIR"]
    return s


def start_smtp(workdir):
    s = server(f'smtp_start "{workdir}/smtp"', ["SMTP_PID", "SMTP_PORT", "SMTP_DIR"])
    s.port = int(s.vars["SMTP_PORT"])
    s.dir = s.vars["SMTP_DIR"]
    return s


class private_pg(server):
    """A private PostgreSQL 15 (tests/integration/lib/pg.sh) for helpdeskd's [database] url."""

    def __init__(self, workdir, statements=False, opts=""):
        """STATEMENTS: load pg_stat_statements, so statement_counts() can say what a run sent.
        OPTS: more server options (PG_OPTS of lib/pg.sh), e.g. "-c fsync=on"."""
        os.chmod(workdir, 0o755)  # as root the server runs as nobody, who must reach it
        if statements:
            opts += (" -c shared_preload_libraries=pg_stat_statements"
                     " -c pg_stat_statements.track=all")
        self.opts = opts.strip()
        super().__init__(f'PG_OPTS="{self.opts}" pg_start "{workdir}/pg"',
                         ["PG_PID", "PG_PORT", "PG_SOCKET_DIR", "PG_URL"])
        self.url = self.vars["PG_URL"]
        self.statements = statements
        if statements:  # in the database "postgres", which empty() does not touch
            self.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", db="postgres")

    def psql(self, sql, db="helpdesk"):
        r = subprocess.run(["/usr/lib/postgresql/15/bin/psql", "-X", "-q", "-A", "-t",
                            "-v", "ON_ERROR_STOP=1", "-h", self.vars["PG_SOCKET_DIR"],
                            "-p", self.vars["PG_PORT"], "-U", "helpdesk", "-d", db,
                            "-c", sql], capture_output=True, text=True, check=True)
        return r.stdout.strip()

    def reset_statements(self):
        self.psql("SELECT pg_stat_statements_reset()", db="postgres")

    def statement_counts(self, top=8):
        """(calls, server milliseconds, [(calls, ms, query)...] of the TOP costliest) of the
        database "helpdesk" since reset_statements(); the server's own execution time only,
        not the round trips."""
        where = "dbid = (SELECT oid FROM pg_database WHERE datname = 'helpdesk')"
        calls, ms = self.psql(f"SELECT COALESCE(SUM(calls), 0), COALESCE(SUM(total_exec_time), 0)"
                              f" FROM pg_stat_statements WHERE {where}", db="postgres").split("|")
        rows = self.psql(f"SELECT calls, total_exec_time, left(regexp_replace(query, '\\s+', ' ',"
                         f" 'g'), 70) FROM pg_stat_statements WHERE {where}"
                         f" ORDER BY total_exec_time DESC LIMIT {int(top)}", db="postgres")
        tops = [(int(c), float(t), q) for c, t, q in
                (line.split("|", 2) for line in rows.splitlines() if line)]
        return int(calls), float(ms), tops

    def empty(self):
        """Drops every table: the next helpdeskd makes the schema again."""
        self.psql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")

    def count(self, table, where="true"):
        return int(self.psql(f"SELECT COUNT(*) FROM {table} WHERE {where}"))


def fill_maildir(dovecot, user, mails):
    """Writes mails (an iterable of bytes) straight into USER's INBOX as maildir files (far
    faster than LMTP). Returns (count, bytes)."""
    md = os.path.join(dovecot.dir, "home", user, "Maildir")
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(md, sub), exist_ok=True)
    count = total = 0
    stamp = int(time.time())
    for data in mails:
        count += 1
        total += len(data)
        name = f"{stamp}.M{count}P{os.getpid()}.bench,S={len(data)}"
        tmp = os.path.join(md, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(md, "cur", name + ":2,"))
    if os.getuid() == 0:
        subprocess.run(["chown", "-R", "nobody:nogroup", os.path.join(dovecot.dir, "home", user)],
                       check=True)
    return count, total


# ---------------------------------------------------------------------------------------------
# helpdeskd configuration


DIRECTORY = ('[[priority]]\nname = "normal"\nfirst_response_hours = 8\n'
             'resolution_hours = 72\ndefault = true\n'
             '[[priority]]\nname = "urgent"\nfirst_response_hours = 1\nresolution_hours = 8\n'
             '[[user]]\nlogin = "anna"\n[[user]]\nlogin = "ole"\n'
             '[[category]]\nname = "general"\nassignment = "manual"\n'
             'members = ["anna", "ole"]\n'
             '[[category]]\nname = "billing"\nassignment = "round_robin"\nmembers = ["anna"]\n')


def write_config(path, db, mailboxes, smtp_port=None, synchronous="full", extra="", db_extra="",
                 ack=True, rules=True, url=None, directory=DIRECTORY, log_level="info"):
    """A helpdeskd config with the example rules and templates from etc/, DIRECTORY's
    priorities, users and categories (by default two of each), and the given [[mailbox]] blocks
    (dicts of key -> TOML value text)."""
    with open(path, "w") as f:
        f.write(f'[log]\nlevel = "{log_level}"\n'
                + (f'[database]\nurl = "{url}"\n{db_extra}' if url else
                   f'[database]\npath = "{db}"\nsynchronous = "{synchronous}"\n{db_extra}') +
                f'[outgoing]\nfrom_name = "Example Support"\n'
                f'from_address = "support@example.com"\n'
                f'message_id_domain = "helpdesk.example.com"\n'
                f'templates_dir = "{SOURCE_DIR}/etc/templates"\n'
                f'[ack]\nenabled = {"true" if ack else "false"}\n')
        if rules:
            f.write(f'[rules]\nfile = "{SOURCE_DIR}/etc/rules.sieve"\n')
        if smtp_port:
            f.write(f'[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\ntls = "none"\n'
                    f'helo_name = "helpdesk.example.com"\n')
        f.write(directory)
        f.write(extra)
        for mb in mailboxes:
            f.write("[[mailbox]]\n")
            for k, v in mb.items():
                f.write(f"{k} = {v}\n")


def imap_mailbox(dovecot, user, password_file, tls="none", **more):
    """A [[mailbox]] block for a Dovecot user: plain IMAP (tls none) or implicit TLS with the
    test CA."""
    mb = {"name": f'"{user}"', "address": '"support@example.com"', "host": '"127.0.0.1"',
          "user": f'"{user}"', "password_file": f'"{password_file}"', "after_import": '"keep"'}
    if tls == "implicit":
        mb.update(port=str(dovecot.imaps_port), tls='"implicit"', ca_file=f'"{dovecot.ca}"')
    else:
        mb.update(port=str(dovecot.imap_port), tls='"none"')
    mb.update({k: str(v) for k, v in more.items()})
    return mb


class workdir:
    """A temporary directory (world-searchable, as Dovecot's mail user must reach it), removed
    at the end unless keep is set or the benchmark failed (its logs are then kept)."""

    def __init__(self, keep=False, prefix="hd-bench."):
        self.path = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.path, 0o755)
        self.keep = keep

    def __enter__(self):
        return self.path

    def __exit__(self, exc_type, *exc):
        if self.keep or exc_type is not None:
            print(f"(kept {self.path})", file=sys.stderr)
        else:
            shutil.rmtree(self.path, ignore_errors=True)


def sqlite_count(db, table, where="1"):
    import sqlite3
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0
