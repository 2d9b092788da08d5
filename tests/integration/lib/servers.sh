# Real servers on 127.0.0.1 for integration tests, benchmarks and the demo. Source this file.
#
#   dovecot_start DIR        private Dovecot (IMAP, IMAPS, LMTP) with users support, sales,
#                            other (password "secret"); sets DOVECOT_IMAP_PORT,
#                            DOVECOT_IMAPS_PORT, DOVECOT_LMTP_PORT, DOVECOT_CA (CA file)
#                            ($DOVECOT_EXTRA_CONF, if set, is appended to its dovecot.conf)
#   dovecot_stop             stops it (the whole process group)
#   dovecot_deliver USER FILE...   puts mail straight into USER's INBOX (maildir, fast)
#   dovecot_lmtp USER FILE...      delivers mail over LMTP (the realistic path)
#   smtp_start DIR           SMTP receiver writing each message to DIR/NNNNNN.eml (+ .json
#                            envelope); sets SMTP_PORT. Write "tempfail" or "permfail" to
#                            DIR/mode to make it answer 451 or 550.
#   smtp_stop
#   pg_start DIR / pg_stop   private PostgreSQL 15 (lib/pg.sh); sets PG_URL and HD_PG_URL
#   hd_cleanup               stops everything started here (call it from a trap)
#
# Only loopback addresses are ever used.

HD_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HD_SYS_PYTHON=/usr/bin/python3   # Debian's python, which has aiosmtpd
source "$HD_LIB_DIR/pg.sh"

