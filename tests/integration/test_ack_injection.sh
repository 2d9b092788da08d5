#!/usr/bin/env bash
# Hostile customer text (CR/LF in encoded words, quotes and brackets in names, SMTP commands in
# addresses) can never add a header or a recipient to an acknowledgement.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

smtp_start "$T/smtp"
{ config_database; config_outgoing; config_smtp; } > "$T/hd.toml"
i=0
inject() {  # inject FROM SUBJECT: one hostile new mail
  i=$((i + 1))
  printf 'From: %s\nTo: support@example.com\nSubject: %s\nMessage-ID: <evil.%d@attacker.example>\n\nhello\r\nBcc: victim@evil.example\n' \
    "$1" "$2" "$i" | hd -c "$T/hd.toml" ingest >/dev/null 2>&1
}
inject '=?utf-8?q?Jan=0D=0ABcc:_victim@evil.example?= <jan1@customer.example>' 'plain'
inject 'Jan <jan2@customer.example>' '=?utf-8?q?hi=0D=0ABcc:_victim@evil.example=0D=0A=0D=0Abody?='
inject 'Jan <jan3@customer.example>' '=?utf-8?b?aGkNCkJjYzogdmljdGltQGV2aWwuZXhhbXBsZQ0K?='
inject '"Jan\" <victim@evil.example>, \"x" <jan4@customer.example>' 'quotes'
inject 'Jan <jan5@customer.example>' '=?utf-8?q?=3D=3Futf-8=3Fq=3F=0D=0ABcc:_v@evil.example=3F=3D?='
inject '"jan\r\nRCPT TO:<victim@evil.example>"@customer.example' 'quoted local part'
inject 'Jan <jan7@customer.example>' "$(printf 'x%.0s' $(seq 1 2000))"
hd -c "$T/hd.toml" outbox drain >/dev/null 2>&1
/usr/bin/python3 - "$T/smtp" <<'PY'
import email, email.policy, glob, json, sys
files = sorted(glob.glob(sys.argv[1] + "/*.eml"))
assert len(files) == 6, "want 6 acknowledgements, got %d" % len(files)
for f in files:
    raw = open(f, "rb").read()
    env = json.load(open(f[:-4] + ".json"))
    assert len(env["rcpt_tos"]) == 1 and env["rcpt_tos"][0].endswith("@customer.example"), env
    head = raw.split(b"\r\n\r\n", 1)[0]
    names = [l.split(b":", 1)[0].lower() for l in head.split(b"\r\n") if l[:1] not in (b" ", b"\t")]
    assert b"bcc" not in names, f
    assert len(names) == len(set(names)), "repeated header in " + f
    assert all(c < 128 for c in head), "8-bit header in " + f
    assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF in " + f
    m = email.message_from_bytes(raw, policy=email.policy.default)
    assert len(m.get_all("To")) == 1 and len(m["To"].addresses) == 1, m["To"]
    assert m["To"].addresses[0].addr_spec == env["rcpt_tos"][0], m["To"]
    assert "\n" not in str(m["Subject"]) and "\r" not in str(m["Subject"])
print("ok: %d acknowledgements, each to its one sender, no injected header" % len(files))
PY
case "$(hd_sql "SELECT detail FROM events WHERE kind = 'ack_suppressed'")" in
  *"not a plain addr-spec"*|*"robot"*) echo "ok: the unusable address got no acknowledgement, with a reason" ;;
  *) fail "events: $(hd_sql "SELECT kind, detail FROM events")" ;;
esac
