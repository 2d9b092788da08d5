#!/usr/bin/env bash
# Pipe mode: `helpdeskd ingest` as a mail server would call it. Two mails from one sender make
# two requests linked to one person; a redelivery is a duplicate; a follow-up threads; garbage
# is quarantined with exit 65; sysexits codes throughout.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

{ config_database; config_mailbox; } > "$T/hd.toml"
mail="$HD_SOURCE_DIR/etc/demo/mail"

hd -c "$T/hd.toml" ingest --mailbox support < "$mail/04-en-export.eml"
hd -c "$T/hd.toml" ingest --mailbox support < "$mail/01-nl-factuur.eml"
sed -e 's/Message-ID: <20261116091244.4711/Message-ID: <other/' -e 's/Factuur klopt niet/Tweede vraag/' \
  "$mail/01-nl-factuur.eml" | hd -c "$T/hd.toml" ingest --mailbox support
out=$(hd -c "$T/hd.toml" ingest --json < "$mail/01-nl-factuur.eml")
expect_eq "$(echo "$out" | json 'j["result"]')" duplicate "redelivery is a duplicate"
out=$(hd -c "$T/hd.toml" ingest --json < "$mail/05-en-export-followup.eml")
expect_eq "$(echo "$out" | json 'j["result"]')" appended "follow-up threads by In-Reply-To"

set +e
printf '\0\0\0\0' | hd -c "$T/hd.toml" ingest; rc=$?
set -e
expect_eq "$rc" 65 "unusable input exits 65"
expect_eq "$(hd_sql 'SELECT COUNT(*) FROM quarantine')" 1 "unusable input is quarantined"
expect_eq "$(hd_sql 'SELECT size FROM raw_messages r JOIN quarantine q ON q.raw_id = r.id')" 4 \
  "the quarantined raw bytes are kept"

hd -c "$T/hd.toml" requests list --sort id --json > "$T/list.json"
expect_eq "$(json 'len(j)' < "$T/list.json")" 3 "three requests"
expect_eq "$(json 'j[1]["person"]["id"] == j[2]["person"]["id"]' < "$T/list.json")" True \
  "two mails from one sender share one person"
expect_eq "$(json 'j[0]["messages"]' < "$T/list.json")" 2 "the follow-up is the request's second message"
expect_eq "$(json 'j[1]["title"]' < "$T/list.json")" "Factuur klopt niet – dubbel betaald" "decoded title"

set +e
hd -c "$T/nope.toml" requests list >/dev/null 2>&1; rc=$?
set -e
expect_eq "$rc" 78 "missing config exits 78"
