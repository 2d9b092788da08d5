#!/usr/bin/env bash
# Differential test over scripts nobody here wrote: lib/sieve_gen.py generates Sieve scripts
# from a grammar of what helpdeskd supports (tests, match types, comparators, address parts,
# variables, relational, subaddress, body, envelope, nesting, control flow) with a fixed seed;
# each runs under Pigeonhole's sieve-test and helpdeskd's `rules test --json` over the fixtures
# and the shared corpus (lib/sieve_diff.py compares them). A difference fails the test unless
# sieve_known_differences.tsv lists it with its reason (docs/rules.md, "Agreement with
# Pigeonhole"). This is the short run (bounded: HD_SIEVE_GEN_COUNT scripts, default 3); the
# long run is documented in docs/rules.md:
#   for s in 3 4 5 6; do HD_SIEVE_GEN_SEED=$s HD_SIEVE_GEN_COUNT=8 ctest -R sieve_generated -V; done
# Loopback only; no network, no servers.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

command -v sieve-test >/dev/null || fail "sieve-test not installed (Debian package dovecot-sieve)"
lib="$HD_SOURCE_DIR/tests/integration/lib"
seed=${HD_SIEVE_GEN_SEED:-23}
count=${HD_SIEVE_GEN_COUNT:-3}
chmod 777 "$T"  # sieve-test runs as nobody and writes compiled scripts next to them
python3 "$lib/sieve_gen.py" "$T/scripts" --seed "$seed" --count "$count"
chmod 777 "$T/scripts"

root_opts=()
[ "$(id -u)" = 0 ] && root_opts=(-o mail_uid=nobody -o mail_gid=nogroup)
# A script Pigeonhole refuses must be refused by helpdeskd too, and is not run.
scripts=()
for s in "$T"/scripts/*.sieve; do
  if sievec "${root_opts[@]}" "$s" 2>"$T/sievec.err"; then
    scripts+=("$s")
  elif "$HELPDESKD" -c /nonexistent.toml rules check "$s" >/dev/null 2>&1; then
    cat "$T/sievec.err"
    fail "helpdeskd accepts $(basename "$s"), which Pigeonhole refuses"
  fi
done
chmod a+r "$T"/scripts/*.svbin
# The shared corpus when the checkout has it beside it (../shared), else the fixtures alone.
{ find "$HD_SOURCE_DIR/tests/fixtures" -name '*.eml'
  if [ -d "$HD_SOURCE_DIR/../shared/corpus" ]; then
    find "$HD_SOURCE_DIR/../shared/corpus" -type f \( -name '*.eml' -o -name 'msg_*.txt' \)
  fi
} | sort > "$T/mails.txt"
echo "scripts: ${#scripts[@]} of $count (seed $seed); messages: $(wc -l < "$T/mails.txt")"

/usr/bin/python3 "$lib/sieve_diff.py" "$HELPDESKD" "$T/mails.txt" \
  --known "$HD_SOURCE_DIR/tests/integration/sieve_known_differences.tsv" \
  "${scripts[@]}" -- "${root_opts[@]}"
echo "ok: no unlisted difference from Pigeonhole sieve-test"
