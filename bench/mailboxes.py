"""Many IDLE mailboxes on one daemon (issue 22): start-up, memory, descriptors, idle CPU and
LMTP-to-stored latency.

    /usr/bin/python3 bench/mailboxes.py [--helpdeskd BUILD/daemon/helpdeskd] [--mailboxes 1000]
        [--mails 100] [--runs 1] [--quiet 10] [--max-connecting N] [--extra-config TOML]
        [--dovecot many|processes|stock] [--idle-check S] [--keep]

Starts a private Dovecot on 127.0.0.1 (tests/integration/lib/servers.sh) with N extra users
u0001..uN (DOVECOT_EXTRA_USERS) and one `helpdeskd run` (service) with one [[mailbox]] per
user: plain IMAP, IDLE, safety-net poll every 600 s (so only IDLE can be fast), acks queued
(no [smtp]). Every user is logged in once beforehand, untimed (Dovecot builds its index files
at a user's first login), and the mailboxes are emptied between runs. Each run (RUNS times,
a fresh database each time) measures:
  - start-up: from starting `run` until every mailbox has logged `imap.connected`, and until
    the daemon told systemd READY=1 (it does so once every mailbox has been contacted; the
    bench listens on a NOTIFY_SOCKET of its own),
  - after start-up: the daemon's RSS (VmRSS, and VmHWM the peak), its open descriptors
    (/proc/PID/fd) and how many of them are sockets, its threads,
  - idle CPU: utime+stime of the daemon (/proc/PID/stat) over a quiet window of QUIET s, as %
    of one core; Dovecot's (all its processes) beside it,
  - latency: MAILS mails of 4 KB delivered over LMTP, one at a time, each to a random
    mailbox, 0.2-0.5 s apart (random); from LMTP's final 250 until the mail's row is in
    raw_messages (the database polled every 2 ms). p50, p99, max.

--dovecot many (default) adds to Dovecot's config (DOVECOT_EXTRA_CONF) what a thousand IDLE
connections need; --dovecot stock runs servers.sh's configuration unchanged (Dovecot's
defaults: one imap process per connection, at most 1024; each IDLE process takes one inotify
instance, 128 per uid by default, beyond which Dovecot polls every
mailbox_idle_check_interval, 30 s); --dovecot processes is stock with the login processes of
`many` and imap's process_limit 5000. See bench/README.md section 8.
"""
import argparse
import os
import random
import re
import smtplib
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

# What 1,000 IDLE connections (one user each) need from Dovecot, appended to servers.sh's
# dovecot.conf through DOVECOT_EXTRA_CONF (Dovecot merges a repeated service block):
#  - imap: many connections per process (service_count 0: a process is reused; client_limit:
#    connections per process). Dovecot's default (service_count 1, client_limit 1,
#    process_limit 1024) gives each connection its own process, and each process in IDLE its
#    own inotify instance: fs.inotify.max_user_instances (128 per uid by default) runs out,
#    Dovecot logs "Inotify instance limit for user ... exceeded" and polls instead, every
#    mailbox_idle_check_interval (30 s). Sharing processes is possible here because every
#    user maps to the same uid (nobody). (client_limit 1000 with service_count 1 does not
#    work: each process still serves one connection, "process_limit (8) reached".)
#  - imap-login: "high-performance mode" (service_count 0), a few processes serving many
#    logins, instead of one process per login with at most 100 (default_process_limit) at
#    once.
#  - mailbox_idle_check_interval: the fallback poll if a watch is missing anyway (default 30 s).
MANY_CONF = """
service imap {
  service_count = 0
  client_limit = 1000
  process_limit = 8
  vsz_limit = 2G
}
service imap-login {
  service_count = 0
  client_limit = 1000
  process_min_avail = 2
  process_limit = 8
}
mailbox_idle_check_interval = {idle_check} secs
"""

# --dovecot processes: one imap process per connection (Dovecot's default) with the process
# limit raised and the login processes of MANY_CONF (mailbox_idle_check_interval stays 30 s).
# Beyond fs.inotify.max_user_instances IDLE processes, Dovecot polls instead of being notified.
PROCESSES_CONF = """
service imap {
  process_limit = 5000
}
service imap-login {
  service_count = 0
  client_limit = 1000
  process_min_avail = 2
  process_limit = 8
}
"""


