# Helpers for integration scenarios. Source after setting -euo pipefail.
#   HELPDESKD     the binary under test (set by ctest)
#   HD_SOURCE_DIR the source tree
# Each scenario gets a fresh directory $T, removed at exit together with any servers.
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"
: "${HELPDESKD:?set by ctest}"
: "${HD_SOURCE_DIR:?set by ctest}"
T=$(mktemp -d /tmp/hd-it.XXXXXX)
chmod 755 "$T"
hd_test_exit() {
  local rc=$?
  hd_cleanup
  if [ $rc -ne 0 ]; then
    echo "--- scenario failed (rc=$rc); files in $T" >&2
    [ -f "${DOVECOT_DIR:-/nonexistent}/dovecot.log" ] && tail -20 "$DOVECOT_DIR/dovecot.log" >&2
  else
    rm -rf "$T"
  fi
}
trap hd_test_exit EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
expect_eq() {  # expect_eq GOT WANT WHAT
  [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
  echo "ok: $3"
}
# json EXPR < file: evaluate a Python expression over the parsed JSON `j`.
json() { /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
hd() { "$HELPDESKD" "$@"; }
