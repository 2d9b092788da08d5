#!/usr/bin/env bash
# The disk fills up while mail arrives: helpdeskd answers 75 (temporary failure: the mail
# server keeps the mail and retries), stores nothing partial, the database stays intact; when
# space returns, the retried mail is stored. Needs root for a small tmpfs (else skipped).
set -euo pipefail
source "$(dirname "$0")/../integration/lib/testlib.sh"
mkdir -p "$T/small"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=1536k tmpfs "$T/small" 2>/dev/null; then
  echo "skipped: needs root to mount a small tmpfs"; exit 77
fi
trap 'umount "$T/small" 2>/dev/null || true; hd_test_exit' EXIT
# 120 mails of 60 KB make a database of about 2.3 MB: more than the 1.5 MB the tmpfs holds,
# whatever the WAL and the search index take on the way.
/usr/bin/python3 "$(dirname "$0")/make_mails.py" "$T/mail" 120 60000
printf '[database]\npath = "small/hd.db"\n[ack]\nenabled = false\n' > "$T/hd.toml"
stored=0 failed=""
for f in "$T"/mail/*.eml; do
  set +e
  hd -c "$T/hd.toml" ingest < "$f" 2>>"$T/err.log"; rc=$?
  set -e
  if [ $rc -eq 0 ]; then stored=$((stored + 1)); continue; fi
  expect_eq "$rc" 75 "a full disk is a temporary failure"
  failed="$f"
  break
done
[ -n "$failed" ] || fail "the disk never filled up"
grep -q "full" "$T/err.log" || fail "the error does not say the disk is full: $(tail -1 "$T/err.log")"
echo "ok: the log says why: $(grep -m1 full "$T/err.log")"
expect_eq "$(sqlite3 "$T/small/hd.db" 'PRAGMA integrity_check')" ok "the database is intact"
expect_eq "$(sqlite3 "$T/small/hd.db" 'SELECT COUNT(*) FROM requests')" "$stored" "nothing partial was stored"
mount -o remount,size=64m "$T/small"
hd -c "$T/hd.toml" ingest < "$failed"
expect_eq "$(sqlite3 "$T/small/hd.db" 'SELECT COUNT(*) FROM requests')" "$((stored + 1))" \
  "the retried mail is stored once space returns"