hd_free_port() {
  "$HD_SYS_PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

hd_wait_port() {  # hd_wait_port PORT [SECONDS]
  local port=$1 tries=$(( ${2:-10} * 20 ))
  for ((i = 0; i < tries; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "servers: nothing listens on 127.0.0.1:$port" >&2
  return 1
}

hd_make_ca() {  # hd_make_ca DIR: throw-away CA and a server certificate for 127.0.0.1/localhost
  local d=$1
  mkdir -p "$d"
  [ -f "$d/server.crt" ] && return 0
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=helpdeskd test CA" \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 30 -extfile "$d/ext.cnf" -out "$d/server.crt" 2>/dev/null
}

dovecot_start() {
  local dir=$1
  mkdir -p "$dir"/{run,state,home}
  dir=$(cd "$dir" && pwd)
  DOVECOT_DIR=$dir
  chmod 755 "$dir" "$dir/home"
  hd_make_ca "$dir/tls"
  chmod 644 "$dir/tls/server.key"
  DOVECOT_CA=$dir/tls/ca.crt
  DOVECOT_IMAP_PORT=${DOVECOT_IMAP_PORT:-$(hd_free_port)}
  DOVECOT_IMAPS_PORT=${DOVECOT_IMAPS_PORT:-$(hd_free_port)}
  DOVECOT_LMTP_PORT=${DOVECOT_LMTP_PORT:-$(hd_free_port)}
  : > "$dir/passwd"
  for u in support sales other ${DOVECOT_EXTRA_USERS:-}; do  # more: DOVECOT_EXTRA_USERS="a b"
    echo "$u:{PLAIN}secret::::::" >> "$dir/passwd"
    mkdir -p "$dir/home/$u"
  done
  # As root, mail belongs to nobody and Dovecot drops privileges to its own users; as anyone
  # else, everything runs as that user (Dovecot supports this unprivileged mode).
  local mail_uid=nobody mail_gid=nogroup login_user=dovenull internal_user=dovecot internal_group=dovecot
  local chroot_off=''
  if [ "$(id -u)" -eq 0 ]; then
    if ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -x "$dir/home" 2>/dev/null; then
      echo "servers: Dovecot's mail user (nobody) cannot reach $dir: make its parents world-searchable (chmod o+x)" >&2
      return 1
    fi
    chown -R nobody:nogroup "$dir/home"
  else
    mail_uid=$(id -un); mail_gid=$(id -gn); login_user=$mail_uid; internal_user=$mail_uid
    internal_group=$mail_gid
    chroot_off='chroot ='
  fi
  cat > "$dir/dovecot.conf" <<CONF
protocols = imap lmtp
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
instance_name = hd-dovecot-$DOVECOT_IMAP_PORT
log_path = $dir/dovecot.log
ssl = yes
ssl_cert = <$dir/tls/server.crt
ssl_key = <$dir/tls/server.key
ssl_dh = </usr/share/dovecot/dh.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_max_userip_connections = 1000
mail_location = maildir:~/Maildir
default_login_user = $login_user
default_internal_user = $internal_user
default_internal_group = $internal_group
lmtp_save_to_detail_mailbox = no
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $dir/passwd
}
userdb {
  driver = static
  args = uid=$mail_uid gid=$mail_gid home=$dir/home/%n
}
service anvil {
  $chroot_off
}
service imap-login {
  $chroot_off
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $DOVECOT_IMAPS_PORT
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $DOVECOT_LMTP_PORT
  }
}
${DOVECOT_EXTRA_CONF:-}
CONF
  setsid /usr/sbin/dovecot -F -c "$dir/dovecot.conf" >>"$dir/dovecot.out" 2>&1 &
  DOVECOT_PID=$!
  hd_wait_port "$DOVECOT_IMAP_PORT" 15 && hd_wait_port "$DOVECOT_LMTP_PORT" 15 || {
    cat "$dir/dovecot.out" "$dir/dovecot.log" >&2 2>/dev/null; return 1; }
}

dovecot_stop() {
  [ -n "${DOVECOT_PID:-}" ] || return 0
  kill -TERM -- "-$DOVECOT_PID" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$DOVECOT_PID" 2>/dev/null || break; sleep 0.05; done
  kill -KILL -- "-$DOVECOT_PID" 2>/dev/null || true
  wait "$DOVECOT_PID" 2>/dev/null || true
  DOVECOT_PID=
}

dovecot_deliver() {  # dovecot_deliver USER FILE... (maildir: new/, not yet seen)
  local user=$1; shift
  local md="$DOVECOT_DIR/home/$user/Maildir"
  mkdir -p "$md"/{new,cur,tmp}
  local n=0 f
  for f in "$@"; do
    n=$((n + 1))
    cp "$f" "$md/tmp/hd.$$.$RANDOM.$n"
    mv "$md/tmp/hd.$$.$RANDOM.$n" "$md/new/$(date +%s).M$RANDOM$n.P$$.hd" 2>/dev/null ||
      mv "$md"/tmp/hd.$$.*."$n" "$md/new/$(date +%s).M$RANDOM$n.P$$.hd"
  done
  if [ "$(id -u)" -eq 0 ]; then chown -R nobody:nogroup "$DOVECOT_DIR/home/$user"; fi
}

dovecot_lmtp() {  # dovecot_lmtp USER FILE...
  local user=$1; shift
  "$HD_SYS_PYTHON" "$HD_LIB_DIR/lmtp_send.py" 127.0.0.1 "$DOVECOT_LMTP_PORT" "$user" "$@"
}

smtp_start() {
  local dir=$1
  mkdir -p "$dir"
  SMTP_DIR=$(cd "$dir" && pwd)
  SMTP_PORT=${SMTP_PORT:-$(hd_free_port)}
  setsid "$HD_SYS_PYTHON" "$HD_LIB_DIR/smtp_sink.py" 127.0.0.1 "$SMTP_PORT" "$SMTP_DIR" \
    >>"$SMTP_DIR/smtp.log" 2>&1 &
  SMTP_PID=$!
  hd_wait_port "$SMTP_PORT" 15 || { cat "$SMTP_DIR/smtp.log" >&2; return 1; }
}

smtp_stop() {
  [ -n "${SMTP_PID:-}" ] || return 0
  kill -TERM -- "-$SMTP_PID" 2>/dev/null || true
  wait "$SMTP_PID" 2>/dev/null || true
  SMTP_PID=
}

hd_cleanup() {
  smtp_stop
  dovecot_stop
  pg_stop
}
