"""End-to-end intake throughput: helpdeskd beside a bare fetch and fetchmail, in the same run.

    /usr/bin/python3 bench/intake.py BUILD/daemon/helpdeskd [--sets 10000x4096,1000x51200]
        [--reps 3] [--smtp] [--synchronous full|normal] [--commit-batch N]
        [--tls none|implicit] [--no-fetchmail] [--no-ack] [--no-rules] [--wrap CMD] [--keep]

For each set (N mails of B bytes) it fills one mailbox of a private Dovecot on 127.0.0.1
(maildir files written directly), warms Dovecot's index and the page cache with one untimed
fetch, then REPS times, in turn:
  - helpdeskd: `helpdeskd run --once` over the mailbox into a fresh database (fetched, parsed,
    routed by etc/rules.sieve, stored, acknowledgement queued; synchronous = full unless told).
    Without --smtp, [smtp] is not configured, so the acks stay queued; with --smtp they are
    sent to the project's SMTP receiver inside the timed run.
  - bare fetch: Python imaplib, EXAMINE, `FETCH a:b (BODY.PEEK[])` 100 mails per command,
    bodies discarded. The floor for any IMAP client in Python on this machine.
  - fetchmail: `fetchmail --keep --fetchall -p IMAP`, MDA `cat >/dev/null`, no TLS (or the
    test CA with --tls implicit).
It prints mails/s for each (median, min, max over the repetitions) and the ratios of the
medians. Each timed figure is the wall time of the whole command (start-up and login included).
"""
import argparse
import imaplib
import os
import shlex
import shutil
import ssl
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402


def bare_fetch(dovecot, user, tls, batch=100):
    """Fetches every mail of USER's INBOX with BODY.PEEK[], `batch` per command. Returns
    (mails, bytes)."""
    if tls == "implicit":
        ctx = ssl.create_default_context(cafile=dovecot.ca)
        conn = imaplib.IMAP4_SSL("127.0.0.1", dovecot.imaps_port, ssl_context=ctx)
    else:
        conn = imaplib.IMAP4("127.0.0.1", dovecot.imap_port)
    conn.login(user, "secret")
    typ, data = conn.select("INBOX", readonly=True)
    exists = int(data[0])
    mails = total = 0
    for lo in range(1, exists + 1, batch):
        hi = min(exists, lo + batch - 1)
        typ, data = conn.fetch(f"{lo}:{hi}", "(BODY.PEEK[])")
        if typ != "OK":
            raise RuntimeError(f"bare fetch: FETCH {lo}:{hi} answered {typ}")
        for item in data:
            if isinstance(item, tuple):
                mails += 1
                total += len(item[1])
    conn.logout()
    return mails, total


def run_fetchmail(dovecot, user, tls, work):
    """One fetchmail pass over USER's INBOX, keeping the mail; returns the mails it reported."""
    home = os.path.join(work, "fetchmail")
    os.makedirs(home, mode=0o700, exist_ok=True)
    rc = os.path.join(home, "fetchmailrc")
    if tls == "implicit":
        port, tls_opts = (dovecot.imaps_port, f'ssl sslcertck sslcertfile "{dovecot.ca}" '
                                             'sslcommonname localhost')
    else:
        port, tls_opts = dovecot.imap_port, "sslproto ''"
    with open(rc, "w") as f:
        f.write(f'set no syslog\npoll 127.0.0.1 service {port} protocol IMAP auth password\n'
                f'  user "{user}" password "secret"\n'
                f'  keep fetchall {tls_opts} mda "cat >/dev/null"\n')
    os.chmod(rc, 0o600)
    env = dict(os.environ, FETCHMAILHOME=home, HOME=home)
    r = subprocess.run(["fetchmail", "-f", rc, "-N"], env=env, capture_output=True,
                       text=True)
    # 0 = mail retrieved; 1 = no mail. Anything else is a failure to report.
    if r.returncode not in (0, 1):
        raise RuntimeError(f"fetchmail exit {r.returncode}: {r.stderr[-2000:]}{r.stdout[-2000:]}")
    return sum(1 for line in (r.stdout + r.stderr).splitlines()
               if "reading message" in line)


