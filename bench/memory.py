"""Peak memory (maximum resident set size) while ingesting, with and without one huge mail.

    /usr/bin/python3 bench/memory.py BUILD/daemon/helpdeskd [--mails 10000] [--big-mb 25]
        [--reps 2] [--keep] [--cache-mb N]

Fills two mailboxes of a private Dovecot on 127.0.0.1: MAILS mails of 4 KB, and the same with
mail number MAILS/2 replaced by one of BIG_MB MB (a short text and a base64 attachment of
random bytes). `limits.max_message_bytes` is raised to 64 MiB so the big mail is fetched,
parsed and stored whole, not quarantined. Then, REPS times each, `/usr/bin/time -v helpdeskd
run --once` over each mailbox (fresh database, plain IMAP, [smtp] not configured: acks queued,
synchronous full), and `helpdeskd ingest` of the big mail alone (pipe mode), and prints the
maximum resident set size of each. --cache-mb sets [database] cache_mb (the page cache of the
connection `run` stores mail on; default 32 MiB).
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

BIG_LIMIT = 64 * 2**20


def max_rss_kib(stderr_path):
    with open(stderr_path, errors="replace") as f:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())
    if not m:
        raise RuntimeError(f"no max RSS in {stderr_path}")
    return int(m.group(1))


def timed_run(argv, d, stdin=None):
    """Runs argv under /usr/bin/time -v in d; returns (seconds, max RSS in MiB)."""
    err = os.path.join(d, "time.log")
    t0 = time.perf_counter()
    with open(err, "w") as e:
        r = subprocess.run(["/usr/bin/time", "-v"] + argv, stdin=stdin, stdout=subprocess.DEVNULL,
                           stderr=e, cwd=d)
    s = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {r.returncode}; see {err}")
    return s, max_rss_kib(err) / 1024


def new_dir(work, name, dovecot, user, cache_mb=None):
    d = os.path.join(work, name)
    os.makedirs(d)
    with open(os.path.join(d, "pass"), "w") as f:
        f.write("secret\n")
    mbs = [bl.imap_mailbox(dovecot, user, "pass")] if user else []
    bl.write_config(os.path.join(d, "hd.toml"), "hd.db", mbs,
                    db_extra=f"cache_mb = {cache_mb}\n" if cache_mb else "",
                    extra=f"[limits]\nmax_message_bytes = {BIG_LIMIT}\n")
    return d


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("helpdeskd")
    p.add_argument("--mails", type=int, default=10000)
    p.add_argument("--big-mb", type=float, default=25)
    p.add_argument("--reps", type=int, default=2)
    p.add_argument("--keep", action="store_true")
    p.add_argument("--cache-mb", type=int,
                   help="[database] cache_mb for the runs (default: the daemon's, 32)")
    args = p.parse_args()
    binary = os.path.abspath(args.helpdeskd)
    n, big_at = args.mails, args.mails // 2
    big = bl.attachment_mail(big_at, int(args.big_mb * 1e6), "memory")
    bl.say("memory benchmark: maximum RSS of helpdeskd run --once (and pipe mode)")
    bl.say("before: " + bl.machine_line())
    rss = {"small": [], "big": [], "pipe": []}
    with bl.workdir(args.keep) as work:
        dovecot = bl.start_dovecot(work)
        try:
            bl.fill_maildir(dovecot, "support", (bl.text_mail(i, 4096, "memory")
                                                 for i in range(1, n + 1)))
            bl.fill_maildir(dovecot, "sales",
                            (big if i == big_at else bl.text_mail(i, 4096, "memory")
                             for i in range(1, n + 1)))
            with open(os.path.join(work, "big.eml"), "wb") as f:
                f.write(big)
            bl.say(f"mailboxes: support {n} x 4 KB; sales the same with mail {big_at} of "
                   f"{len(big) / 1e6:.1f} MB")
            for rep in range(1, args.reps + 1):
                for key, user in (("small", "support"), ("big", "sales")):
                    d = new_dir(work, f"{key}-{rep}", dovecot, user, args.cache_mb)
                    s, mib = timed_run([binary, "-c", "hd.toml", "run", "--once"], d)
                    stored = bl.sqlite_count(os.path.join(d, "hd.db"), "raw_messages")
                    quarantined = bl.sqlite_count(os.path.join(d, "hd.db"), "quarantine")
                    rss[key].append(mib)
                    bl.say(f"  rep {rep} run --once {user:7}: max RSS {mib:6.1f} MiB, {s:6.1f} s, "
                           f"stored {stored}, quarantined {quarantined} "
                           f"(load {bl.load_average()})")
                    if stored != n:
                        raise RuntimeError(f"stored {stored} of {n}")
                d = new_dir(work, f"pipe-{rep}", dovecot, None)
                with open(os.path.join(work, "big.eml"), "rb") as mail:
                    s, mib = timed_run([binary, "-c", "hd.toml", "ingest"], d, stdin=mail)
                rss["pipe"].append(mib)
                bl.say(f"  rep {rep} ingest < big.eml: max RSS {mib:6.1f} MiB, {s:6.2f} s")
        finally:
            dovecot.stop()
    bl.say(f"\n-- max RSS (MiB), run --once, plain IMAP, [smtp] not configured, "
           f"max_message_bytes {BIG_LIMIT // 2**20} MiB")
    bl.say(f"   {n} x 4 KB:                       {bl.spread(rss['small'])}")
    bl.say(f"   {n} mails incl. one of {len(big) / 1e6:.0f} MB:     {bl.spread(rss['big'])}")
    bl.say(f"   pipe mode, the {len(big) / 1e6:.0f} MB mail alone: {bl.spread(rss['pipe'])}")
    bl.say("after: load average " + bl.load_average())


if __name__ == "__main__":
    main()
