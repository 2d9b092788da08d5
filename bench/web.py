#!/usr/bin/python3
"""The web app's first view of a long request (issue 16: under 300 ms for 50 messages), in
headless Chromium (Debian's chromium and chromium-driver, python3-selenium).

    /usr/bin/python3 bench/web.py BUILD/daemon/helpdeskd [--messages 50] [--runs 20]

It makes a fresh database in a temporary folder with one request of MESSAGES customer mails
(`helpdeskd ingest`, each a reply to the one before, with a few KB of text), starts
`helpdeskd run` with [http] on a free 127.0.0.1 port, logs in through the login form, and
measures two things RUNS times each:

- in-app: from the click on the request in the dashboard until its MESSAGES messages are in
  the page (the API call, the JSON, the rendering), measured in the page with
  performance.now();
- cold: a new page load of /#/r/1 (HTML, script, the /api/me and request calls, rendering),
  from navigationStart until the messages are in the page.

It prints the machine, the load, and p50/p95/max of each.
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration", "lib"))
from benchlib import machine_line, load_average  # noqa: E402
from browser import Browser  # noqa: E402


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def percentile(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def mail(i, n):
    words = ("The printer on the second floor still jams when it prints double-sided. "
             "We restarted it and changed the tray, but nothing helped. ") * 20
    refs = "" if i == 0 else "In-Reply-To: <m%d@bench.example>\r\n" % (i - 1)
    return ("From: Jane Doe <jane@bench.example>\r\nTo: support@example.com\r\n"
            "Subject: %sPrinter jams (%d of %d)\r\nMessage-ID: <m%d@bench.example>\r\n%s"
            "Date: Thu, 03 Dec 2026 10:%02d:00 +0000\r\n\r\n%s\r\n"
            % ("Re: " if i else "", i + 1, n, i, refs, i % 60, words)).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("helpdeskd")
    ap.add_argument("--messages", type=int, default=50)
    ap.add_argument("--runs", type=int, default=20)
    a = ap.parse_args()
    hd = os.path.abspath(a.helpdeskd)
    work = tempfile.mkdtemp(prefix="hd-bench-web.")
    port = free_port()
    cfg = os.path.join(work, "hd.toml")
    with open(cfg, "w") as f:
        f.write('[database]\npath = "hd.db"\n[outgoing]\nfrom_address = "support@example.com"\n'
                '[ack]\nenabled = false\n'
                '[[mailbox]]\nname = "support"\naddress = "support@example.com"\n'
                '[[user]]\nlogin = "anna"\nname = "Anna"\n'
                '[http]\nlisten = "127.0.0.1:%d"\n' % port)
    for i in range(a.messages):
        subprocess.run([hd, "-c", cfg, "ingest", "--mailbox", "support"], input=mail(i, a.messages),
                       check=True, stderr=subprocess.DEVNULL)
    subprocess.run([hd, "-c", cfg, "users", "passwd", "anna"], input=b"bench-password\n",
                   check=True, stdout=subprocess.DEVNULL)
    log = open(os.path.join(work, "run.log"), "w")
    proc = subprocess.Popen([hd, "-c", cfg, "run"], stdout=log, stderr=log)
    b = None
    try:
        for _ in range(500):
            if "http.listening" in open(os.path.join(work, "run.log")).read():
                break
            time.sleep(0.02)
        b = Browser(os.path.join(work, "chromium"), "http://127.0.0.1:%d" % port)
        b.login("anna", "bench-password", "Anna")
        want = a.messages
        in_app, cold = [], []
        for _ in range(a.runs):
            b.go("#/")
            b.wait_present('td.title a[href="#/r/1"]')
            ms = b.driver.execute_async_script("""
                const want = arguments[0], done = arguments[arguments.length - 1];
                const t0 = performance.now();
                document.querySelector('td.title a[href="#/r/1"]').click();
                (function poll() {
                  if (document.querySelectorAll('.thread > li.msg').length >= want)
                    return done(performance.now() - t0);
                  requestAnimationFrame(poll);
                })();""", want)
            in_app.append(ms)
        for _ in range(a.runs):
            b.driver.get("about:blank")
            b.driver.get(b.base + "/#/r/1")
            ms = b.driver.execute_async_script("""
                const want = arguments[0], done = arguments[arguments.length - 1];
                (function poll() {
                  if (document.querySelectorAll('.thread > li.msg').length >= want)
                    return done(performance.now());
                  requestAnimationFrame(poll);
                })();""", want)
            cold.append(ms)
        print(machine_line())
        print("load average now: %s" % load_average())
        print("request with %d messages (%d KB of text each), %d runs each"
              % (want, len(mail(1, want)) // 1024, a.runs))
        for name, v in (("in-app (click -> thread shown)", in_app),
                        ("cold page load (navigation -> thread shown)", cold)):
            print("  %-44s p50 %6.1f ms  p95 %6.1f ms  max %6.1f ms  mean %6.1f ms"
                  % (name, percentile(v, 50), percentile(v, 95), max(v), statistics.mean(v)))
    finally:
        if b:
            b.quit()
        proc.terminate()
        proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