def run_helpdeskd(binary, dovecot, user, tls, args, work, smtp, rep, pg=None):
    """One `helpdeskd run --once` into a fresh database (an SQLite file, or the emptied
    PostgreSQL PG); returns (stored, requests, outbox rows, outbox rows sent)."""
    d = os.path.join(work, f"hd-{user}-{rep}-{'pg' if pg else 'sqlite'}")
    os.makedirs(d)
    with open(os.path.join(d, "pass"), "w") as f:
        f.write("secret\n")
    conf = os.path.join(d, "hd.toml")
    bl.write_config(conf, "hd.db", [bl.imap_mailbox(dovecot, user, "pass", tls)],
                    smtp_port=smtp.port if smtp else None, synchronous=args.synchronous,
                    db_extra=f"commit_batch = {args.commit_batch}\n" if args.commit_batch else "",
                    ack=not args.no_ack, rules=not args.no_rules, url=pg.url if pg else None)
    if pg:
        pg.empty()
        if pg.statements:
            pg.reset_statements()
    with open(os.path.join(d, "run.log"), "w") as log:
        r = subprocess.run(shlex.split(args.wrap or "") + [binary, "-c", conf, "run", "--once"],
                           stdout=log, stderr=log)
    if r.returncode != 0:
        raise RuntimeError(f"helpdeskd run --once exit {r.returncode}; see {d}/run.log")
    db = os.path.join(d, "hd.db")
    if pg and pg.statements:
        stored = max(pg.count("raw_messages"), 1)
        calls, ms, tops = pg.statement_counts()
        bl.say(f"    statements: {calls / stored:.1f} per mail, server execution "
               f"{ms * 1000 / stored:.0f} us per mail ({calls} statements, {ms:.0f} ms); "
               f"costliest:")
        for c, t, q in tops:
            bl.say(f"      {c:7} x {t * 1000 / c:7.1f} us  {q}")
    if pg:
        out = (pg.count("raw_messages"), pg.count("requests"), pg.count("outbox"),
               pg.count("outbox", "status = 'sent'"))
    else:
        out = (bl.sqlite_count(db, "raw_messages"), bl.sqlite_count(db, "requests"),
               bl.sqlite_count(db, "outbox"), bl.sqlite_count(db, "outbox", "status = 'sent'"))
    if not args.keep:
        shutil.rmtree(d, ignore_errors=True)
    return out


def timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def bench_set(args, dovecot, smtp, user, n, size, work, pg=None):
    t0 = time.perf_counter()
    count, total = bl.fill_maildir(dovecot, user, (bl.make_mail(i, size, user)
                                                   for i in range(1, n + 1)))
    fill_s = time.perf_counter() - t0
    bl.say(f"\n== {n} mails of {size} bytes ({total / n:,.0f} bytes average, "
           f"{total / 2**20:.1f} MiB) in Dovecot user {user}: written in {fill_s:.1f} s "
           f"({n / fill_s:,.0f} mails/s)")
    warm_s, (m, _) = timed(lambda: bare_fetch(dovecot, user, args.tls))
    bl.say(f"warm-up fetch (untimed figure: Dovecot indexes the new mailbox): {m} mails "
           f"in {warm_s:.2f} s")
    if m != n:
        raise RuntimeError(f"warm-up fetched {m} of {n} mails")
    # --backend both: each repetition runs SQLite and PostgreSQL one after the other, so both
    # meet the same load.
    backends = {"sqlite": [None], "postgresql": [pg], "both": [None, pg]}[args.backend]
    rates = {"bare fetch": [], "fetchmail": []}
    for rep in range(1, args.reps + 1):
        for db in backends:
            name = "helpdeskd" + (" (pg)" if db else "") if args.backend != "both" else \
                "helpdeskd pg" if db else "helpdeskd sqlite"
            s, (stored, requests, queued, sent) = timed(
                lambda: run_helpdeskd(args.helpdeskd, dovecot, user, args.tls, args, work, smtp,
                                      rep, db))
            rates.setdefault(name, []).append(n / s)
            bl.say(f"  rep {rep} {name}:  {s:7.2f} s  {n / s:8,.0f} mails/s  "
                   f"(stored {stored}, requests {requests}, outbox {queued}, sent {sent}; "
                   f"load {bl.load_average()})")
            if stored != n:
                raise RuntimeError(f"{name} stored {stored} of {n} mails")
        s, (m, b) = timed(lambda: bare_fetch(dovecot, user, args.tls))
        if m != n:
            raise RuntimeError(f"bare fetch got {m} of {n} mails")
        rates["bare fetch"].append(n / s)
        bl.say(f"  rep {rep} bare fetch: {s:7.2f} s  {n / s:8,.0f} mails/s  "
               f"({m} mails, {b / s / 2**20:.0f} MiB/s)")
        if not args.no_fetchmail:
            s, m = timed(lambda: run_fetchmail(dovecot, user, args.tls, work))
            if m != n:
                raise RuntimeError(f"fetchmail reported {m} of {n} mails")
            rates["fetchmail"].append(n / s)
            bl.say(f"  rep {rep} fetchmail:  {s:7.2f} s  {n / s:8,.0f} mails/s  ({m} mails)")
    return rates


