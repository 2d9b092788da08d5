// Raw mail kept compressed and recoverable byte for byte (issue 22), also across the
// migration of a database written before compression.
#include "hd/storage/mailbox_state.hpp"
#include "hd/storage/quarantine.hpp"
#include "hd/storage/requests.hpp"
#include "raw_codec.hpp"
#include "sql.hpp"
#include "storage_test.hpp"
#include "store_impl.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

namespace {

using namespace hd::storage;

std::string file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Mail as it comes: 8-bit bytes, CRLF and bare LF, NUL, invalid UTF-8, trailing spaces.
std::string hostile_mail() {
  std::string m = "From: a@example.com\r\nSubject: caf\xc3\xa9 \xff\xfe\r\n\r\nline one  \n";
  m += std::string("nul\0byte\r\n", 10);
  for (int i = 0; i < 200; ++i) m += "the printer prints empty pages again\r\n";
  return m;
}

std::int64_t stored_encoding(store& s, std::int64_t message_id) {
  sql::statement st(connection_of(s), R"(SELECT r.encoding FROM messages m
                                         JOIN raw_messages r ON r.id = m.raw_id WHERE m.id = ?1)");
  st.bind(1, message_id);
  REQUIRE(st.step());
  return st.integer(0);
}

}  // namespace

TEST_CASE("raw mail round-trips byte for byte, stored compressed when that is smaller") {
  struct row {
    const char* name;
    std::string raw;
    raw_encoding want_encoding;
  };
  std::vector<row> rows = {
      {"hostile bytes, repetitive", hostile_mail(), raw_encoding::zstd},
      {"tiny mail (compression would grow it)", "From: a@b\r\n\r\nx", raw_encoding::none},
      {"real-world fixture",
       file(std::string(HD_FIXTURES) + "/../../etc/demo/mail/02-no-skriver.eml"),
       raw_encoding::zstd},
  };
  for (const row& r : rows) {
    SUBCASE(r.name) {
      if (r.raw.empty()) continue;  // fixture missing: nothing to say
      store s = storage_test::open_memory();
      auto m = storage_test::mail("a@example.com", "subject", std::nullopt, "text");
      auto out = storage_test::ingest(s, m, r.raw);
      auto got = message_raw(s, out.message_id);
      REQUIRE(got.has_value());
      CHECK(*got == r.raw);
      CHECK(stored_encoding(s, out.message_id) == static_cast<std::int64_t>(r.want_encoding));
    }
  }
}

TEST_CASE("raw mail prepared ahead (IMAP intake's parser thread) is stored as if ingest did it") {
  // prepare_raw's hash and frame are what ingest writes; a preparation that does not fit the
  // bytes (another length: a caller's mistake) is not used, so no other mail is stored instead.
  std::string raw = hostile_mail();
  prepared_raw ahead = prepare_raw(raw);
  CHECK(ahead.size == raw.size());
  CHECK(ahead.encoding == static_cast<std::int64_t>(raw_encoding::zstd));
  CHECK(decode_raw(ahead.bytes, ahead.encoding, static_cast<std::int64_t>(raw.size())) == raw);

  store s = storage_test::open_memory();
  auto m = storage_test::mail("a@example.com", "subject", std::nullopt, "text");
  inbound in = storage_test::inbound_of(m, raw, 1000);
  in.prepared = &ahead;
  auto first = s.ingest(in);
  REQUIRE(first.has_value());
  CHECK(*message_raw(s, first->message_id) == raw);
  // Without a Message-ID, the same bytes are found again by the hash prepared ahead.
  auto again = s.ingest(storage_test::inbound_of(m, raw, 1001));
  REQUIRE(again.has_value());
  CHECK(again->kind == ingest_kind::duplicate);

  std::string other = raw + "another line\r\n";
  inbound wrong = storage_test::inbound_of(m, other, 1002);
  wrong.prepared = &ahead;  // made from RAW, not OTHER
  auto second = s.ingest(wrong);
  REQUIRE(second.has_value());
  CHECK(second->kind == ingest_kind::created);
  CHECK(*message_raw(s, second->message_id) == other);
}

TEST_CASE("quarantined raw mail reads back byte for byte") {
  store s = storage_test::open_memory();
  std::string raw = hostile_mail();
  auto id = s.quarantine({"support", std::nullopt, std::nullopt, std::nullopt}, raw, "test", 1000);
  REQUIRE(id.has_value());
  auto got = quarantine_raw(s, *id);
  REQUIRE(got.has_value());
  CHECK(*got == raw);
  // Compressed bytes are shorter than the mail, but not purged.
  CHECK_FALSE(show_quarantine(s, *id)->purged);
}

TEST_CASE("a damaged zstd frame is an I/O error, not a crash or wrong bytes" *
          doctest::test_suite("sqlite")) {
  stored_raw kept = encode_raw(hostile_mail());
  REQUIRE(kept.encoding == raw_encoding::zstd);
  kept.bytes[kept.bytes.size() / 2] ^= 0x55;
  CHECK_THROWS_AS(decode_raw(kept.bytes, 1, static_cast<std::int64_t>(hostile_mail().size())),
                  sql::sqlite_error);
  CHECK_THROWS_AS(decode_raw(kept.bytes, 1, 5), sql::sqlite_error);
}

TEST_CASE("migration from schema 10: uncompressed rows read the same, counters start right" *
          doctest::test_suite("sqlite")) {
  open_options opt;
  opt.migrate = false;
  auto opened = store::open(":memory:", opt);
  REQUIRE(opened.has_value());
  store s = std::move(*opened);
  REQUIRE(s.migrate_to(10).has_value());
  std::string raw = hostile_mail();
  const sql::connection& db = connection_of(s);
  db.exec(
      "INSERT INTO requests (id, title, created_at, updated_at, first_response_due) "
      "VALUES (1, 'old', 100, 100, 500)");
  sql::statement ins(db, R"(INSERT INTO raw_messages (id, sha256, size, bytes, received_at, mailbox)
                            VALUES (1, 'x', ?1, ?2, 100, 'support'))");
  ins.bind(1, static_cast<std::int64_t>(raw.size())).bind_blob(2, raw).run();
  db.exec(
      "INSERT INTO messages (id, request_id, direction, raw_id, created_at) "
      "VALUES (1, 1, 'in', 1, 100)");
  db.exec(
      "INSERT INTO outbox (request_id, kind, mail_from, recipients, bytes, status, "
      "next_attempt_at, created_at) VALUES (1, 'ack', 's@x', 'a@x', 'b', 'sent', 1, 1)");
  REQUIRE(s.migrate().value() == schema_version());
  auto got = message_raw(s, 1);
  REQUIRE(got.has_value());
  CHECK(*got == raw);
  CHECK(stored_encoding(s, 1) == 0);
  CHECK(count_outbox(s)->sent == 1);
  auto boxes = list_mailbox_status(s);
  REQUIRE(boxes.has_value());
  sql::statement st(db, "SELECT stored FROM mailbox_counts WHERE mailbox = 'support'");
  REQUIRE(st.step());
  CHECK(st.integer(0) == 1);
  sql::statement due(db, "SELECT due_at FROM requests WHERE id = 1");
  REQUIRE(due.step());
  CHECK(due.integer(0) == 500);
}
