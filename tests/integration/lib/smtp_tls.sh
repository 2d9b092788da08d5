# An SMTP receiver with TLS and AUTH on 127.0.0.1 (aiosmtpd). Source after servers.sh.
#
#   smtp_tls_start DIR MODE [USER PASSWORD [MECHANISMS]]
#       MODE implicit (TLS from the first byte), starttls (STARTTLS required) or plain. With USER,
#       AUTH is required (over TLS only); MECHANISMS: PLAIN, LOGIN or PLAIN,LOGIN.
#       Certificate from hd_make_ca DIR/ca (a throw-away CA for 127.0.0.1 and localhost);
#       sets SMTP_PORT, SMTP_DIR, SMTP_PID (so smtp_stop and hd_cleanup stop it) and SMTP_CA.
#       Messages land in DIR like smtp_sink.py's, the .json also has tls, auth_login and
#       auth_mechanism; every AUTH attempt is a line in DIR/auth.log. HD_SMTP_DELAY_S=N makes
#       each MAIL take N seconds; DIR/max_concurrent is the most sessions between MAIL and DATA.

smtp_tls_start() {
  local dir=$1 mode=$2
  shift 2
  mkdir -p "$dir"
  SMTP_DIR=$(cd "$dir" && pwd)
  hd_make_ca "$SMTP_DIR/ca"
  SMTP_CA="$SMTP_DIR/ca/ca.crt"
  SMTP_PORT=$(hd_free_port)
  setsid "$HD_SYS_PYTHON" "$HD_LIB_DIR/smtp_tls.py" 127.0.0.1 "$SMTP_PORT" "$SMTP_DIR" "$mode" \
    "$SMTP_DIR/ca/server.crt" "$SMTP_DIR/ca/server.key" "$@" >>"$SMTP_DIR/smtp.log" 2>&1 &
  SMTP_PID=$!
  hd_wait_port "$SMTP_PORT" 15 || { cat "$SMTP_DIR/smtp.log" >&2; return 1; }
}
