// Message bodies kept as zstd frames (schema 18, issue 22: half the bytes): written packed,
// read back as the same text by every reader (show, search and its snippets, the full-text
// index and its triggers, db recover), short bodies left as text, damage reported, and a
// database of schema 17 migrated without losing a word.
#include "hd/storage/requests.hpp"
#include "sql.hpp"
#include "storage_test.hpp"
#include "store_impl.hpp"
#include "text_codec.hpp"

#include <doctest/doctest.h>

namespace {

using namespace hd::storage;

// A body worth packing: UTF-8 of several scripts, a word only it has, repetition.
std::string long_body(const std::string& word) {
  std::string b =
      "Hei! Skrivaren skriv berre tomme sider. Überweisung für die Rechnung, "
      "ファクス, " +
      word + ".\n";
  for (int i = 0; i < 30; ++i)
    b += "The printer on floor " + std::to_string(i) + " prints empty pages.\n";
  return b;
}

std::string stored_type(const sql::connection& db, const std::string& column, std::int64_t id) {
  sql::statement st(db, "SELECT typeof(" + column + ") FROM messages WHERE id = ?1");
  st.bind(1, id);
  REQUIRE(st.step());
  return st.text(0);
}

std::int64_t stored_bytes(const sql::connection& db, std::int64_t id) {
  sql::statement st(db, "SELECT length(CAST(body_text AS BLOB)) FROM messages WHERE id = ?1");
  st.bind(1, id);
  REQUIRE(st.step());
  return st.integer(0);
}

std::size_t hits(store& s, const std::string& q) {
  auto r = search_requests(s, q);
  REQUIRE(r.has_value());
  return r->size();
}

}  // namespace

TEST_CASE("message bodies are stored as zstd frames and read back as the same text" *
          doctest::test_suite("sqlite")) {
  store s = storage_test::open_memory();
  const sql::connection& db = connection_of(s);
  std::string text = long_body("okapi");
  auto m = storage_test::mail("a@example.com", "Printer", std::nullopt, text);
  m.html = "<p>" + text + "</p>";
  auto out = storage_test::ingest(s, m, "From: a@example.com\r\n\r\nx");
  CHECK(stored_type(db, "body_text", out.message_id) == "blob");
  CHECK(stored_type(db, "body_html", out.message_id) == "blob");
  CHECK(stored_bytes(db, out.message_id) < static_cast<std::int64_t>(text.size()) / 2);

  auto shown = show_request(s, out.request_id);
  REQUIRE(shown.has_value());
  REQUIRE(shown->messages.size() == 1);
  CHECK(shown->messages[0].body_text == text);
  CHECK(shown->messages[0].body_html == "<p>" + text + "</p>");

  // Indexed from the text (the deferred index reads it through hd_text), snippets too.
  auto found = search_requests(s, "okapi");
  REQUIRE(found.has_value());
  REQUIRE(found->size() == 1);
  CHECK(found->front().snippet.find("[okapi]") != std::string::npos);
  CHECK(hits(s, "ファクス") == 1);

  SUBCASE("a short body stays text") {
    auto small = storage_test::mail("b@example.com", "Hi", std::nullopt, "Short note.");
    auto o = storage_test::ingest(s, small, "From: b@example.com\r\n\r\ny");
    CHECK(stored_type(db, "body_text", o.message_id) == "text");
    CHECK(show_request(s, o.request_id)->messages[0].body_text == "Short note.");
  }
  SUBCASE("the index triggers take the old words out through hd_text") {
    // The update trigger deletes the old words from the index: with the packed bytes instead
    // of the text it would delete nothing, and "okapi" would still be found.
    sql::statement up(db, "UPDATE messages SET body_text = hd_pack(?1) WHERE id = ?2");
    up.bind(1, long_body("wombat")).bind(2, out.message_id).run();
    CHECK(stored_type(db, "body_text", out.message_id) == "blob");
    CHECK(hits(s, "okapi") == 0);
    CHECK(hits(s, "wombat") == 1);
    db.exec("DELETE FROM message_addresses; DELETE FROM message_defects; DELETE FROM messages");
    CHECK(hits(s, "wombat") == 0);
    CHECK(hits(s, "printer") == 0);
  }
}

TEST_CASE("a damaged body frame is an error, never other text" * doctest::test_suite("sqlite")) {
  auto frame = pack_text(long_body("okapi"));
  REQUIRE(frame.has_value());
  CHECK(unpack_text(*frame) == long_body("okapi"));
  std::string bad = *frame;
  bad[bad.size() / 2] ^= 0x55;
  CHECK_THROWS_AS(unpack_text(bad), sql::sqlite_error);
  CHECK_THROWS_AS(unpack_text(frame->substr(0, 5)), sql::sqlite_error);
  CHECK_FALSE(pack_text("tiny").has_value());

  store s = storage_test::open_memory();
  sql::statement st(connection_of(s), "SELECT hd_text(?1)");
  st.bind_blob(1, bad);
  CHECK_THROWS_AS(st.step(), sql::sqlite_error);
}

TEST_CASE("migration to schema 18 packs existing bodies and keeps them searchable" *
          doctest::test_suite("sqlite")) {
  open_options opt;
  opt.migrate = false;
  auto opened = store::open(":memory:", opt);
  REQUIRE(opened.has_value());
  store s = std::move(*opened);
  REQUIRE(s.migrate_to(17).has_value());
  // Written as schema 17 wrote it: TEXT, indexed at the commit.
  const sql::connection& db = connection_of(s);
  {
    sql::transaction tx(db);
    db.exec("INSERT INTO requests (id, title, created_at, updated_at) VALUES (1, 'old', 1, 1)");
    sql::statement ins(db, R"(INSERT INTO messages (id, request_id, direction, subject, body_text,
                                                    body_html, created_at)
                              VALUES (1, 1, 'in', 'Printer', ?1, ?2, 1))");
    ins.bind(1, long_body("okapi")).bind(2, "<p>" + long_body("okapi") + "</p>").run();
    tx.commit();
  }
  struct {
    std::int64_t message_id = 1, request_id = 1;
  } out;
  REQUIRE(stored_type(db, "body_text", out.message_id) == "text");
  REQUIRE(hits(s, "okapi") == 1);
  REQUIRE(s.migrate().value() == schema_version());
  CHECK(stored_type(db, "body_text", out.message_id) == "blob");
  CHECK(stored_type(db, "body_html", out.message_id) == "blob");
  CHECK(show_request(s, out.request_id)->messages[0].body_text == long_body("okapi"));
  CHECK(show_request(s, out.request_id)->messages[0].body_html ==
        "<p>" + long_body("okapi") + "</p>");
  CHECK(hits(s, "okapi") == 1);
  // The migrated triggers: an update takes the old words out.
  sql::statement up(db, "UPDATE messages SET body_text = hd_pack(?1) WHERE id = ?2");
  up.bind(1, long_body("wombat")).bind(2, out.message_id).run();
  CHECK(hits(s, "okapi") == 0);
  CHECK(hits(s, "wombat") == 1);
}
