"""The in-process benchmarks, repeated: bench_parse, bench_ingest and bench_rules.

    /usr/bin/python3 bench/micro.py BUILD [--reps 3] [--seconds 5] [--dir DIR]

Runs each program REPS times from BUILD/bench/ and prints, per figure, the median, min and max
over the repetitions (each program's own output is shown too):
  - bench_parse --seconds S: messages/s and MB/s for generated 12.9 KB multipart mail and for
    the real-world corpus (tests/fixtures/corpus);
  - bench_ingest --dir DIR: mails/s into a SQLite file database (10,000 x 4 KB), per
    synchronous mode and transaction batch;
  - bench_rules: mails/s for 1,000 rules over 10,000 mails (best of 3 rounds per run).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

# (program, regex over one output line -> (label, value, unit)) ...
PATTERNS = {
    "bench_parse": [
        (re.compile(r"^(.+?)\s+\d+ mails, avg .*?:\s+([\d.]+) messages/s\s+([\d.]+) MB/s"),
         lambda m: [(f"parse {m[1]}", float(m[2]), "messages/s"),
                    (f"parse {m[1]}", float(m[3]), "MB/s")]),
    ],
    "bench_ingest": [
        (re.compile(r"^synchronous=(\S+)\s+(?:batch=(\d+)\s+)?.*?([\d.]+) mails/s"),
         lambda m: [(f"ingest synchronous={m[1]} batch={m[2] or 1}", float(m[3]), "mails/s")]),
    ],
    "bench_rules": [
        (re.compile(r"^evaluate: (\d+) mails x (\d+) rules.*?([\d.]+) mails/s"),
         lambda m: [(f"rules {m[2]} rules x {m[1]} mails", float(m[3]), "mails/s")]),
    ],
}


def run(build, program, args):
    exe = os.path.join(build, "bench", program)
    r = subprocess.run([exe] + args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{program} exit {r.returncode}: {r.stderr}")
    figures = []
    for line in r.stdout.splitlines():
        bl.say("    " + line)
        for rx, take in PATTERNS[program]:
            m = rx.search(line)
            if m:
                figures.extend(take(m))
    return figures


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("build", help="the build directory (a Release build for figures)")
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--seconds", default="5", help="bench_parse --seconds (default 5)")
    p.add_argument("--dir", help="directory for bench_ingest's databases (default: a new one "
                   "under /var/tmp, on disk)")
    p.add_argument("--only", help="comma-separated programs to run (default: all)")
    args = p.parse_args()
    only = args.only.split(",") if args.only else list(PATTERNS)
    bl.say("micro benchmarks: " + ", ".join(only))
    bl.say("before: " + bl.machine_line())
    results = {}
    with tempfile.TemporaryDirectory(dir="/var/tmp", prefix="hd-bench-ingest.") as tmp:
        argv = {"bench_parse": ["--seconds", args.seconds],
                "bench_ingest": ["--dir", args.dir or tmp],
                "bench_rules": []}
        for rep in range(1, args.reps + 1):
            for program in only:
                bl.say(f"  rep {rep} {program} {' '.join(argv[program])} "
                       f"(load {bl.load_average()})")
                for label, value, unit in run(args.build, program, argv[program]):
                    results.setdefault((label, unit), []).append(value)
    bl.say("")
    for (label, unit), values in results.items():
        bl.say(f"   {label}, {unit}: {bl.spread(values)}")
    bl.say("after: load average " + bl.load_average())


if __name__ == "__main__":
    main()
