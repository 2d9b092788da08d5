"""Pipe-mode cost: how long one `helpdeskd ingest` process takes per mail, as a mail server
would run it (a new process per message, database on disk, synchronous=FULL).

    /usr/bin/python3 bench/pipe_ingest.py BUILD/daemon/helpdeskd [N]

Prints the median, 10th and 90th percentile wall time per mail and the resulting mails/s for
N (default 500) distinct 4 KB mails. Each run starts from an empty database in a new
temporary directory."""
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

print("before: " + benchlib.machine_line(), flush=True)
binary = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 500
here = os.path.dirname(os.path.abspath(__file__))
with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([sys.executable, os.path.join(here, "..", "tests", "faults", "make_mails.py"),
                    os.path.join(tmp, "mail"), str(n), "4000"], check=True)
    conf = os.path.join(tmp, "hd.toml")
    with open(conf, "w") as f:
        f.write('[database]\npath = "hd.db"\nsynchronous = "full"\n[ack]\nenabled = false\n'
                '[log]\nlevel = "warn"\n')
    subprocess.run([binary, "-c", conf, "db", "migrate"], check=True, stdout=subprocess.DEVNULL)
    times = []
    for name in sorted(os.listdir(os.path.join(tmp, "mail"))):
        with open(os.path.join(tmp, "mail", name), "rb") as mail:
            start = time.perf_counter()
            subprocess.run([binary, "-c", conf, "ingest"], stdin=mail, check=True)
            times.append(time.perf_counter() - start)
q = statistics.quantiles(times, n=10)
med = statistics.median(times)
print(f"pipe ingest: {n} mails of ~4 KB, one process each, synchronous=FULL")
print(f"  per mail: median {med * 1000:.2f} ms, p10 {q[0] * 1000:.2f} ms, p90 {q[-1] * 1000:.2f} ms")
print(f"  {1 / med:.0f} mails/s (sequential, median)")
print("after: load average " + benchlib.load_average())
