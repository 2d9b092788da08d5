#!/usr/bin/env bash
# SMTP security: STARTTLS and implicit TLS with the certificate verified against [smtp]
# ca_file, AUTH PLAIN and LOGIN; an untrusted certificate, a refused login and a server
# without STARTTLS all defer the mail (never sent in plain text, never lost), and it is
# delivered once the problem is fixed.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"
source "$(dirname "$0")/lib/smtp_tls.sh"

mail="$HD_SOURCE_DIR/etc/demo/mail"
printf 's3cret\n' > "$T/smtp.pw"
printf 'wrong\n' > "$T/wrong.pw"
n=0
# run_case NAME TLS CA PASSWORD_FILE MAIL: a fresh database, one ingest, one drain.
run_case() {
  local name=$1 tls=$2 ca=$3 pw=$4 m=$5
  n=$((n + 1))
  {
    config_database "path = \"$name.db\""
    config_outgoing
    config_smtp "tls = \"$tls\"" "ca_file = \"$ca\"" 'user = "helpdesk"' "password_file = \"$pw\"" \
      'helo_name = "helpdesk.example.com"' 'timeout_s = 10'
  } > "$T/$name.toml"
  hd -c "$T/$name.toml" ingest < "$mail/$m"
  # 75: nothing could be sent (deferred); the scenarios check the counts.
  hd -c "$T/$name.toml" outbox drain --json > "$T/$name.drain.json" || [ $? -eq 75 ]
}
drained() { json "j[\"$2\"]" < "$T/$1.drain.json"; }
last_error() { sqlite3 "$T/$1.db" "SELECT last_error FROM outbox WHERE id = 1"; }
received() { find "$SMTP_DIR" -name '*.eml' | wc -l; }

# 1. STARTTLS (required by the server) + AUTH PLAIN.
smtp_tls_start "$T/starttls" starttls helpdesk s3cret PLAIN
run_case starttls starttls "$SMTP_CA" "$T/smtp.pw" 01-nl-factuur.eml
expect_eq "$(drained starttls sent)" 1 "STARTTLS + AUTH PLAIN: sent"
expect_eq "$(json '[j["tls"], j["auth_login"], j["auth_mechanism"], j["helo"]]' < "$SMTP_DIR/000001.json")" \
  "[True, 'helpdesk', 'PLAIN', 'helpdesk.example.com']" "encrypted, logged in with PLAIN, our EHLO name"

# 2. The certificate is not signed by a CA we trust (the system store does not know the test
# CA): deferred with the TLS error, nothing sent; with the right ca_file it goes out.
run_case untrusted starttls "" "$T/smtp.pw" 02-no-skriver.eml
expect_eq "$(drained untrusted deferred)" 1 "untrusted certificate: deferred"
case "$(last_error untrusted)" in
  *[Cc]ertificate*|*SSL*|*TLS*) echo "ok: the TLS error is kept: $(last_error untrusted)" ;;
  *) fail "last_error: $(last_error untrusted)" ;;
esac
expect_eq "$(received)" 1 "nothing was sent to the untrusted server"

# 3. A refused login is temporary (our configuration, not the mail).
run_case badlogin starttls "$SMTP_CA" "$T/wrong.pw" 03-se-losenord.eml
expect_eq "$(drained badlogin deferred)" 1 "refused login: deferred, not failed"
expect_eq "$(sqlite3 "$T/badlogin.db" "SELECT status FROM outbox")" queued "still queued"
grep -q "PLAIN helpdesk refused" "$SMTP_DIR/auth.log" || fail "the server saw no refused login"
echo "ok: the server refused the login"
sed -i "s|password_file = .*|password_file = \"$T/smtp.pw\"|" "$T/badlogin.toml"
hd -c "$T/badlogin.toml" outbox retry 1 >/dev/null
hd -c "$T/badlogin.toml" outbox drain --json > "$T/badlogin.drain.json"
expect_eq "$(drained badlogin sent)" 1 "sent once the password is fixed"
smtp_stop

# 4. Implicit TLS (smtps) + AUTH LOGIN.
smtp_tls_start "$T/implicit" implicit helpdesk s3cret LOGIN
run_case implicit implicit "$SMTP_CA" "$T/smtp.pw" 04-en-export.eml
expect_eq "$(drained implicit sent)" 1 "implicit TLS + AUTH LOGIN: sent"
expect_eq "$(json '[j["tls"], j["auth_login"], j["auth_mechanism"]]' < "$SMTP_DIR/000001.json")" \
  "[True, 'helpdesk', 'LOGIN']" "encrypted, logged in with LOGIN"
run_case implicit_untrusted implicit "" "$T/smtp.pw" 02-no-skriver.eml
expect_eq "$(drained implicit_untrusted deferred)" 1 "implicit TLS, untrusted certificate: deferred"
smtp_stop

# 5. tls = "starttls" against a server that offers no STARTTLS: never falls back to plain text.
smtp_start "$T/plain"
run_case nostarttls starttls "$SMTP_CA" "$T/smtp.pw" 01-nl-factuur.eml
expect_eq "$(drained nostarttls deferred)" 1 "no STARTTLS offered: deferred"
expect_eq "$(received)" 0 "nothing sent in plain text"