def report(n, size, rates, args):
    smtp = "[smtp] configured: acks sent inside the run" if args.smtp else \
        "[smtp] not configured: acks queued in the outbox"
    batch = f", commit_batch {args.commit_batch}" if args.commit_batch else ""
    if args.no_ack:
        smtp = "acks disabled"
    off = ", no rules" if args.no_rules else ""
    bl.say(f"-- {n} x {size} B, tls {args.tls}, synchronous {args.synchronous}{batch}{off}, "
           f"{smtp}")
    for name, r in rates.items():
        if r:
            bl.say(f"   {name:11} mails/s: {bl.spread(r)}")
    bare = statistics.median(rates["bare fetch"])
    for name, r in rates.items():
        if not name.startswith("helpdeskd"):
            continue
        hd = statistics.median(r)
        line = f"   ratio of medians: {name} / bare fetch = {hd / bare:.3f}"
        if rates["fetchmail"]:
            line += f", {name} / fetchmail = {hd / statistics.median(rates['fetchmail']):.2f}"
        bl.say(line)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("helpdeskd", help="the helpdeskd binary (a Release build for figures)")
    p.add_argument("--sets", default="10000x4096,1000x51200",
                   help="comma-separated NxBYTES mailboxes (default %(default)s)")
    p.add_argument("--reps", type=int, default=3, help="repetitions (default %(default)s)")
    p.add_argument("--smtp", action="store_true", help="configure [smtp]: send the acks")
    p.add_argument("--synchronous", default="full", choices=["full", "normal"])
    p.add_argument("--commit-batch", type=int,
                   help="[database] commit_batch (default: helpdeskd's own default)")
    p.add_argument("--tls", default="none", choices=["none", "implicit"])
    p.add_argument("--no-fetchmail", action="store_true")
    p.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql", "both"],
                   help="where helpdeskd stores: an SQLite file, a private PostgreSQL 15 "
                        "([database] url), or both in turn (default %(default)s)")
    p.add_argument("--no-ack", action="store_true", help="[ack] enabled = false (to see its cost)")
    p.add_argument("--no-rules", action="store_true", help="no [rules] file (to see its cost)")
    p.add_argument("--pg-statements", action="store_true",
                   help="PostgreSQL: after each run, print the statements per mail and the "
                        "server's execution time (pg_stat_statements)")
    p.add_argument("--pg-opts", default="",
                   help="more PostgreSQL server options, e.g. '-c fsync=on' "
                        "(lib/pg.sh runs it with fsync off)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    p.add_argument("--wrap", help="run helpdeskd under this command, e.g. "
                   "'perf record -o /tmp/hd.perf' (the figures then include its overhead)")
    args = p.parse_args()
    args.helpdeskd = os.path.abspath(args.helpdeskd)
    sets = [tuple(int(x) for x in s.split("x")) for s in args.sets.split(",")]
    users = ["support", "sales", "other"]
    if len(sets) > len(users):
        p.error(f"at most {len(users)} sets")
    bl.say("intake benchmark: helpdeskd run --once vs bare imaplib fetch vs fetchmail")
    bl.say("before: " + bl.machine_line())
    results = []
    with bl.workdir(args.keep) as work:
        dovecot = bl.start_dovecot(work)
        smtp = bl.start_smtp(work) if args.smtp else None
        pg = bl.private_pg(work, args.pg_statements, args.pg_opts) \
            if args.backend != "sqlite" else None
        try:
            for (n, size), user in zip(sets, users):
                results.append((n, size, bench_set(args, dovecot, smtp, user, n, size, work, pg)))
        finally:
            if pg:
                pg.stop()
            if smtp:
                smtp.stop()
            dovecot.stop()
    bl.say("")
    for n, size, rates in results:
        report(n, size, rates, args)
    bl.say("after: load average " + bl.load_average())


if __name__ == "__main__":
    main()
