"""Several daemons on one PostgreSQL (issue 18): intake with one `helpdeskd run` against two
(or more), in the same sitting.

    /usr/bin/python3 bench/scale_out.py BUILD/daemon/helpdeskd [--daemons 1,2] [--mailboxes 4]
        [--mails 1000] [--bytes 4096] [--reps 3] [--lease-s 3] [--pg-opts '-c fsync=on'] [--keep]

Starts a private Dovecot and a private PostgreSQL 15 (tests/integration/lib/servers.sh, on
127.0.0.1). MAILBOXES Dovecot users each get MAILS mails of BYTES (written into their
maildirs, then read once untimed so Dovecot has its indexes). For each repetition and each
daemon count D (in turn, so every count meets the same load): the database is emptied,
D `helpdeskd run` start at once with the same configuration (one [[mailbox]] per user,
acknowledgements queued, no [smtp], [database] lease_s = LEASE_S), and the clock runs until
every mail is in raw_messages; then the daemons get SIGTERM. Printed per run: the time, mails/s,
how many mails each daemon stored (its `imap.stored` log lines, duplicates aside) and the load
average.

The daemons start together: the first to commit its lease round takes every mailbox, and
hands the others their share at its next renewal (every LEASE_S / 3 s), so the first second or
so runs on one daemon (docs/scale-out.md). On this 2-core machine PostgreSQL, Dovecot and the
daemons share two cores: the figure says whether two daemons contend (hot rows, locks), not
what two machines would do.
"""
import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402


def run_daemons(args, dovecot, pg, users, count, work, rep):
    d = os.path.join(work, f"run-{rep}-{count}")
    os.makedirs(d)
    with open(os.path.join(d, "pass"), "w") as f:
        f.write("secret\n")
    conf = os.path.join(d, "hd.toml")
    boxes = [bl.imap_mailbox(dovecot, u, "pass", poll_interval_s=600) for u in users]
    bl.write_config(conf, "hd.db", boxes, url=pg.url, db_extra=f"lease_s = {args.lease_s}\n")
    pg.empty()
    subprocess.run([args.helpdeskd, "-c", conf, "db", "migrate"], check=True,
                   capture_output=True)
    total = args.mails * len(users)
    logs = [open(os.path.join(d, f"d{i}.log"), "w") for i in range(count)]
    t0 = time.perf_counter()
    procs = [subprocess.Popen([args.helpdeskd, "-c", conf, "run"], stdout=log, stderr=log)
             for log in logs]
    try:
        deadline = time.time() + 600
        while pg.count("raw_messages") < total:
            if time.time() > deadline:
                raise RuntimeError(f"not all mail stored in 600 s; see {d}")
            for p in procs:
                if p.poll() is not None:
                    raise RuntimeError(f"a daemon exited ({p.returncode}); see {d}")
            time.sleep(0.02)
        took = time.perf_counter() - t0
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for log in logs:
            log.close()
    stored_by = []
    for i in range(count):
        with open(os.path.join(d, f"d{i}.log")) as f:
            stored_by.append(sum(1 for line in f
                                 if " imap.stored " in line and "result=duplicate" not in line))
    requests = pg.count("requests")
    if not args.keep:
        shutil.rmtree(d, ignore_errors=True)
    return took, total, stored_by, requests


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("helpdeskd")
    p.add_argument("--daemons", default="1,2", help="daemon counts to compare (default 1,2)")
    p.add_argument("--mailboxes", type=int, default=4)
    p.add_argument("--mails", type=int, default=1000, help="mails per mailbox")
    p.add_argument("--bytes", type=int, default=4096)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--lease-s", type=int, default=3)
    p.add_argument("--pg-opts", default="", help="more PostgreSQL server options")
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()
    args.helpdeskd = os.path.abspath(args.helpdeskd)
    counts = [int(x) for x in args.daemons.split(",")]
    users = [f"so{i:02d}" for i in range(1, args.mailboxes + 1)]
    os.environ["DOVECOT_EXTRA_USERS"] = " ".join(users)
    bl.say("scale-out benchmark: one PostgreSQL, several `helpdeskd run`")
    bl.say("before: " + bl.machine_line())
    rates = {c: [] for c in counts}
    with bl.workdir(args.keep) as work:
        dovecot = bl.start_dovecot(work)
        pg = bl.private_pg(work, opts=args.pg_opts)
        try:
            for u in users:
                bl.fill_maildir(dovecot, u, (bl.make_mail(i, args.bytes, u)
                                             for i in range(1, args.mails + 1)))
            bl.say(f"{len(users)} mailboxes x {args.mails} mails of {args.bytes} bytes; "
                   f"lease_s {args.lease_s}; PostgreSQL options: "
                   f"{pg.opts or '(lib/pg.sh defaults: fsync off)'}")
            for rep in range(1, args.reps + 1):
                for c in counts:
                    took, total, by, requests = run_daemons(args, dovecot, pg, users, c, work,
                                                            rep)
                    rates[c].append(total / took)
                    bl.say(f"  rep {rep}, {c} daemon{'s' if c > 1 else ''}: {total} mails in "
                           f"{took:6.2f} s, {total / took:6,.0f} mails/s; stored per daemon "
                           f"{by}; {requests} requests; load {bl.load_average()}")
        finally:
            pg.stop()
            dovecot.stop()
    bl.say("")
    for c in counts:
        bl.say(f"   {c} daemon{'s' if c > 1 else ' '} mails/s: {bl.spread(rates[c])}")
    if len(counts) > 1:
        base = statistics.median(rates[counts[0]])
        for c in counts[1:]:
            bl.say(f"   ratio of medians: {c} / {counts[0]} daemons = "
                   f"{statistics.median(rates[c]) / base:.2f}")
    bl.say("after: load average " + bl.load_average())


if __name__ == "__main__":
    main()
