#!/usr/bin/env bash
# Differential test against the reference implementation: for scripts that use only standard
# Sieve (RFC 5228, fileinto, envelope, variables, subaddress, relational, regex), helpdeskd's
# `rules test --json` must name the same keep/fileinto/discard/redirect actions and implicit
# keep as Dovecot Pigeonhole's `sieve-test` for every message tried: the demo mail, the test
# fixtures, the shared real-world corpus and generated probe mails with malformed address
# headers and raw 8-bit subjects (lib/sieve_probe_mails.py). No difference is allowed.
# Loopback only; no network, no servers.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

command -v sieve-test >/dev/null || fail "sieve-test not installed (Debian package dovecot-sieve)"
chmod 777 "$T"  # sieve-test runs as nobody and writes compiled scripts next to them
mkdir -p "$T/scripts"

script() { cat > "$T/scripts/$1.sieve"; }
script 01-keyword <<'S'
require "fileinto";
if header :contains "subject" ["factuur", "invoice", "export", "test", "hello"] {
  fileinto "billing";
}
S
script 02-domain-var <<'S'
require ["fileinto", "variables"];
if address :domain :matches "from" "*" { fileinto "domain-${1}"; }
S
script 03-localpart-all <<'S'
require ["fileinto", "variables"];
if address :all :matches "from" "*@*" { fileinto "${2}/${1}"; }
elsif exists "from" { discard; }
S
script 04-exists-size <<'S'
require "fileinto";
if exists ["in-reply-to", "references"] { fileinto "replies"; }
elsif size :over 2K { fileinto "big"; }
elsif size :under 700 { discard; }
S
script 05-anyof-allof <<'S'
require "fileinto";
if allof (exists "subject", not header :contains "subject" "re:") {
  if anyof (address :domain "from" ["example.com", "example.net", "example.co.uk"],
            header :contains "to" "support") {
    fileinto "customers";
    stop;
  }
  redirect "triage@example.org";
}
keep;
S
script 06-relational <<'S'
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if header :count "ge" :comparator "i;ascii-numeric" "received" "2" { fileinto "hops"; }
if address :count "gt" :comparator "i;ascii-numeric" ["to", "cc"] "1" { fileinto "many"; }
if header :value "lt" :comparator "i;ascii-numeric" "x-priority" "3" { fileinto "urgent"; }
S
script 07-subaddress <<'S'
require ["fileinto", "envelope", "subaddress", "variables"];
if envelope :detail :matches "to" "*" { fileinto "detail-${1}"; }
if envelope :user "to" "support" { keep; }
if envelope :domain "from" "example.org" { redirect "copy@example.org"; }
S
script 08-regex <<'S'
require ["fileinto", "regex", "variables"];
if header :regex "subject" "^(re|aw|sv|antw): *(.*)$" { fileinto "reply-${1}"; }
elsif header :regex "subject" "[0-9]{3,}" { fileinto "numbered"; }
S
script 09-matches-subject <<'S'
require ["fileinto", "variables"];
if header :matches "subject" "*e*r*" { fileinto "m-${1}-${2}"; }
S
script 10-set-modifiers <<'S'
require ["fileinto", "variables"];
if address :localpart :matches "from" "?*" {
  set :upper "first" "${1}";
  set :lower :upperfirst "rest" "${2}";
  set :length "len" "${2}";
  fileinto "${first}${rest}-${len}";
}
S
script 11-octet-is <<'S'
require "fileinto";
if header :comparator "i;octet" :is "mime-version" "1.0" { fileinto "mime"; }
if header :comparator "i;octet" :contains "content-type" "multipart" { fileinto "multi"; }
if not exists "date" { discard; }
S
script 12-stop-redirect <<'S'
if header :contains "from" "@" { redirect "a@example.org"; redirect "a@example.org"; }
if header :contains "subject" "a" { keep; stop; }
discard;
S
script 13-address-parts <<'S'
require ["fileinto", "variables", "subaddress"];
if address :all :matches "to" "*" { fileinto "all-${1}"; }
if address :localpart :matches "cc" "*" { fileinto "lp-${1}"; }
if address :domain :matches "from" "*" { fileinto "dom-${1}"; }
if address :user :matches "to" "*" { fileinto "user-${1}"; }
if address :detail :matches "to" "*" { fileinto "det-${1}"; }
if address :all :is "to" "" { fileinto "empty-all"; }
if address :domain :is "cc" "" { fileinto "empty-domain"; }
if address :all :contains ["to", "cc"] "example" { fileinto "has-example"; }
S
script 14-address-count <<'S'
require ["fileinto", "relational", "comparator-i;ascii-numeric"];
if address :count "eq" :comparator "i;ascii-numeric" "to" "0" { fileinto "to-0"; }
if address :count "eq" :comparator "i;ascii-numeric" "to" "1" { fileinto "to-1"; }
if address :count "eq" :comparator "i;ascii-numeric" "to" "2" { fileinto "to-2"; }
if address :count "ge" :comparator "i;ascii-numeric" "to" "3" { fileinto "to-3+"; }
if address :count "eq" :comparator "i;ascii-numeric" ["from", "to", "cc"] "3" { fileinto "all-3"; }
if address :domain :count "eq" :comparator "i;ascii-numeric" "cc" "1" { fileinto "cc-1"; }
if header :count "eq" :comparator "i;ascii-numeric" "to" "1" { fileinto "to-hdr-1"; }
S
script 15-subject-value <<'S'
require ["fileinto", "variables"];
if header :matches "subject" "*" { fileinto "s-${1}"; }
if header :contains "subject" "�" { fileinto "replacement-char"; }
S

python3 "$HD_SOURCE_DIR/tests/integration/lib/sieve_probe_mails.py" "$T/probes" >/dev/null
chmod -R a+rX "$T/probes"
mails=()
while IFS= read -r f; do mails+=("$f"); done < <(
  { ls "$HD_SOURCE_DIR"/etc/demo/mail/*.eml
    find "$HD_SOURCE_DIR/tests/fixtures" -name '*.eml'
    [ -d "$HD_SOURCE_DIR/../shared/corpus" ] &&
      find "$HD_SOURCE_DIR/../shared/corpus" -type f \( -name '*.eml' -o -name 'msg_*.txt' \)
    ls "$T"/probes/*.eml
  } | sort)
echo "messages: ${#mails[@]}"

root_opts=()
[ "$(id -u)" = 0 ] && root_opts=(-o mail_uid=nobody -o mail_gid=nogroup)
# Compile each script once up front: parallel sieve-test runs would race to save the binary.
chmod 777 "$T/scripts"
for s in "$T"/scripts/*.sieve; do sievec "${root_opts[@]}" "$s" || fail "sievec $s"; done
chmod a+r "$T"/scripts/*.svbin
printf '%s\n' "${mails[@]}" > "$T/mails.txt"

/usr/bin/python3 "$HD_SOURCE_DIR/tests/integration/lib/sieve_diff.py" "$HELPDESKD" "$T/mails.txt" \
  "$T"/scripts/*.sieve -- "${root_opts[@]}"
echo "ok: helpdeskd agrees with Pigeonhole sieve-test"
