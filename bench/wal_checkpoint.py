"""How long the idle checkpoint of a burst's WAL takes on a scale database (issue 22).

    /usr/bin/python3 bench/wal_checkpoint.py BUILD/bench/bench_scale --dir DIR [--runs N]
        [--intake M]

`helpdeskd run` copies the WAL into the database file once it has been idle for 2 s
(docs/storage.md, "Checkpoints"); a mail that arrives meanwhile waits for the copy. This
measures that copy on DIR/hd.db (a database `bench_scale build` made): a reader holds a snapshot
so that nothing is copied while `bench_scale intake --into big` writes RUNS runs of M mails each
(the WAL keeps every frame, as in a burst), then the reader lets go and one PASSIVE checkpoint
(what `storage::checkpoint_wal` runs) copies the WAL. Prints the WAL's size and frames, the
checkpoint's time and the load average. One run of 4,000 mails writes about 12,000 frames; the
default `[database] checkpoint_pages` is 16,384.
"""
import argparse
import os
import sqlite3
import subprocess
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bench_scale")
    ap.add_argument("--dir", required=True)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--intake", type=int, default=4000)
    a = ap.parse_args()
    db = os.path.join(a.dir, "hd.db")
    print("wal_checkpoint: load average %.2f %.2f %.2f" % os.getloadavg())
    pin = sqlite3.connect(db, isolation_level=None)
    pin.execute("BEGIN")
    pin.execute("SELECT count(*) FROM requests WHERE id = 1").fetchall()
    for _ in range(a.runs):
        out = subprocess.run(
            [a.bench_scale, "intake", "--dir", a.dir, "--intake", str(a.intake), "--into", "big"],
            capture_output=True, text=True, check=True)
        for line in out.stdout.splitlines():
            if "mails/s" in line:
                print(" ", line.strip())
    # The checkpointing connection opens before the reader closes: the last connection to
    # close would copy the WAL itself.
    c = sqlite3.connect(db, isolation_level=None)
    c.execute("PRAGMA synchronous = FULL")
    pin.execute("COMMIT")
    pin.close()
    size = os.path.getsize(db + "-wal")
    with open(db + "-wal", "rb") as f:
        page = int.from_bytes(f.read(12)[8:12], "big")
    frames = (size - 32) // (page + 24)
    t = time.perf_counter()
    busy, logged, copied = c.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    ms = (time.perf_counter() - t) * 1000
    c.close()
    print(f"WAL {size / 1e6:.1f} MB, {frames} frames of {page} bytes: PASSIVE checkpoint copied "
          f"{copied} of {logged} frames (busy {busy}) in {ms:.0f} ms")
    print("load average after: %.2f %.2f %.2f" % os.getloadavg())


if __name__ == "__main__":
    main()
