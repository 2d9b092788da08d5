#!/usr/bin/env bash
# With after_import = "delete" or "move", the disk holding the database fills while `run
# --once` stores a big batch (issue 20, point 4): a group commit that fails must leave its
# mail on the server. Checks: no mail leaves the INBOX unless it is stored (delete: every
# mail gone from the INBOX is in the database; move: every mail in Archive is), nothing is
# lost, and once space returns the next run stores the rest exactly once. Needs root for a
# small tmpfs (else skipped).
set -euo pipefail
source "$(dirname "$0")/../integration/lib/testlib.sh"
source "$(dirname "$0")/faultlib.sh"
mkdir -p "$T/small"
if [ "$(id -u)" -ne 0 ] || ! mount -t tmpfs -o size=1m tmpfs "$T/small" 2>/dev/null; then
  echo "skipped: needs root to mount a small tmpfs"; exit 77
fi
trap 'umount "$T/small" 2>/dev/null || true; fl_exit' EXIT
n=1500
fl_long && n=6000
imap_server_start
box="$DOVECOT_DIR/home/support/Maildir"
mkdir -p "$box"/{cur,new,tmp} "$box/.Archive"/{cur,new,tmp}
chown -R nobody:nogroup "$DOVECOT_DIR/home/support"

ids_in() {  # ids_in DIR...: the Message-IDs of the maildir files in DIR/{cur,new}, sorted
  local d
  for d in "$@"; do find "$d/cur" "$d/new" -type f; done |
    xargs -r grep -h -m1 -i '^Message-ID:' | sed 's/.*<\(.*\)>.*/\1/' | sort
}
stored_ids() { sqlite3 -cmd '.timeout 10000' "$T/small/hd.db" \
  "SELECT message_id FROM messages WHERE direction = 'in'" | sort; }

for action in delete move; do
  echo "== after_import = $action"
  umount "$T/small"; mount -t tmpfs -o size=1m tmpfs "$T/small"
  find "$box"/{cur,new} "$box/.Archive"/{cur,new} -type f -delete
  rm -f "$box"/dovecot* "$box/.Archive"/dovecot*
  fl_fill "$n" 1 "$action"
  extra=()
  [ "$action" = move ] && extra=('move_to = "Archive"')
  fl_config "after_import = \"$action\"" "${extra[@]}"
  sed -i 's|^path = "hd.db"|path = "small/hd.db"|' "$T/hd.toml"
  set +e
  hd -c "$T/hd.toml" run --once > "$T/run-$action.log" 2>&1; rc=$?
  set -e
  stored=$(stored_ids | wc -l)
  echo "measured: exit $rc, $stored of $n stored before the disk filled"
  [ "$stored" -lt "$n" ] || fail "the disk never filled up"
  grep -qi 'full' "$T/run-$action.log" || fail "the log does not say the disk is full"
  ids_in "$box" > "$T/inbox"
  stored_ids > "$T/stored"
  seq 1 "$n" | sed "s/.*/$action-&@example.org/" | sort > "$T/all"
  comm -23 "$T/all" "$T/inbox" > "$T/gone"
  missing=$(comm -23 "$T/gone" "$T/stored" | wc -l)
  expect_eq "$missing" 0 "no mail left the INBOX without being stored"
  if [ "$action" = move ]; then
    ids_in "$box/.Archive" > "$T/archive"
    expect_eq "$(comm -3 "$T/gone" "$T/archive" | wc -l)" 0 "what left the INBOX is in Archive"
  fi
  echo "ok: $(wc -l < "$T/gone") mails left the INBOX, every one stored"
  mount -o remount,size=64m "$T/small"
  hd -c "$T/hd.toml" run --once > "$T/run2-$action.log" 2>&1 ||
    { tail -5 "$T/run2-$action.log" >&2; fail "the run after space returned failed"; }
  expect_eq "$(stored_ids | sort -u | wc -l)" "$n" "every mail stored once space returned"
  expect_eq "$(stored_ids | wc -l)" "$n" "... exactly once"
  expect_eq "$(ids_in "$box" | wc -l)" 0 "... and none left in the INBOX"
done
