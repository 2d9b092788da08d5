// The full-text index split by age (schema 19, issue 22): windows of search_window_messages
// messages, searched newest first; what search finds does not depend on the split, the
// triggers keep every window right, and an older database's index becomes the first window.
#include "fts_windows.hpp"
#include "hd/storage/recover.hpp"
#include "hd/storage/requests.hpp"
#include "sql.hpp"
#include "storage_test.hpp"
#include "store_impl.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <set>

namespace {

using namespace hd::storage;

store open_windows(std::int64_t per_window) {
  open_options opt;
  opt.search_window_messages = per_window;
  return storage_test::open_memory(opt);
}

// Mail I (one request each, its own commit): "okapi" in all, "word<I>" in it alone, a long
// body every third (a packed one).
void ingest_n(store& s, int n) {
  for (int i = 1; i <= n; ++i) {
    std::string text = "The okapi ate word" + std::to_string(i) + ".";
    if (i % 3 == 0) text += std::string(200, 'x');
    auto m = storage_test::mail("p" + std::to_string(i) + "@example.com",
                                "Mail " + std::to_string(i), std::nullopt, text);
    storage_test::ingest(s, m, "From: x@example.com\r\nX-N: " + std::to_string(i) + "\r\n\r\nx");
  }
}

std::set<std::int64_t> requests_found(store& s, const std::string& q,
                                      const search_options& o = {}) {
  auto r = search_requests(s, q, o);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
  std::set<std::int64_t> out;
  for (const search_hit& h : *r) out.insert(h.request.id);
  return out;
}

std::set<std::int64_t> range(std::int64_t a, std::int64_t b) {
  std::set<std::int64_t> out;
  for (std::int64_t i = a; i <= b; ++i) out.insert(i);
  return out;
}

}  // namespace

TEST_CASE("the index opens a window every N messages; search reads them all, newest first" *
          doctest::test_suite("sqlite")) {
  store s = open_windows(3);
  ingest_n(s, 10);
  std::vector<window> w = read_windows(connection_of(s));
  // messages_fts (ids 1-3), then windows from 4, 7 and 10: newest first, each range closed
  // where the next begins.
  REQUIRE(w.size() == 4);
  CHECK(w[0].name == "messages_fts_10");
  CHECK_FALSE(w[0].hi.has_value());
  CHECK(w[1].name == "messages_fts_7");
  CHECK(w[1].hi == 10);
  CHECK(w[3].name == "messages_fts");
  CHECK(w[3].hi == 4);
  CHECK(w[3].rows == 3);

  CHECK(requests_found(s, "okapi") == range(1, 10));
  CHECK(requests_found(s, "\"word1\"") == std::set<std::int64_t>{1});  // the oldest window
  CHECK(requests_found(s, "word1") == std::set<std::int64_t>{1, 10});  // a prefix: word10 too
  CHECK(requests_found(s, "word10") == std::set<std::int64_t>{10});
  CHECK(requests_found(s, "word") == range(1, 10));  // a prefix, in every window

  // The newest candidates only: windows are read newest first and stop there.
  search_options o;
  o.candidates = 4;
  CHECK(requests_found(s, "okapi", o) == range(7, 10));
}

TEST_CASE("what search finds does not depend on the windows" * doctest::test_suite("sqlite")) {
  store one = open_windows(1000000);
  store split = open_windows(2);
  ingest_n(one, 12);
  ingest_n(split, 12);
  REQUIRE(read_windows(connection_of(one)).size() == 1);
  REQUIRE(read_windows(connection_of(split)).size() == 6);
  for (const char* q : {"okapi", "word1", "word", "okapi word7", "mail", "xxxx*", "subject:mail"}) {
    CAPTURE(q);
    CHECK(requests_found(one, q) == requests_found(split, q));
  }
  search_options o;
  o.candidates = 5;
  CHECK(requests_found(one, "okapi", o) == requests_found(split, "okapi", o));
}