def wait_connected(log_path, n, proc, notify, seconds, t0):
    """Follows the daemon's log until N distinct mailboxes logged imap.connected and READY=1
    came on the notify socket. Returns (first_connected_s, all_connected_s, ready_s); None for
    what did not come within SECONDS."""
    names = set()
    first = all_s = ready = None
    pos = 0
    pat = re.compile(r'imap\.connected.*?mailbox["=:\s]+"?([^",\s}]+)')
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (all_s is None or ready is None):
        with open(log_path, errors="replace") as f:
            f.seek(pos)
            chunk = f.read()
        # Only whole lines: keep a partial last line for the next read.
        cut = chunk.rfind("\n") + 1
        pos += len(chunk[:cut].encode())
        for line in chunk[:cut].splitlines():
            m = pat.search(line)
            if m:
                names.add(m.group(1))
                if first is None:
                    first = time.monotonic() - t0
        if all_s is None and len(names) >= n:
            all_s = time.monotonic() - t0
        try:
            while True:
                msg = notify.recv(4096).decode(errors="replace")
                if ready is None and "READY=1" in msg:
                    ready = time.monotonic() - t0
        except BlockingIOError:
            pass
        if proc.poll() is not None:
            break
        if all_s is not None and ready is None and time.monotonic() - t0 > all_s + 10:
            break  # a daemon that does not notify: stop waiting for READY=1
        time.sleep(0.005)
    return first, all_s, ready, len(names)


def status_kib(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def descriptors(pid, kinds=None):
    """(all open descriptors, sockets among them); counts each kind (socket, pipe,
    anon_inode:[eventfd], file...) into the dict KINDS if given."""
    fds = socks = 0
    for name in os.listdir(f"/proc/{pid}/fd"):
        fds += 1
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        if target.startswith("socket:"):
            socks += 1
        if kinds is not None:
            kind = target.split(":")[0] if ":" in target and not target.startswith("/") else (
                "file" if target.startswith("/") else target)
            if kind == "anon_inode":
                kind = target
            kinds[kind] = kinds.get(kind, 0) + 1
    return fds, socks


def established(pid, port):
    """The daemon's TCP connections to 127.0.0.1:PORT (from /proc/PID/net/tcp and its
    socket inodes)."""
    inodes = set()
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            t = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        if t.startswith("socket:["):
            inodes.add(t[8:-1])
    count = 0
    with open(f"/proc/{pid}/net/tcp") as f:
        next(f)
        for line in f:
            cols = line.split()
            if int(cols[2].split(":")[1], 16) == port and cols[9] in inodes:
                count += 1
    return count


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)


def group_ticks(pgid):
    """utime+stime of every live process in process group PGID (Dovecot's)."""
    total = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:
                total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total


def deliver_and_wait(i, user, dovecot, db, timeout=60.0):
    """Delivers mail i to USER over LMTP; seconds from LMTP's 250 until it is stored, or None."""
    want = bl.sqlite_count(db, "raw_messages") + 1
    data = bl.text_mail(i, 4096, "mailboxes")
    with smtplib.LMTP("127.0.0.1", dovecot.lmtp_port) as lmtp:
        lmtp.sendmail(f"customer{i}@example{i % 50}.org", [user], data)
        t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if bl.sqlite_count(db, "raw_messages") >= want:
            return time.perf_counter() - t0
        time.sleep(0.002)
    return None


def warm_up(dovecot, users, threads=8):
    """Logs every user in once and SELECTs INBOX, untimed: Dovecot's first login of a user
    creates its index files (a cold start of 1,000 users took 10.4 s against 1.6 s warm), and
    a real server has them already."""
    import imaplib
    from concurrent.futures import ThreadPoolExecutor

    def one(u):
        c = imaplib.IMAP4("127.0.0.1", dovecot.imap_port)
        c.login(u, "secret")
        c.select("INBOX")
        c.logout()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, users))


def empty_mailboxes(dovecot, users):
    """Removes the previous run's mails (the daemon is stopped), so that each run starts on
    the same empty mailboxes; Dovecot notices the vanished files at its next sync."""
    for u in users:
        for sub in ("new", "cur"):
            d = os.path.join(dovecot.dir, "home", u, "Maildir", sub)
            for name in os.listdir(d):
                os.unlink(os.path.join(d, name))


