"""End-to-end intake into a big database against an empty one: the daemon itself, not a model.

    /usr/bin/python3 bench/intake_big.py BUILD/daemon/helpdeskd --dir DIR [--mails 10000]
        [--rounds 5] [--cache-mb N] [--keep]

DIR is a database built by `bench_scale build` (DIR/hd.db, DIR/helpdeskd.toml). Each round,
for each side in turn (the order alternating round by round), a new user of a private Dovecot on
127.0.0.1 gets MAILS mails of about 4 KB (maildir files written directly), and
`helpdeskd run --once` takes them: into DIR/hd.db, and into a fresh database. Both runs have the
same configuration (DIR's users, categories and priorities; etc/rules.sieve; acknowledgements
queued from etc/templates; synchronous full; the integrity check at start off, as it reads the
whole file) and differ only by the database. The mails are requests of 1-3 mails (replies
thread by In-Reply-To, from the same sender), as `bench_scale intake` writes them: a new request
comes from a new customer one time in four, otherwise from a returning one, drawn at random from
all of DIR's customers (into the fresh database: from the run's earlier senders).

Each figure is the wall time of the whole `run --once` (start, login, fetch, parse, rules,
store, acknowledgement queued): the daemon's writer starts with an empty page cache and fills
it as it goes, as after a restart. Prints mails/s of each side, their ratio per round, and the
min / median / max. DIR/hd.db grows by MAILS/2 requests a round.
"""
import argparse
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402


def scale_blocks(dir_):
    """DIR/helpdeskd.toml without its [database] table: the users, categories and priorities
    the big database was built with (a configuration without them would retire them)."""
    out, skip = [], False
    with open(os.path.join(dir_, "helpdeskd.toml")) as f:
        for line in f:
            s = line.strip()
            if s.startswith("["):
                skip = s == "[database]"
            if not skip:
                out.append(line)
    return "".join(out)


def write_config(path, db, blocks, dovecot, user, cache_mb):
    """The configuration of both sides: DB, BLOCKS (the big database's directory), and USER's
    mailbox, with benchlib's example rules, templates and acknowledgements."""
    password = os.path.join(os.path.dirname(path), "pass")
    bl.write_config(path, db, [bl.imap_mailbox(dovecot, user, password, category='"general"')],
                    db_extra='check_on_start = "off"\n'
                    + (f"cache_mb = {cache_mb}\n" if cache_mb else ""),
                    directory=blocks, log_level="warn")


