#!/usr/bin/env bash
# Reopen on reply (issue 20, point 4): a customer's reply to a closed or postponed request
# reopens it, whether it threads by In-Reply-To or by the tag in the subject; a reply to a
# request closed longer than reopen_within_days ago opens a new request linked to the old one.
set -euo pipefail
source "$(dirname "$0")/lib/testlib.sh"

{
  config_database
  config_mailbox
  config_users anna
} > "$T/hd.toml"
h() { hd -c "$T/hd.toml" "$@"; }
export HELPDESKD_AGENT=anna
mail() {  # mail MESSAGE-ID SUBJECT [HEADER...]
  local id=$1 subject=$2
  shift 2
  printf 'From: Kari Nordmann <kari@example.no>\nTo: support@example.com\nSubject: %s\n' "$subject"
  printf 'Message-ID: <%s>\nDate: Fri, 04 Dec 2026 10:00:00 +0000\n' "$id"
  local x
  for x in "$@"; do printf '%s\n' "$x"; done
  printf '\nThe VPN drops every ten minutes.\n'
}
status_of() { h requests show "$1" --json | json 'j["status"]'; }
reopened() { hd_sql "SELECT COUNT(*) FROM events WHERE request_id = $1 AND kind = 'reopened'"; }
requests() { hd_sql "SELECT COUNT(*) FROM requests"; }

mail a1@example.no "VPN drops" | h ingest
expect_eq "$(requests)" 1 "the first mail makes request 1"
h requests close 1 >/dev/null
expect_eq "$(status_of 1)" closed "closed by the agent"

mail a2@example.no "Re: VPN drops" "In-Reply-To: <a1@example.no>" | h ingest
expect_eq "$(requests)" 1 "a reply by In-Reply-To joins request 1"
expect_eq "$(status_of 1)" open "the reply reopened the closed request"
expect_eq "$(reopened 1)" 1 "a 'reopened' event says so"
expect_eq "$(hd_sql "SELECT CASE WHEN closed_at IS NULL THEN 1 ELSE 0 END FROM requests WHERE id = 1")" 1 \
  "closed_at is cleared"

h requests postpone 1 --until +2d >/dev/null
expect_eq "$(status_of 1)" pending "postponed"
mail a3@example.no "Re: [#1] VPN drops" | h ingest
expect_eq "$(requests)" 1 "a reply by the tag in the subject joins request 1"
expect_eq "$(status_of 1)" open "the reply reopened the postponed request"
expect_eq "$(reopened 1)" 2 "a second 'reopened' event"

mail a4@example.no "Re: [#1] VPN drops" "In-Reply-To: <a3@example.no>" | h ingest
expect_eq "$(reopened 1)" 2 "a reply to an open request reopens nothing"

# Closed 61 days ago (reopen_within_days = 60): the reply starts a new, linked request.
h requests close 1 >/dev/null
hd_sql "UPDATE requests SET closed_at = closed_at - 61 * 86400 WHERE id = 1"
mail a5@example.no "Re: [#1] VPN drops" "In-Reply-To: <a4@example.no>" | h ingest
expect_eq "$(requests)" 2 "a reply to a request closed too long ago makes request 2"
expect_eq "$(status_of 1)" closed "request 1 stays closed"
expect_eq "$(status_of 2)" open "request 2 is open"
expect_eq "$(h requests show 2 --json | json 'j["linked_to"]')" 1 "request 2 is linked to 1"