def one_run(run, args, binary, dovecot, users, work, rng):
    tag = f"run{run}"
    conf = os.path.join(work, f"{tag}.toml")
    db = os.path.join(work, f"{tag}.db")
    mbs = [bl.imap_mailbox(dovecot, u, os.path.join(work, "pass"), "none", poll_interval_s=600,
                           idle="true", address=f'"{u}@example.com"') for u in users]
    extra = args.extra_config.replace("\\n", "\n")
    if args.max_connecting is not None:
        extra += f"\n[imap]\nmax_connecting_per_server = {args.max_connecting}\n"
    bl.write_config(conf, db, mbs, extra=extra)
    log_path = os.path.join(work, f"{tag}.log")
    notify_path = os.path.join(work, f"{tag}.notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.setblocking(False)
    env = dict(os.environ, NOTIFY_SOCKET=notify_path)
    r = {}
    with open(log_path, "w") as log:
        t0 = time.monotonic()
        proc = subprocess.Popen([binary, "-c", conf, "run"], stdout=log, stderr=log, env=env,
                                cwd=work)
    try:
        first, all_s, ready, seen = wait_connected(log_path, len(users), proc, notify,
                                                   args.timeout, t0)
        r.update(first=first, connected=all_s, ready=ready, seen=seen)
        bl.say(f"  run {run}: first imap.connected {fmt_s(first)}, all {seen}/{len(users)} "
               f"{fmt_s(all_s)}, READY=1 {fmt_s(ready)}")
        if proc.poll() is not None:
            raise RuntimeError(f"helpdeskd ended (exit {proc.returncode}); see {log_path}")
        if all_s is None:
            raise RuntimeError(f"only {seen} of {len(users)} mailboxes connected within "
                               f"{args.timeout} s; see {log_path}")
        time.sleep(1)  # let the last SELECTs and first polls settle
        pid = proc.pid
        r["rss"] = status_kib(pid, "VmRSS") / 1024
        r["hwm"] = status_kib(pid, "VmHWM") / 1024
        r["threads"] = status_kib(pid, "Threads")
        kinds = {}
        r["fds"], r["socks"] = descriptors(pid, kinds)
        bl.say(f"         RSS {r['rss']:.1f} MiB (peak {r['hwm']:.1f}), descriptors "
               f"{r['fds']} ({r['socks']} sockets), threads {r['threads']}")
        bl.say("         descriptors by kind: " + ", ".join(
            f"{k} {v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])))
        r["imap_socks"] = established(pid, dovecot.imap_port)
        bl.say(f"         TCP connections to Dovecot's IMAP port: {r['imap_socks']}")
        hz = os.sysconf("SC_CLK_TCK")
        a, da = cpu_ticks(pid), group_ticks(dovecot.pid)
        w0 = time.monotonic()
        time.sleep(args.quiet)
        window = time.monotonic() - w0
        r["cpu"] = (cpu_ticks(pid) - a) / hz / window * 100
        r["dcpu"] = (group_ticks(dovecot.pid) - da) / hz / window * 100
        bl.say(f"         idle CPU over {window:.1f} s: helpdeskd {r['cpu']:.2f} % of one core, "
               f"Dovecot (all processes) {r['dcpu']:.2f} %")
        lat, missing = [], 0
        for i in range(1, args.mails + 1):
            user = rng.choice(users)
            s = deliver_and_wait(run * 100000 + i, user, dovecot, db)
            if s is None:
                missing += 1
            else:
                lat.append(s)
            time.sleep(0.2 + 0.3 * rng.random())
        r["lat"], r["missing"] = lat, missing
        if lat:
            ms = [v * 1000 for v in lat]
            bl.say(f"         LMTP -> stored ({len(lat)} mails to random mailboxes): p50 "
                   f"{bl.fmt_num(bl.percentile(ms, 50))} ms, p99 "
                   f"{bl.fmt_num(bl.percentile(ms, 99))}, max {bl.fmt_num(max(ms))}, "
                   f"min {bl.fmt_num(min(ms))}" + (f"; {missing} not stored in 60 s"
                                                    if missing else ""))
        r["rss_after"] = status_kib(pid, "VmRSS") / 1024
        r["fds_after"], _ = descriptors(pid)
        with open(log_path, errors="replace") as f:
            text = f.read()
        for key in ("run.descriptors_raised", "run.too_few_descriptors"):
            for line in text.splitlines():
                if key in line:
                    bl.say(f"         log: {line.strip()[:200]}")
        r["errors"] = sum(1 for line in text.splitlines()
                          if "imap.failed" in line or "error" in line.lower())
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        notify.close()
    return r


def fmt_s(v):
    return "-" if v is None else f"{v:.2f} s"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--helpdeskd", default=os.path.join(bl.SOURCE_DIR, "build", "daemon",
                                                       "helpdeskd"))
    p.add_argument("--mailboxes", type=int, default=1000)
    p.add_argument("--mails", type=int, default=100)
    p.add_argument("--runs", type=int, default=1)
    p.add_argument("--quiet", type=float, default=10.0, help="idle CPU window, seconds")
    p.add_argument("--timeout", type=float, default=120.0, help="start-up limit, seconds")
    p.add_argument("--max-connecting", type=int, default=None,
                   help="[imap] max_connecting_per_server (default: the daemon's)")
    p.add_argument("--extra-config", default="", help="TOML appended to helpdeskd's config")
    p.add_argument("--dovecot", default="many", choices=["many", "processes", "stock"])
    p.add_argument("--idle-check", type=int, default=1,
                   help="Dovecot's mailbox_idle_check_interval in seconds (--dovecot many)")
    p.add_argument("--seed", type=int, default=22)
    p.add_argument("--keep", action="store_true")
    args = p.parse_args()
    binary = os.path.abspath(args.helpdeskd)
    n = args.mailboxes
    users = [f"u{k:04d}" for k in range(1, n + 1)]
    bl.say(f"many-mailbox benchmark: one helpdeskd run, {n} IDLE mailboxes (one Dovecot user "
           f"each), {args.mails} mails by LMTP; {binary}")
    bl.say("before: " + bl.machine_line())
    os.environ["DOVECOT_EXTRA_USERS"] = " ".join(users)
    if args.dovecot == "many":
        conf = MANY_CONF.replace("{idle_check}", str(args.idle_check))
        os.environ["DOVECOT_EXTRA_CONF"] = conf
    elif args.dovecot == "processes":
        os.environ["DOVECOT_EXTRA_CONF"] = PROCESSES_CONF
    rng = random.Random(args.seed)
    results = []
    with bl.workdir(args.keep, prefix="hd-mailboxes.") as work:
        dovecot = bl.start_dovecot(work)
        try:
            with open(os.path.join(work, "pass"), "w") as f:
                f.write("secret\n")
            # Dovecot creates each maildir on first login; do it now so that every run sees the
            # same (empty) mailboxes.
            for u in users:
                for sub in ("new", "cur", "tmp"):
                    os.makedirs(os.path.join(dovecot.dir, "home", u, "Maildir", sub),
                                exist_ok=True)
            if os.getuid() == 0:
                subprocess.run(["chown", "-R", "nobody:nogroup",
                                os.path.join(dovecot.dir, "home")], check=True)
            t = time.monotonic()
            warm_up(dovecot, users)
            bl.say(f"  warm-up (each user logged in once, untimed): {time.monotonic() - t:.1f} s")
            for run in range(1, args.runs + 1):
                if run > 1:
                    empty_mailboxes(dovecot, users)
                    warm_up(dovecot, users)
                results.append(one_run(run, args, binary, dovecot, users, work, rng))
                bl.say(f"         load average {bl.load_average()}")
        finally:
            dovecot_log = os.path.join(dovecot.dir, "dovecot.log")
            fallback = limit = 0
            try:
                with open(dovecot_log, errors="replace") as f:
                    for line in f:
                        if "notify" in line.lower() and ("limit" in line or "exceeded" in line):
                            fallback += 1
                        if "process_limit" in line or "client_limit" in line:
                            limit += 1
            except OSError:
                pass
            dovecot.stop()
    bl.say(f"\n-- {n} IDLE mailboxes, plain IMAP, Dovecot '{args.dovecot}'"
           + (f" (mailbox_idle_check_interval {args.idle_check} s)" if args.dovecot == "many"
              else "") + f", {args.runs} run(s), "
           f"{args.mails} x 4 KB mails per run"
           + (f", max_connecting_per_server {args.max_connecting}"
              if args.max_connecting is not None else ""))

    def row(name, key, unit, scale=1.0):
        vals = [r[key] * scale for r in results if r.get(key) is not None]
        if vals:
            bl.say(f"   {name:34} {unit:5} {bl.spread(vals)}")

    row("first mailbox connected", "first", "s")
    row("all mailboxes connected", "connected", "s")
    row("READY=1 (all contacted)", "ready", "s")
    row("RSS after start-up", "rss", "MiB")
    row("RSS after the mails", "rss_after", "MiB")
    row("peak RSS (VmHWM)", "hwm", "MiB")
    row("descriptors", "fds", "")
    row("... of them sockets", "socks", "")
    row("... TCP connections to IMAP", "imap_socks", "")
    row("descriptors after the mails", "fds_after", "")
    row("threads", "threads", "")
    row("idle CPU, helpdeskd", "cpu", "%")
    row("idle CPU, Dovecot (all processes)", "dcpu", "%")
    lat = [v * 1000 for r in results for v in r.get("lat", [])]
    if lat:
        bl.say(f"   {'LMTP -> stored':34} ms    p50 {bl.fmt_num(bl.percentile(lat, 50))}, "
               f"p99 {bl.fmt_num(bl.percentile(lat, 99))}, max {bl.fmt_num(max(lat))}, "
               f"min {bl.fmt_num(min(lat))} (n {len(lat)})")
    missing = sum(r.get("missing", 0) for r in results)
    if missing:
        bl.say(f"   {missing} mails not stored within 60 s")
    if fallback:
        bl.say(f"   Dovecot's log: {fallback} lines on the inotify limit (it polls instead)")
    if limit:
        bl.say(f"   Dovecot's log: {limit} lines on process_limit / client_limit")
    bl.say("after: load average " + bl.load_average())
    sys.exit(1 if missing or len(results) < args.runs else 0)


if __name__ == "__main__":
    main()
