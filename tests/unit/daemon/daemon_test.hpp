#pragma once
// Helpers shared by the daemon tests: a config from TOML text, a parsed mail, one queued mail.

#include "hd/common/config.hpp"
#include "hd/mailparse/parser.hpp"
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
  in.outgoing = [kind](const hd::storage::ingest_outcome&) {
    hd::storage::outgoing_mail o;
    o.kind = kind;
    o.mail_from = "support@example.com";
    o.recipients = {"a@c.example"};
    o.bytes = "x\r\n";
    o.message_id = "ours@h";
    return std::vector<hd::storage::outgoing_mail>{o};
  };
  REQUIRE(db.ingest(in).has_value());
}

}  // namespace daemon_test
