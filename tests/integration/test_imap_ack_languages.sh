#!/usr/bin/env bash
# IMAP intake detects each new mail's language on its parser thread, ahead of the storage
# worker (issue 22 point 4): a batch of mails in Norwegian, Swedish and English without
# Content-Language gets acknowledgements in those languages ("detected"), the Dutch one with
# Content-Language in Dutch, exactly as pipe mode chooses them (one mail, no parser thread).
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

imap_server_start
mail="$HD_SOURCE_DIR/etc/demo/mail"
dovecot_deliver support "$mail"/01-*.eml "$mail"/02-*.eml "$mail"/03-*.eml "$mail"/04-*.eml
{
  config_database
  config_outgoing
  config_imap_mailbox support
} > "$T/hd.toml"
hd -c "$T/hd.toml" run --once 2> "$T/run.log" || { cat "$T/run.log" >&2; fail "run --once"; }
langs() {  # the acknowledgements' languages and sources, sorted
  sqlite3 "$1" "SELECT substr(detail, instr(detail, ' in ') + 4) FROM events
                 WHERE kind = 'ack_queued'" | sort | paste -sd '|'
}
got=$(langs "$T/hd.db")
echo "IMAP batch: $got"
expect_eq "$got" "'en' (detected)|'nl' (content-language)|'no' (detected)|'sv' (detected)" \
  "languages detected on the parser thread"

# Pipe mode, one mail at a time, detects on the storage worker: the same choices.
{ printf '[database]\npath = "pipe.db"\n'; config_outgoing; config_mailbox; } > "$T/pipe.toml"
for f in 01 02 03 04; do hd -c "$T/pipe.toml" ingest --mailbox support < "$mail"/$f-*.eml; done
expect_eq "$(langs "$T/pipe.db")" "$got" "the same languages as pipe mode"
