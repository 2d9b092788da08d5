#!/usr/bin/env bash
# Runs every benchmark in bench/README.md, one after the other, with the default settings.
#
#   bench/run_all.sh [BUILD_DIR] 2>&1 | tee bench.log
#
# BUILD_DIR (default: build) must hold a Release build of helpdeskd and the bench programs:
#   cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release  (flags: bench/README.md)
#   ninja -C build-bench helpdeskd bench_parse bench_ingest bench_rules
# Takes about 5 minutes on a quiet 2-core machine (much longer under load). Each benchmark prints the machine and the load
# average before and after; run it on a quiet machine for figures worth quoting.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
hd=$build/daemon/helpdeskd
py=/usr/bin/python3   # Debian's python: aiosmtpd for the SMTP receiver

for f in "$hd" "$build/bench/bench_parse" "$build/bench/bench_ingest" "$build/bench/bench_rules"; do
  [ -x "$f" ] || { echo "run_all: $f is missing: build it first (see above)" >&2; exit 1; }
done
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$build/CMakeCache.txt" 2>/dev/null ||
  echo "run_all: warning: $build is not a Release build" >&2

step() { echo; echo "######## $*"; date -u '+%F %T UTC'; }
step "1. end-to-end intake";        "$py" "$here/intake.py" "$hd"
step "2. arrival to acknowledgement"; "$py" "$here/latency.py" "$hd"
step "3. peak memory";              "$py" "$here/memory.py" "$hd"
step "4. pipe mode";                "$py" "$here/pipe_ingest.py" "$hd" 500
step "5. parse, ingest, rules";     "$py" "$here/micro.py" "$build"
step "done"
