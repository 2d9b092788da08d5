#!/usr/bin/env bash
# Acknowledgements: each new request gets one, in the customer's language, with headers that
# thread (In-Reply-To, References, the [#id] tag) and stop loops (Auto-Submitted, X-Loop); a
# follow-up gets none; a reply to the acknowledgement threads into the request.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

smtp_start "$T/smtp"
{
  config_database
  config_outgoing 'from_name = "Example Support"' 'message_id_domain = "helpdesk.example.com"'
  config_smtp 'helo_name = "helpdesk.example.com"'
  config_mailbox
} > "$T/hd.toml"
mail="$HD_SOURCE_DIR/etc/demo/mail"
for f in 01-nl-factuur 02-no-skriver 03-se-losenord 04-en-export 05-en-export-followup; do
  hd -c "$T/hd.toml" ingest --mailbox support < "$mail/$f.eml"
done
expect_eq "$(hd_sql "SELECT COUNT(*) FROM outbox WHERE status = 'queued'")" 4 \
  "four new requests, four acknowledgements queued (none for the follow-up)"

hd -c "$T/hd.toml" outbox drain --json > "$T/drain.json"
expect_eq "$(json 'j["sent"]' < "$T/drain.json")" 4 "drain sends all four"
expect_eq "$(ls "$T"/smtp/*.eml | wc -l)" 4 "the SMTP receiver got four mails"
expect_eq "$(hd_sql "SELECT COUNT(*) FROM outbox WHERE status = 'sent'")" 4 "marked sent"

# Which acknowledgement went where, and in which language.
/usr/bin/python3 - "$T/smtp" > "$T/acks.txt" <<'PY'
import email, email.policy, glob, json, sys
for f in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    raw = open(f, "rb").read()
    assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF in " + f
    m = email.message_from_bytes(raw, policy=email.policy.default)
    env = json.load(open(f[:-4] + ".json"))
    body = m.get_body(("plain",)).get_content()
    print("|".join([env["rcpt_tos"][0], env["mail_from"], env["helo"], m["Content-Language"],
                    m["Auto-Submitted"], m["X-Loop"], m["In-Reply-To"], m["References"].split()[-1],
                    str(m["Subject"]), body.splitlines()[0], m["Message-ID"]]))
PY
cat "$T/acks.txt"
line() { grep "^$1|" "$T/acks.txt"; }
field() { line "$1" | cut -d'|' -f"$2"; }
expect_eq "$(field jan.devries@bakkerij-devries.nl 4)" nl "Dutch customer gets Dutch"
expect_eq "$(field asa@fjordkraft-eksempel.no 4)" no "Norwegian customer gets Norwegian"
expect_eq "$(field asa@fjordkraft-eksempel.no 10)" "Hei Åsa," "Norwegian greeting with the first name"
expect_eq "$(field lars.lindqvist@exempel-ab.se 4)" sv "Swedish customer gets Swedish"
expect_eq "$(field emily.carter@example.co.uk 4)" en "English customer gets English"
expect_eq "$(cut -d'|' -f2 "$T/acks.txt" | sort -u)" support@example.com "envelope sender"
expect_eq "$(cut -d'|' -f3 "$T/acks.txt" | sort -u)" helpdesk.example.com "EHLO name as configured"
expect_eq "$(cut -d'|' -f5 "$T/acks.txt" | sort -u)" auto-replied "Auto-Submitted: auto-replied"
expect_eq "$(cut -d'|' -f6 "$T/acks.txt" | sort -u)" support@example.com "X-Loop names us"
expect_eq "$(field asa@fjordkraft-eksempel.no 7)" "<c0ffee.1@fjordkraft-eksempel.no>" "In-Reply-To"
expect_eq "$(field asa@fjordkraft-eksempel.no 8)" "<c0ffee.1@fjordkraft-eksempel.no>" "References"
nl_id=$(hd_sql "SELECT r.id FROM requests r JOIN person_addresses a ON a.person_id = r.person_id WHERE a.address = 'jan.devries@bakkerij-devries.nl'")
case "$(field jan.devries@bakkerij-devries.nl 9)" in
  "[#$nl_id] Wij hebben uw aanvraag ontvangen: Factuur klopt niet"*) echo "ok: tagged Dutch subject" ;;
  *) fail "subject: $(field jan.devries@bakkerij-devries.nl 9)" ;;
esac
expect_eq "$(field jan.devries@bakkerij-devries.nl 11 | grep -c '@helpdesk.example.com>$')" 1 \
  "our Message-ID domain"
expect_eq "$(hd_sql "SELECT language FROM persons p JOIN person_addresses a ON a.person_id = p.id WHERE a.address = 'jan.devries@bakkerij-devries.nl'")" nl \
  "the language is remembered on the person"

# The customer answers the acknowledgement: the answer threads by In-Reply-To.
ack_id=$(field jan.devries@bakkerij-devries.nl 11)
cat > "$T/answer.eml" <<MAIL
From: Jan de Vries <jan.devries@bakkerij-devries.nl>
To: support@example.com
Subject: Re: ontvangen
Message-ID: <answer.1@bakkerij-devries.nl>
In-Reply-To: $ack_id
Date: Wed, 18 Nov 2026 10:00:00 +0100

Dank u.
MAIL
out=$(hd -c "$T/hd.toml" ingest --json < "$T/answer.eml")
expect_eq "$(echo "$out" | json 'j["result"]')" appended "an answer to the acknowledgement threads"
expect_eq "$(echo "$out" | json 'j["request"]')" "$nl_id" "into the acknowledged request"
expect_eq "$(hd_sql "SELECT COUNT(*) FROM outbox WHERE status = 'queued'")" 0 \
  "no acknowledgement of a follow-up"
