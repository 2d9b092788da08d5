# OAuth2 on 127.0.0.1 for integration tests: a token endpoint and a Dovecot that accepts
# XOAUTH2 through its oauth2 passdb, checking each token with that endpoint. Source after
# servers.sh (testlib.sh).
#
#   oauth2_start DIR ARGS...   oauth2_server.py (ARGS: --grant USER=REFRESH_TOKEN, --ttl S, ...);
#                              sets OAUTH2_PORT, OAUTH2_URL (http://127.0.0.1:PORT)
#   oauth2_ctl PATH            POST to a /control/... path (revoke, expire_access, ttl)
#   oauth2_stats EXPR          evaluate EXPR over GET /stats as `j` (Python)
#   oauth2_stop
#   dovecot_oauth2_start DIR   dovecot_start with XOAUTH2 and OAUTHBEARER besides PLAIN/LOGIN,
#                              tokens checked by introspection (POST) at $OAUTH2_URL/introspect

oauth2_start() {
  local dir=$1; shift
  mkdir -p "$dir"
  OAUTH2_PORT=$(hd_free_port)
  OAUTH2_URL=http://127.0.0.1:$OAUTH2_PORT
  setsid "$HD_SYS_PYTHON" "$HD_LIB_DIR/oauth2_server.py" "$OAUTH2_PORT" "$@" \
    >>"$dir/oauth2.log" 2>&1 &
  OAUTH2_PID=$!
  hd_wait_port "$OAUTH2_PORT" 15 || { cat "$dir/oauth2.log" >&2; return 1; }
}

oauth2_stop() {
  [ -n "${OAUTH2_PID:-}" ] || return 0
  kill -TERM -- "-$OAUTH2_PID" 2>/dev/null || true
  wait "$OAUTH2_PID" 2>/dev/null || true
  OAUTH2_PID=
}

oauth2_ctl() { curl -sf -X POST "$OAUTH2_URL$1" > /dev/null; }

oauth2_stats() {
  curl -sf "$OAUTH2_URL/stats" | "$HD_SYS_PYTHON" -c "import json,sys; j=json.load(sys.stdin); print($1)"
}

dovecot_oauth2_start() {
  local dir=$1
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  cat > "$dir/dovecot-oauth2.conf.ext" <<CONF
introspection_mode = post
introspection_url = $OAUTH2_URL/introspect
username_attribute = username
active_attribute = active
active_value = true
CONF
  chmod 644 "$dir/dovecot-oauth2.conf.ext"
  DOVECOT_EXTRA_CONF="auth_mechanisms = plain login xoauth2 oauthbearer
passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $dir/dovecot-oauth2.conf.ext
}" dovecot_start "$dir"
}
