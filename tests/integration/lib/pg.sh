# A private PostgreSQL 15 on 127.0.0.1 for tests and benchmarks (issue 18). Source this file
# (servers.sh does, and its hd_cleanup calls pg_stop).
#
#   pg_start DIR    initdb in DIR/data, postgres listening only on 127.0.0.1 (a free port)
#                   and on a Unix socket in DIR/run; creates role and database "helpdesk"
#                   with a random password. Sets PG_DIR, PG_PORT, PG_URL
#                   (postgresql://helpdesk:PASSWORD@127.0.0.1:PORT/helpdesk), PG_SOCKET_DIR,
#                   PG_PID, and exports HD_PG_URL (= PG_URL).
#   pg_stop         immediate shutdown (clients are cut off), then removes DIR; keeps DIR and
#                   prints the server log when PG_KEEP=1
#   pg_restart [S]  immediate shutdown (as a crash), down S seconds, started again (same data)
#   pg_psql ARG...  psql as the superuser over the socket
#
# As root the server runs as nobody:nogroup (initdb and postgres refuse root); DIR's parents
# must then be searchable by nobody (/tmp and mktemp -d folders with chmod 755 are).
# Settings are for throw-away data: fsync off, small shared memory. Commits are still written
# to the kernel before they return (synchronous_commit stays on): pg_restart's crash must not
# take back a commit helpdeskd was told had happened, or the fault scenario "finds" duplicate
# acknowledgements that no real server would cause (it did, with synchronous_commit=off).
# PG_OPTS adds server options, e.g. PG_OPTS="-c log_statement=all -c log_min_messages=log"
# to log every statement, or PG_OPTS="-c fsync=on" for a benchmark.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

pg_as_owner() {  # runs a command as the cluster's owner
  if [ "$(id -u)" -eq 0 ]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
  else
    "$@"
  fi
}

pg_start() {
  local dir=$1
  [ -x "$PG_BIN/postgres" ] || { echo "pg: no PostgreSQL 15 in $PG_BIN (scripts/setup)" >&2; return 1; }
  mkdir -p "$dir/run"
  PG_DIR=$(cd "$dir" && pwd)
  PG_SOCKET_DIR=$PG_DIR/run
  PG_PORT=${PG_PORT:-$(hd_free_port)}
  local password
  password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  printf '%s\n' "$password" > "$PG_DIR/pwfile"
  chmod 700 "$PG_DIR"
  if [ "$(id -u)" -eq 0 ]; then
    if ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$(dirname "$PG_DIR")" 2>/dev/null; then
      echo "pg: the server's user (nobody) cannot reach $PG_DIR: make its parents world-searchable" >&2
      return 1
    fi
    chown -R nobody:nogroup "$PG_DIR"
  fi
  # Local (socket) connections are trusted: the socket folder is private to the owner (and
  # root). Over TCP, a password (SCRAM), so other users of a shared machine stay out.
  pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -U helpdesk --pwfile="$PG_DIR/pwfile" \
    -E UTF8 --locale=C.UTF-8 --no-sync --auth-local=trust --auth-host=scram-sha-256 \
    >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  rm -f "$PG_DIR/pwfile"
  # The socket folder must stay reachable for root (tests) but for nobody else.
  chmod 700 "$PG_SOCKET_DIR"
  pg_run_server || return 1
  pg_psql -q -c "CREATE DATABASE helpdesk" >/dev/null || return 1
  PG_URL="postgresql://helpdesk:$password@127.0.0.1:$PG_PORT/helpdesk"
  export HD_PG_URL=$PG_URL
}

# pg_run_server: starts postgres on PG_DIR's data and PG_PORT, and waits until it answers.
pg_run_server() {
  local as_owner=()
  [ "$(id -u)" -ne 0 ] || as_owner=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  local extra=()
  read -r -a extra <<< "${PG_OPTS:-}"
  # setsid: its own process group, so pg_stop can end whatever is left of it.
  setsid "${as_owner[@]}" "$PG_BIN/postgres" -D "$PG_DIR/data" -p "$PG_PORT" \
    -c listen_addresses=127.0.0.1 -c unix_socket_directories="$PG_SOCKET_DIR" \
    -c fsync=off -c full_page_writes=off \
    -c shared_buffers=32MB -c max_connections=100 \
    -c logging_collector=off -c log_min_messages=warning "${extra[@]}" \
    >>"$PG_DIR/postgres.log" 2>&1 &
  PG_PID=$!
  local i
  for ((i = 0; i < 300; i++)); do
    if "$PG_BIN/pg_isready" -q -h "$PG_SOCKET_DIR" -p "$PG_PORT"; then break; fi
    kill -0 "$PG_PID" 2>/dev/null || break
    sleep 0.05
  done
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || {
    echo "pg: the server did not start" >&2; cat "$PG_DIR/postgres.log" >&2; return 1; }
}

# pg_restart [DOWN_S]: the server goes away as in a crash (immediate shutdown: every client
# is cut off), stays down DOWN_S seconds (default 0), and comes back on the same port with
# the same data (crash recovery).
pg_restart() {
  kill -QUIT "$PG_PID" 2>/dev/null || true
  local i
  for ((i = 0; i < 200; i++)); do kill -0 "$PG_PID" 2>/dev/null || break; sleep 0.05; done
  wait "$PG_PID" 2>/dev/null || true
  sleep "${1:-0}"
  pg_run_server
}

pg_psql() {
  "$PG_BIN/psql" -X -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$PG_PORT" -U helpdesk \
    -d "${PG_DB:-postgres}" "$@"
}

pg_stop() {
  [ -n "${PG_PID:-}" ] || return 0
  # SIGQUIT to the postmaster is PostgreSQL's immediate shutdown: the backends end at once and
  # no checkpoint is written (the data is thrown away; it would still recover if kept).
  kill -QUIT "$PG_PID" 2>/dev/null || true
  local i
  for ((i = 0; i < 200; i++)); do kill -0 "$PG_PID" 2>/dev/null || break; sleep 0.05; done
  kill -KILL -- "-$PG_PID" 2>/dev/null || true
  wait "$PG_PID" 2>/dev/null || true
  PG_PID=
  if [ "${PG_KEEP:-0}" = 1 ]; then
    tail -20 "$PG_DIR/postgres.log" >&2 || true
  else
    rm -rf "$PG_DIR"
  fi
}