TEST_CASE("the triggers take a message's old words out of the window that holds it" *
          doctest::test_suite("sqlite")) {
  store s = open_windows(3);
  ingest_n(s, 10);
  const sql::connection& db = connection_of(s);
  // Message 2 is in the first window, 5 in the second, 9 in the third.
  sql::statement up(db, "UPDATE messages SET body_text = hd_pack(?1) WHERE id = ?2");
  up.bind(1, "The wombat " + std::string(200, 'y')).bind(2, 2).run();
  up.reset();
  up.bind(1, "A zebu").bind(2, 5).run();
  CHECK(requests_found(s, "\"word2\"").empty());
  CHECK(requests_found(s, "\"word5\"").empty());
  CHECK(requests_found(s, "wombat") == std::set<std::int64_t>{2});
  CHECK(requests_found(s, "zebu") == std::set<std::int64_t>{5});
  db.exec("DELETE FROM message_addresses WHERE message_id = 9; DELETE FROM messages WHERE id = 9");
  CHECK(requests_found(s, "\"word9\"").empty());
  CHECK(requests_found(s, "okapi").size() == 7);
  // Every window's index is consistent with what was put in and taken out.
  for (const window& w : read_windows(db)) {
    CAPTURE(w.name);
    CHECK_NOTHROW(db.exec(
        fmt::format("INSERT INTO {0} ({0}) VALUES ('integrity-check')", quoted(w.name)).c_str()));
  }
}

TEST_CASE("migration to schema 19: the existing index is the first window, nothing reindexed" *
          doctest::test_suite("sqlite")) {
  open_options opt;
  opt.migrate = false;
  opt.search_window_messages = 3;
  auto opened = store::open(":memory:", opt);
  REQUIRE(opened.has_value());
  store s = std::move(*opened);
  REQUIRE(s.migrate_to(18).has_value());
  {
    // Five mails as schema 18 stored them (ingest writes columns of later schemas), indexed
    // at the commit.
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    for (int i = 1; i <= 5; ++i) {
      sql::statement r(db,
                       "INSERT INTO requests (id, title, created_at, updated_at) "
                       "VALUES (?1, 'Mail', 1, 1)");
      r.bind(1, std::int64_t{i}).run();
      sql::statement m(db, R"(INSERT INTO messages (id, request_id, direction, subject, body_text,
                                                    created_at)
                              VALUES (?1, ?1, 'in', 'Mail', hd_pack(?2), 1))");
      m.bind(1, std::int64_t{i}).bind(2, "The okapi ate word" + std::to_string(i) + ".").run();
    }
    tx.commit();
  }
  REQUIRE(s.migrate().value() == schema_version());
  std::vector<window> w = read_windows(connection_of(s));
  REQUIRE(w.size() == 1);
  CHECK(w[0].name == "messages_fts");
  CHECK(w[0].rows == 5);
  CHECK(requests_found(s, "okapi") == range(1, 5));
  // It holds 5 of the 3 allowed: the next commit opens a window for the new mail.
  auto m = storage_test::mail("new@example.com", "New", std::nullopt, "A new okapi");
  storage_test::ingest(s, m, "From: new@example.com\r\n\r\nnew");
  w = read_windows(connection_of(s));
  REQUIRE(w.size() == 2);
  CHECK(w[0].name == "messages_fts_6");
  CHECK(w[1].hi == 6);
  CHECK(requests_found(s, "okapi") == range(1, 6));
}

TEST_CASE("db recover of a database with windows: one window of everything, all found" *
          doctest::test_suite("sqlite")) {
  storage_test::temp_dir tmp("hd-test-windows");
  open_options opt;
  opt.search_window_messages = 3;
  {
    auto s = store::open(tmp / "src.db", opt);
    REQUIRE(s.has_value());
    ingest_n(*s, 10);
    REQUIRE(read_windows(connection_of(*s)).size() == 4);
  }
  auto report = recover_database(tmp / "src.db", tmp / "dest.db");
  REQUIRE_MESSAGE(report.has_value(), (report ? "" : report.error().message));
  {
    auto d = store::open(tmp / "dest.db", opt);
    REQUIRE(d.has_value());
    std::vector<window> w = read_windows(connection_of(*d));
    REQUIRE(w.size() == 1);
    CHECK(w[0].name == "messages_fts");
    CHECK(w[0].rows == 10);
    CHECK(requests_found(*d, "okapi") == range(1, 10));
    CHECK(requests_found(*d, "\"word4\"") == std::set<std::int64_t>{4});
  }
}

namespace {

// The window's FTS5 option K (automerge, crisismerge, usermerge); -1 when it has none of its
// own (FTS5's defaults: 4, 16, 4).
std::int64_t option_of(store& s, const std::string& window, const std::string& k) {
  sql::statement st(connection_of(s),
                    fmt::format("SELECT v FROM {} WHERE k = ?1", quoted(window + "_config")));
  st.bind(1, k);
  return st.step() ? st.integer(0) : -1;
}

// Whether the window merges at idle only: no merging in the commits that write, FTS5's own
// merge at 64 segments of a size, 16 at a time when merged at idle.
bool merges_at_idle(store& s, const std::string& window) {
  return option_of(s, window, "automerge") == 0 && option_of(s, window, "crisismerge") == 64 &&
         option_of(s, window, "usermerge") == 16;
}

// How many segments the window's index has (each has at least one row in its _idx table).
std::int64_t segments_of(store& s, const std::string& window) {
  sql::statement st(connection_of(s),
                    fmt::format("SELECT COUNT(DISTINCT segid) FROM {}", quoted(window + "_idx")));
  return st.step() ? st.integer(0) : -1;
}

}  // namespace

