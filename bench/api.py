#!/usr/bin/python3
"""The HTTP API under load (issue 15): list, show and search on a database built by
bench_scale, with pipe-mode intake running at the same time.

    BUILD/bench/bench_scale build --dir DIR --requests 100000
    /usr/bin/python3 bench/api.py BUILD/daemon/helpdeskd DIR [--seconds 20] [--clients 4]
        [--url postgresql://...]

It copies DIR's helpdeskd.toml with an [http] table on a free 127.0.0.1 port, creates a token,
starts `helpdeskd run` (the API; no mailboxes), and for each view runs CLIENTS threads of
keep-alive HTTP/1.1 calls for SECONDS while another thread feeds mail through
`helpdeskd ingest` one process per mail. It prints the machine, the load, and per view the
calls per second and the p50/p99 latency, and the intake rate meanwhile.

With --url, helpdeskd runs on that PostgreSQL database instead of DIR/hd.db (one that
`helpdeskd -c DIR/helpdeskd.toml db copy --to URL` filled; docs/scale-out.md).
"""
import argparse
import http.client
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import free_port, load_average, machine_line, percentile  # noqa: E402


def client(port, token, paths, stop, out):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = {"Authorization": "Bearer " + token}
    while not stop.is_set():
        path = random.choice(paths)
        t0 = time.perf_counter()
        c.request("GET", path, headers=h)
        r = c.getresponse()
        r.read()
        dt = time.perf_counter() - t0
        if r.status != 200:
            raise SystemExit(f"{path}: HTTP {r.status}")
        out.append(dt)


def intake(hd, cfg, stop, count):
    n = 0
    while not stop.is_set():
        n += 1
        mail = (f"From: Bench {n} <bench{n}@load.example>\r\nTo: support@example.com\r\n"
                f"Subject: load {n} printer toner\r\nMessage-ID: <api-bench-{n}-{time.time()}@load>\r\n"
                f"\r\nThe printer in room {n} needs toner.\r\n").encode()
        subprocess.run([hd, "-c", cfg, "ingest", "--mailbox", "support"], input=mail,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        count[0] += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("helpdeskd")
    ap.add_argument("dir")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--url", help="run on this PostgreSQL database instead of DIR/hd.db")
    a = ap.parse_args()
    hd = os.path.abspath(a.helpdeskd)
    port = free_port()
    cfg = os.path.join(a.dir, "helpdeskd-api.toml")
    base = open(os.path.join(a.dir, "helpdeskd.toml")).read()
    if a.url:
        if 'path = "hd.db"' not in base:
            raise SystemExit("no path = \"hd.db\" in DIR/helpdeskd.toml")
        base = base.replace('path = "hd.db"', f'url = "{a.url}"')
    with open(cfg, "w") as f:
        f.write(base + f'\n[http]\nlisten = "127.0.0.1:{port}"\nworkers = 2\n'
                '[[mailbox]]\nname = "support"\naddress = "support@example.com"\n'
                '[ack]\nenabled = false\n')
    tok = json.loads(subprocess.run([hd, "-c", cfg, "tokens", "create", "--as", "anna", "--name",
                                     "bench", "--json"], check=True, capture_output=True).stdout)
    token = tok["token"]
    listed = json.loads(subprocess.run([hd, "-c", cfg, "requests", "list", "--status", "all",
                                        "--json"], check=True, capture_output=True).stdout)
    total = listed[0]["id"] if listed else 0
    print(machine_line())
    where = "PostgreSQL (--url)" if a.url else a.dir
    print(f"load: {total:,} requests in {where}; {a.clients} clients, {a.seconds:.0f} s per "
          "view, pipe-mode intake running beside")
    log = open(os.path.join(a.dir, "api-run.log"), "w")
    proc = subprocess.Popen([hd, "-c", cfg, "run"], stdout=log, stderr=log)
    try:
        for _ in range(500):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.02)
        views = {
            "list open, newest first (50)": ["/api/requests?status=open&sort=-id&limit=50"],
            "show one request": [f"/api/requests/{random.randint(1, total)}" for _ in range(500)],
            "search one word": [f"/api/search?q={w}&limit=20" for w in
                                ("printer", "invoice", "factuur", "drucker", "export", "toner")],
        }
        for name, paths in views.items():
            stop = threading.Event()
            lat, count = [], [0]
            ts = [threading.Thread(target=client, args=(port, token, paths, stop, lat))
                  for _ in range(a.clients)]
            it = threading.Thread(target=intake, args=(hd, cfg, stop, count))
            t0 = time.time()
            for t in ts + [it]:
                t.start()
            time.sleep(a.seconds)
            stop.set()
            for t in ts + [it]:
                t.join()
            dt = time.time() - t0
            print(f"{name}: {len(lat) / dt:,.0f} calls/s, p50 {percentile(lat, 50) * 1000:.1f} ms, "
                  f"p99 {percentile(lat, 99) * 1000:.1f} ms (n {len(lat)}); intake meanwhile "
                  f"{count[0] / dt:.1f} mails/s (one process per mail)")
        print(f"load average after: {load_average()}")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
