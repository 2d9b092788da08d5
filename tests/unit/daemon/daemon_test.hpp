#pragma once
// Helpers shared by the daemon tests: a config from TOML text, a parsed mail, one queued mail.

#include "hd/common/config.hpp"
#include "hd/intake/ack.hpp"
#include "hd/mailparse/parser.hpp"
#include "hd/storage/batch.hpp"
#include "hd/storage/outbox.hpp"
#include "hd/storage/store.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace daemon_test {

/// A config from TOML text (no environment, relative paths under /tmp).
inline hd::config config_of(const std::string& toml) {
  auto c =
      hd::parse_config(toml, "t.toml", "/tmp", [](const std::string&) { return std::nullopt; });
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
  return *c;
}

/// RAW parsed with default limits; the test fails if it cannot be.
inline hd::parsed_message parse_ok(const std::string& raw) {
  auto m = hd::mailparse::parse(raw, {});
  REQUIRE(m.has_value());
  return *m;
}

/// Ingests a mail from a@c.example (Message-ID 1@c) whose transaction queues one outgoing
/// mail of KIND to it.
inline void ingest_queuing(hd::storage::store& db, const std::string& raw,
                           const std::string& kind) {
  hd::parsed_message m;
  m.from = hd::address{"", "a@c.example"};
  m.subject = "s";
  m.message_id = "1@c";
  hd::storage::inbound in;
  in.source.mailbox = "stdin";
  in.raw = raw;
  in.parsed = &m;
  in.now = 1000;
  hd::storage::outgoing_mail o;
  o.kind = kind;
  o.mail_from = "support@example.com";
  o.recipients = {"a@c.example"};
  o.bytes = "x\r\n";
  o.message_id = "ours@h";
  auto unit = hd::storage::write_batch::begin(db);
  REQUIRE(unit.has_value());
  auto out = db.ingest(in);
  REQUIRE(out.has_value());
  REQUIRE(hd::storage::queue_mails(db, out->request_id, {o}, in.now).has_value());
  REQUIRE(unit->commit().has_value());
}

/// The pipeline's unit of work for one mail (ingest, acknowledge, queue, commit: pipeline.cpp)
/// for tests that give the mail and the rules' acknowledgement decision themselves.
inline hd::result<hd::storage::ingest_outcome, hd::storage::errc> ingest_with_ack(
    const hd::config& cfg, hd::storage::store& db, const hd::daemon::reply_kit& kit,
    const hd::storage::inbound& in, hd::daemon::ack_decision rules = {}) {
  auto unit = hd::storage::write_batch::begin(db);
  if (!unit) return unit.error();
  auto out = db.ingest(in);
  if (!out) return out.error();
  hd::daemon::ack_input a{
      cfg, db, kit, *in.parsed, in.raw, in.source.mailbox, in.now, std::move(rules), {}};
  auto acked = hd::daemon::acknowledge(a, *out);
  if (!acked) return acked.error();
  if (auto q = hd::storage::queue_mails(db, out->request_id, acked->mails, in.now); !q)
    return q.error();
  if (auto c = unit->commit(); !c) return c.error();
  return out;
}

}  // namespace daemon_test