TEST_CASE("the open window does not merge in commits, also one made before this build" *
          doctest::test_suite("sqlite")) {
  // Each commit writes a segment, and each merge writes its postings again: merged inside the
  // commits, 16 at a time, the open window of a big database cost intake a third more
  // merging than an empty one (bench/README.md, section 6). Now merging waits for idle time.
  storage_test::temp_dir tmp("hd-test-automerge");
  std::string path = tmp / "hd.db";
  open_options opt;
  opt.search_window_messages = 3;
  {
    auto s = store::open(path, opt);
    REQUIRE(s.has_value());
    CHECK(merges_at_idle(*s, "messages_fts"));  // the first window, made by the schema
    ingest_n(*s, 4);
    std::vector<window> w = read_windows(connection_of(*s));
    REQUIRE(w.size() == 2);
    CHECK(merges_at_idle(*s, "messages_fts_4"));  // opened at a commit
    // As a database made before this build has it (schema 23: 16 in the commits).
    connection_of(*s).exec(
        "INSERT INTO messages_fts_4 (messages_fts_4, rank) VALUES ('automerge', 16)");
    REQUIRE_FALSE(merges_at_idle(*s, "messages_fts_4"));
  }
  {
    auto s = store::open(path, opt);
    REQUIRE(s.has_value());
    CHECK(merges_at_idle(*s, "messages_fts_4"));
    CHECK(requests_found(*s, "okapi") == range(1, 4));
  }
}

TEST_CASE("commits leave a segment each; the idle merge folds 16 or more into one" *
          doctest::test_suite("sqlite")) {
  storage_test::temp_dir tmp("hd-test-idlemerge");
  auto s = store::open(tmp / "hd.db");
  REQUIRE(s.has_value());
  auto merge_all = [&] {
    int steps = 0;
    for (;;) {
      auto more = merge_search_index(*s, 500);
      REQUIRE_MESSAGE(more.has_value(), (more ? "" : more.error().message));
      if (!*more) return steps;
      REQUIRE(++steps < 100);
    }
  };
  ingest_n(*s, 15);  // a commit each
  CHECK(segments_of(*s, "messages_fts") == 15);
  CHECK(merge_all() == 0);  // fewer than 16 of a size: left for later
  CHECK(segments_of(*s, "messages_fts") == 15);

  ingest_n(*s, 20);  // mails 16-20 are new (1-15 are stored already)
  CHECK(segments_of(*s, "messages_fts") == 20);
  std::set<std::int64_t> okapi = requests_found(*s, "okapi");
  std::set<std::int64_t> word1 = requests_found(*s, "word1");
  REQUIRE(okapi == range(1, 20));
  CHECK(merge_all() >= 1);
  CHECK(segments_of(*s, "messages_fts") == 1);
  CHECK(requests_found(*s, "okapi") == okapi);
  CHECK(requests_found(*s, "word1") == word1);
  CHECK(requests_found(*s, "\"word17\"") == std::set<std::int64_t>{17});
  CHECK(merge_all() == 0);  // nothing left

  // A window made before this build (merging in its commits) is left as it is.
  connection_of(*s).exec("INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 16)");
  ingest_n(*s, 16);
  std::int64_t before = segments_of(*s, "messages_fts");
  auto old = merge_search_index(*s, 500);
  REQUIRE(old.has_value());
  CHECK_FALSE(*old);
  CHECK(segments_of(*s, "messages_fts") == before);
}

TEST_CASE("opening a store whose window is tuned takes no write lock (a view beside a batch)" *
          doctest::test_suite("sqlite")) {
  storage_test::temp_dir tmp("hd-test-nolock");
  std::string path = tmp / "hd.db";
  auto writer = store::open(path);
  REQUIRE(writer.has_value());
  ingest_n(*writer, 2);
  // The daemon in the middle of a batch: it holds the write lock.
  sql::transaction batch(connection_of(*writer));
  open_options impatient;
  impatient.busy_timeout_ms = 0;
  auto view = store::open(path, impatient);
  REQUIRE_MESSAGE(view.has_value(), (view ? "" : view.error().message));
  CHECK(requests_found(*view, "okapi") == range(1, 2));
  batch.commit();
}
