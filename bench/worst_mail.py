#!/usr/bin/env python3
"""The parser's worst cases of at most 1 MB (issue 17: no mail of at most 1 MB may take more
than 1 s to parse), timed through the real binary.

    bench/worst_mail.py [--helpdeskd build/daemon/helpdeskd] [--runs 5]

Writes four generated mails of just under 1 MiB to a temporary folder — tiny attached
messages side by side (about 17,000), multiparts nested as deep as 1 MiB allows (about
13,000 levels; the parser reads 100 and records a defect), tiny text parts side by side, and
attached messages nested in each other — and runs `helpdeskd parse FILE` on each RUNS times,
printing min / median / max wall time, CPU time and peak RSS (GNU time) with the load average.
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

MIB = 1024 * 1024
HDR = (b"From: a@b.example\nTo: s@x.example\nSubject: worst\nMessage-ID: <w@b>\n"
       b"MIME-Version: 1.0\n")


def side_by_side(inner):
    head = HDR + b'Content-Type: multipart/mixed; boundary="B"\n\n'
    n = (MIB - len(head) - 10) // len(inner)
    return head + inner * n + b"--B--\n"


def nested_multiparts():
    out = bytearray(HDR + b'Content-Type: multipart/mixed; boundary="b0"\n\n')
    i = 0
    while len(out) < MIB - 200:
        i += 1
        out += b'--b%d\nContent-Type: multipart/mixed; boundary="b%d"\n\n' % (i - 1, i)
    out += b"--b%d\nContent-Type: text/plain\n\nx\n" % i
    return bytes(out)


def nested_messages():
    out = bytearray(HDR)
    k = 0
    while len(out) < MIB - 200:
        out += b"Content-Type: message/rfc822\n\nFrom: x@y\nSubject: s%d\n" % k
        k += 1
    return bytes(out + b"\nend\n")


CASES = {
    "attached-messages": lambda: side_by_side(
        b"--B\nContent-Type: message/rfc822\n\nFrom: x@y\nSubject: s\n\nhi\n"),
    "nested-multiparts": nested_multiparts,
    "text-parts": lambda: side_by_side(b"--B\nContent-Type: text/plain\n\nx\n"),
    "nested-messages": nested_messages,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--helpdeskd", default="build/daemon/helpdeskd")
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; {a.runs} runs each; "
          f"wall and CPU in seconds, peak RSS in MB")
    with tempfile.TemporaryDirectory() as d:
        for name, make in CASES.items():
            path = os.path.join(d, name + ".eml")
            data = make()
            assert len(data) <= MIB, (name, len(data))
            with open(path, "wb") as f:
                f.write(data)
            walls, cpus, rss = [], [], 0
            for _ in range(a.runs):
                t0 = time.monotonic()
                r = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", a.helpdeskd, "parse", path],
                                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   text=True)
                walls.append(time.monotonic() - t0)
                user, system, kb = r.stderr.strip().splitlines()[-1].split()
                cpus.append(float(user) + float(system))
                rss = max(rss, int(kb))
            print(f"{name:<20} {len(data):>8} bytes  wall min {min(walls):.2f} "
                  f"median {statistics.median(walls):.2f} max {max(walls):.2f}  "
                  f"cpu median {statistics.median(cpus):.2f}  peak RSS {rss / 1024:.0f}")
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