def known_customers(db, n, rng):
    """N addresses drawn at random from DB's customers."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        top = con.execute("SELECT MAX(rowid) FROM person_addresses").fetchone()[0] or 0
        out = []
        while top and len(out) < n:
            row = con.execute("SELECT address FROM person_addresses WHERE rowid = ?",
                              (rng.randint(1, top),)).fetchone()
            if row:
                out.append(row[0])
        return out
    finally:
        con.close()


def mails(tag, count, known, rng):
    """COUNT mails of about 4 KB: requests of 1-3 mails, senders as the module says."""
    seen, made, r = [], 0, 0
    while made < count:
        pool = known if known else seen
        if not pool or rng.randrange(4) == 0:
            sender = f"{rng.getrandbits(32):08x}.{tag}{r}@company{r % 97}.example"
            seen.append(sender)
        else:
            sender = rng.choice(pool)
        first = f"{tag}-{r}.0@mail.example"
        for k in range(1 + r % 3):
            if made == count:
                break
            head = (f"From: Customer <{sender}>\r\nTo: Support <support@example.com>\r\n"
                    f"Subject: {'Re: ' if k else ''}The printer on floor {r % 7} ({tag} {r})\r\n"
                    f"Message-ID: <{tag}-{r}.{k}@mail.example>\r\n"
                    + (f"In-Reply-To: <{first}>\r\n" if k else "")
                    + "Date: Mon, 07 Dec 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
                    "Content-Type: text/plain; charset=us-ascii\r\n\r\n")
            body = (bl.LINE * (4096 // len(bl.LINE) + 1))[:max(0, 4096 - len(head))]
            yield (head + body + "\r\n").encode()
            made += 1
        r += 1


def run_side(binary, work, dovecot, name, db, blocks, count, known, rng, cache_mb):
    """Fills Dovecot user NAME and runs `helpdeskd run --once` into DB. Returns (seconds,
    mails stored)."""
    d = os.path.join(work, name)
    os.makedirs(d)
    with open(os.path.join(d, "pass"), "w") as f:
        f.write("secret\n")
    # Message-IDs of their own: a sitting before wrote the same user names into DB.
    tag = f"{name}.{time.time_ns():x}"
    bl.fill_maildir(dovecot, name, mails(tag, count, known, rng))
    conf = os.path.join(d, "hd.toml")
    write_config(conf, db, blocks, dovecot, name, cache_mb)
    before = bl.sqlite_count(db, "raw_messages") if os.path.exists(db) else 0
    t0 = time.perf_counter()
    with open(os.path.join(d, "run.log"), "w") as log:
        r = subprocess.run([binary, "-c", conf, "run", "--once"], stdout=log, stderr=log)
    s = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"helpdeskd run --once exit {r.returncode}; see {d}/run.log")
    stored = bl.sqlite_count(db, "raw_messages") - before
    if stored != count:
        raise RuntimeError(f"{name}: stored {stored} of {count}; see {d}/run.log")
    return s, stored


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("helpdeskd")
    p.add_argument("--dir", required=True, help="a database built by bench_scale build")
    p.add_argument("--mails", type=int, default=10000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--keep", action="store_true")
    p.add_argument("--cache-mb", type=int,
                   help="[database] cache_mb of both runs (default: the daemon's, 32)")
    args = p.parse_args()
    binary, big = os.path.abspath(args.helpdeskd), os.path.abspath(os.path.join(args.dir, "hd.db"))
    blocks = scale_blocks(args.dir)
    rng = random.Random(1)
    bl.say("intake into a big database against an empty one: helpdeskd run --once, "
           f"{args.mails} mails of 4 KB a run")
    bl.say("before: " + bl.machine_line())
    bl.say(f"big database: {big}, {bl.sqlite_count(big, 'requests')} requests")
    rates = {"big": [], "empty": []}
    ratios = []
    with bl.workdir(args.keep) as work:
        os.environ["DOVECOT_EXTRA_USERS"] = " ".join(
            f"{side}{rnd}" for rnd in range(1, args.rounds + 1) for side in ("big", "empty"))
        dovecot = bl.start_dovecot(work)
        try:
            for rnd in range(1, args.rounds + 1):
                got = {}
                order = ("big", "empty") if rnd % 2 else ("empty", "big")
                for side in order:
                    if side == "big":
                        known = known_customers(big, args.mails // 2, rng)
                        db = big
                    else:
                        known, db = [], os.path.join(work, f"empty{rnd}.db")
                    s, n = run_side(binary, work, dovecot, f"{side}{rnd}", db, blocks,
                                    args.mails, known, rng, args.cache_mb)
                    got[side] = n / s
                    rates[side].append(n / s)
                    if side == "empty" and not args.keep:
                        for suffix in ("", "-wal", "-shm"):
                            if os.path.exists(db + suffix):
                                os.remove(db + suffix)
                ratios.append(got["big"] / got["empty"])
                bl.say(f"  round {rnd}: into the big database {got['big']:,.0f} mails/s, "
                       f"into an empty one {got['empty']:,.0f} mails/s: "
                       f"{ratios[-1]:.3f}x (load {bl.load_average()})")
        finally:
            dovecot.stop()
    bl.say(f"\n-- mails/s, {args.rounds} rounds of {args.mails} mails")
    bl.say(f"   into the big database: {bl.spread(rates['big'])}")
    bl.say(f"   into an empty one:     {bl.spread(rates['empty'])}")
    bl.say(f"   ratio:                 min {min(ratios):.3f}, median "
           f"{statistics.median(ratios):.3f}, max {max(ratios):.3f}")
    bl.say(f"big database after: {bl.sqlite_count(big, 'requests')} requests")
    bl.say("after: load average " + bl.load_average())


if __name__ == "__main__":
    main()
