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
run() {  # run CMD...: sets $out (stdout and stderr) and $rc
  set +e
  out=$("$@" 2>&1); rc=$?
  set -e
}
has() { case "$out" in *"$1"*) ;; *) fail "$2: the output lacks '$1': $out";; esac; echo "ok: $2"; }
json() { /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
hd() { "$HELPDESKD" "$@"; }

# imap_server_start: dovecot_start in $T/dovecot, and $T/pass, the password file that
# config_imap_mailbox names.
imap_server_start() {
  dovecot_start "$T/dovecot"
  printf 'secret\n' > "$T/pass"
}

# Config writers: each prints one TOML table with the settings most scenarios share. A LINE
# argument ('key = value', spaced so) is added to the table and replaces a default with the
# same key, so a call shows what is special about this scenario. Group them and redirect:
#   { config_database; config_outgoing; config_smtp 'timeout_s = 10'; } > "$T/hd.toml"
# Any other table: config_table '[limits]' -- 'max_message_bytes = 200000', or a heredoc
# (cat <<CONF) inside the group.
config_table() {  # config_table HEADER [DEFAULT_LINE...] [-- LINE...]
  local header=$1 d e k
  local -a defaults=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do defaults+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  echo "$header"
  for d in "${defaults[@]}"; do
    k=${d%%=*}
    for e in "$@"; do [ "${e%%=*}" = "$k" ] && continue 2; done
    echo "$d"
  done
  [ $# -eq 0 ] || printf '%s\n' "$@"
}
# The backend under test: SQLite (hd.db in $T), or with HD_TEST_BACKEND=postgresql a private
# PostgreSQL 15 started here for the scenario ([database] url; ctest's integration.pg.*
# entries run the scenarios listed in tests/integration/CMakeLists.txt so). hd_sql SQL runs a
# query on whichever it is and prints rows as sqlite3 does (columns joined by |); write SQL
# both read the same (compare with CASE ... THEN 1 ELSE 0 END rather than printing a boolean).
# hd_concat EXPR [SEP] prints the aggregate that joins EXPR's values with SEP (default ","):
# group_concat on SQLite, string_agg on PostgreSQL; to fix their order, aggregate over a
# subquery with ORDER BY (and an alias, which PostgreSQL wants). hd_bytes SQL writes the one
# value SQL selects (a BLOB or bytea: raw mail, an outbox entry) to stdout, byte for byte.
if [ "${HD_TEST_BACKEND:-sqlite}" = postgresql ]; then
  pg_start "$T/pg" >/dev/null
  echo "ok: the scenario runs on PostgreSQL 15 (127.0.0.1:$PG_PORT)"
  config_database() {
    local a keep=()
    for a in "$@"; do case "$a" in path\ =*) ;; *) keep+=("$a") ;; esac; done
    config_table '[database]' "url = \"$PG_URL\"" -- "${keep[@]}"
  }
  hd_sql() { PG_DB=helpdesk pg_psql -q -A -t -F '|' -c "$1"; }
  hd_concat() { echo "string_agg(CAST($1 AS TEXT), '${2:-,}')"; }
  hd_bytes() { hd_sql "WITH q(b) AS ($1) SELECT encode(b, 'base64') FROM q" | base64 -d; }
else
  config_database() { config_table '[database]' 'path = "hd.db"' -- "$@"; }
  # Waits up to 10 s for a daemon's write lock instead of failing at once.
  hd_sql() { sqlite3 -cmd '.timeout 10000' "$T/hd.db" "$1"; }
  hd_concat() { echo "group_concat($1, '${2:-,}')"; }
  hd_bytes() {
    hd_sql "WITH q(b) AS ($1) SELECT hex(b) FROM q" |
      /usr/bin/python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.stdin.read()))'
  }
fi
config_outgoing() {  # the acknowledgement templates of the source tree
  config_table '[outgoing]' 'from_address = "support@example.com"' \
    "templates_dir = \"$HD_SOURCE_DIR/etc/templates\"" -- "$@"
}
config_smtp() {  # the receiver of smtp_start (or smtp_tls_start), plain text
  config_table '[smtp]' 'host = "127.0.0.1"' "port = $SMTP_PORT" 'tls = "none"' -- "$@"
}
config_mailbox() {  # config_mailbox [LINE...]: the pipe-mode mailbox "support"
  config_table '[[mailbox]]' 'name = "support"' 'address = "support@example.com"' -- "$@"
}
config_imap_mailbox() {  # config_imap_mailbox NAME [LINE...]: Dovecot user NAME over IMAPS
  local name=$1
  shift
  config_table '[[mailbox]]' "name = \"$name\"" "address = \"$name@example.com\"" \
    'host = "127.0.0.1"' "port = $DOVECOT_IMAPS_PORT" 'tls = "implicit"' \
    "ca_file = \"$DOVECOT_CA\"" "user = \"$name\"" 'password_file = "pass"' -- "$@"
}
config_priority() { local n=$1; shift; config_table '[[priority]]' "name = \"$n\"" -- "$@"; }
config_category() { local n=$1; shift; config_table '[[category]]' "name = \"$n\"" -- "$@"; }
config_user() { local n=$1; shift; config_table '[[user]]' "login = \"$n\"" -- "$@"; }
config_users() { local n; for n in "$@"; do config_user "$n"; done; }  # plain agents
