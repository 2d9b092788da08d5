// The libpq layer (storage/src/pg.hpp) against a real PostgreSQL 15. Run by
// tests/integration/test_pg_connection.sh, which starts a private server on 127.0.0.1 and
// passes its URL in HD_PG_URL; without it every case fails (never a silent skip).
#include "pg.hpp"
#include "storage/pg_test.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>

namespace pg = hd::storage::pg;

namespace {

using pg_test::open_test_db;

std::int64_t count(const pg::connection& c, const char* table) {
  pg::statement s(c, std::string("SELECT count(*) FROM ") + table);
  REQUIRE(s.step());
  return s.integer(0);
}

}  // namespace

TEST_CASE("placeholders: ?N and bare ? become $N, text inside literals and comments stays") {
  struct row {
    const char* sql;
    const char* want;
    int want_params;
  };
  const row rows[] = {
      {"SELECT ?1, ?2", "SELECT $1, $2", 2},
      {"SELECT ?, ?", "SELECT $1, $2", 2},
      {"SELECT ?3, ?", "SELECT $3, $4", 4},
      {"SELECT '?' || ?1", "SELECT '?' || $1", 1},
      {"SELECT 'it''s ?1' || ?2", "SELECT 'it''s ?1' || $2", 2},
      {"SELECT \"a?\" FROM t WHERE x = ?", "SELECT \"a?\" FROM t WHERE x = $1", 1},
      {"SELECT 1 -- ?9\n, ?1", "SELECT 1 -- ?9\n, $1", 1},
      {"SELECT /* ? */ ?12", "SELECT /* ? */ $12", 12},
      {"SELECT 'unterminated ?", "SELECT 'unterminated ?", 0},
  };
  for (const auto& r : rows) {
    CAPTURE(r.sql);
    int got_params = -1;
    CHECK(pg::translate_placeholders(r.sql, got_params) == r.want);
    CHECK(got_params == r.want_params);
  }
}

TEST_CASE("placeholders on the server: a ? inside a literal is not a parameter") {
  auto c = open_test_db();
  pg::statement s(c, "SELECT 'what?' || ?1::text, ?2::bigint + ?1::bigint");
  s.bind(1, "5").bind(2, 7);
  REQUIRE(s.step());
  CHECK(s.text(0) == "what?5");
  CHECK(s.integer(1) == 12);
  CHECK_FALSE(s.step());
}

TEST_CASE("int64 extremes, UTF-8 text and NULL round-trip") {
  auto c = open_test_db();
  c.exec("DROP TABLE IF EXISTS t_values; CREATE TABLE t_values (i bigint, s text)");
  const std::int64_t ints[] = {std::numeric_limits<std::int64_t>::min(), -1, 0, 1,
                               std::numeric_limits<std::int64_t>::max()};
  const std::string text = "Grüße, 日本語, emoji 😀, Ελληνικά";
  for (auto v : ints)
    pg::statement(c, "INSERT INTO t_values VALUES (?1, ?2)").bind(1, v).bind(2, text).run();
  pg::statement(c, "INSERT INTO t_values VALUES (?1, ?2)")
      .bind(1, std::optional<std::int64_t>())
      .bind(2, std::optional<std::string>())
      .run();
  CHECK(c.changes() == 1);
  pg::statement s(c, "SELECT i, s FROM t_values ORDER BY i NULLS LAST");
  for (auto want : ints) {
    REQUIRE(s.step());
    CHECK(s.integer(0) == want);
    CHECK(s.text(1) == text);
  }
  REQUIRE(s.step());
  CHECK(s.is_null(0));
  CHECK(s.opt_integer(0) == std::nullopt);
  CHECK(s.opt_text(1) == std::nullopt);
  CHECK_FALSE(s.step());
}

TEST_CASE("text with a NUL byte is refused, not truncated") {
  auto c = open_test_db();
  pg::statement s(c, "SELECT ?1::text");
  try {
    s.bind(1, std::string_view("a\0b", 3));
    FAIL("no error");
  } catch (const pg::pg_error& e) {
    CHECK(e.sqlstate == "22021");
    CHECK_FALSE(e.temporary());
  }
}

TEST_CASE("bytea: all 256 byte values and NUL bytes round-trip") {
  auto c = open_test_db();
  c.exec("DROP TABLE IF EXISTS t_blob; CREATE TABLE t_blob (id int, b bytea)");
  std::string all;
  for (int k = 0; k < 256; ++k) all.push_back(static_cast<char>(k));
  const std::string nuls("\0\0x\0", 4);
  pg::statement(c, "INSERT INTO t_blob VALUES (1, ?1)").bind_blob(1, all).run();
  pg::statement(c, "INSERT INTO t_blob VALUES (2, ?1)").bind_blob(1, nuls).run();
  pg::statement(c, "INSERT INTO t_blob VALUES (3, ?1)").bind_blob(1, "").run();
  pg::statement s(c, "SELECT b, length(b) FROM t_blob ORDER BY id");
  REQUIRE(s.step());
  CHECK(s.text(0) == all);
  CHECK(s.integer(1) == 256);
  REQUIRE(s.step());
  CHECK(s.text(0) == nuls);
  CHECK(s.integer(1) == 4);
  REQUIRE(s.step());
  CHECK_FALSE(s.is_null(0));
  CHECK(s.text(0).empty());
}

TEST_CASE("transactions: inner rollback keeps the outer work; an outer one left open rolls back") {
  auto c = open_test_db();
  c.exec("DROP TABLE IF EXISTS t_tx; CREATE TABLE t_tx (v int)");
  {
    pg::transaction outer(c);
    pg::statement(c, "INSERT INTO t_tx VALUES (1)").run();
    {
      pg::transaction inner(c);
      CHECK(c.depth() == 2);
      pg::statement(c, "INSERT INTO t_tx VALUES (2)").run();
    }  // not committed: only its own row goes
    {
      pg::transaction inner(c);
      pg::statement(c, "INSERT INTO t_tx VALUES (3)").run();
      inner.commit();
    }
    outer.commit();
  }
  CHECK(c.depth() == 0);
  CHECK_FALSE(c.in_transaction());
  pg::statement s(c, "SELECT string_agg(v::text, ',' ORDER BY v) FROM t_tx");
  REQUIRE(s.step());
  CHECK(s.text(0) == "1,3");
  {
    pg::transaction t(c);
    pg::statement(c, "INSERT INTO t_tx VALUES (4)").run();
    CHECK(c.in_transaction());
  }  // destroyed uncommitted
  CHECK_FALSE(c.in_transaction());
  CHECK(count(c, "t_tx") == 2);
}

TEST_CASE("a failed statement inside a savepoint is undone by it, the outer goes on") {
  auto c = open_test_db();
  c.exec("DROP TABLE IF EXISTS t_uniq; CREATE TABLE t_uniq (k text PRIMARY KEY)");
  pg::transaction outer(c);
  pg::statement(c, "INSERT INTO t_uniq VALUES (?1)").bind(1, "a").run();
  try {
    pg::transaction inner(c);
    pg::statement(c, "INSERT INTO t_uniq VALUES (?1)").bind(1, "a").run();
    FAIL("no unique violation");
  } catch (const pg::pg_error& e) {
    CHECK(e.sqlstate == "23505");  // unique_violation
    CHECK_FALSE(e.temporary());
  }
  pg::statement(c, "INSERT INTO t_uniq VALUES (?1)").bind(1, "b").run();
  outer.commit();
  CHECK(count(c, "t_uniq") == 2);
}

namespace {

std::int64_t backend_pid(const pg::connection& c) {
  pg::statement s(c, "SELECT pg_backend_pid()");
  REQUIRE(s.step());
  return s.integer(0);
}

// The last statement the server ran for the backend PID, as another connection sees it.
std::string last_query_of(std::int64_t pid, const pg::connection& watcher) {
  pg::statement s(watcher, "SELECT query FROM pg_stat_activity WHERE pid = ?1::int");
  s.bind(1, pid);
  REQUIRE(s.step());
  return s.text(0);
}

}  // namespace

TEST_CASE("a savepoint waits for the next statement and goes in its round trip") {
  auto c = open_test_db();
  auto watcher = open_test_db();
  c.exec("DROP TABLE IF EXISTS t_sp; CREATE TABLE t_sp (v int)");
  std::int64_t pid = backend_pid(c);
  pg::transaction outer(c);
  CHECK(last_query_of(pid, watcher) == "BEGIN");
  {
    pg::transaction inner(c);
    // Not sent: the server has seen nothing since BEGIN.
    CHECK(last_query_of(pid, watcher) == "BEGIN");
  }  // the savepoint goes out with the rollback that undoes it
  CHECK(last_query_of(pid, watcher).find("ROLLBACK TO") != std::string::npos);
  pg::statement insert(c, "INSERT INTO t_sp VALUES (?1)");  // prepared before the savepoint
  pg::transaction inner(c);
  CHECK(last_query_of(pid, watcher).find("SAVEPOINT") == std::string::npos);
  insert.bind(1, 1).run();  // savepoint and insert: one round trip
  inner.commit();
  {
    pg::transaction empty(c);  // no statement inside: its commands go with the next exec
    empty.commit();
  }
  {
    pg::transaction deeper(c);
    pg::transaction deepest(c);
    insert.reset();
    insert.bind(1, 2).run();
    deepest.commit();
  }                // rolls back both
  outer.commit();  // RELEASE, SAVEPOINT, RELEASE queued before it: all in one exec
  CHECK(last_query_of(pid, watcher).find("COMMIT") != std::string::npos);
  CHECK_FALSE(c.in_transaction());
  pg::statement s(c, "SELECT string_agg(v::text, ',' ORDER BY v) FROM t_sp");
  REQUIRE(s.step());
  CHECK(s.text(0) == "1");
}

TEST_CASE("a statement pipelined behind a savepoint reports its own error") {
  auto c = open_test_db();
  c.exec("DROP TABLE IF EXISTS t_sp2; CREATE TABLE t_sp2 (k text PRIMARY KEY)");
  pg::transaction outer(c);
  pg::statement(c, "INSERT INTO t_sp2 VALUES ('a')").run();
  for (int round = 0; round < 3; ++round) {  // the connection stays usable after each
    CAPTURE(round);
    try {
      pg::transaction inner(c);
      pg::statement(c, "INSERT INTO t_sp2 VALUES ('a')").run();
      FAIL("no unique violation");
    } catch (const pg::pg_error& e) {
      CHECK(e.sqlstate == "23505");
      CHECK(c.ok());
    }
  }
  {
    pg::transaction inner(c);
    try {
      pg::statement(c, "SELEKT 1").run();  // fails at prepare, before the pipeline
      FAIL("no syntax error");
    } catch (const pg::pg_error& e) {
      CHECK(e.sqlstate == "42601");
    }
  }
  pg::statement(c, "INSERT INTO t_sp2 VALUES ('b')").run();
  outer.commit();
  CHECK(count(c, "t_sp2") == 2);
}

TEST_CASE("a backend killed while a savepoint waits gives a temporary error, and no hang") {
  auto victim = open_test_db();
  auto killer = open_test_db();
  std::int64_t pid = 0;
  {
    pg::statement s(victim, "SELECT pg_backend_pid()");
    REQUIRE(s.step());
    pid = s.integer(0);
  }
  pg::transaction outer(victim);
  pg::transaction inner(victim);
  {
    pg::statement s(killer, "SELECT pg_terminate_backend(?1::int, 5000)");
    s.bind(1, pid);
    REQUIRE(s.step());
  }
  try {
    pg::statement(victim, "SELECT 1").run();
    FAIL("no error");
  } catch (const pg::pg_error& e) {
    std::string got = e.sqlstate + " " + e.what();
    CAPTURE(got);
    CHECK(e.temporary());
  }
  CHECK_FALSE(victim.ok());
}

TEST_CASE("errors: a syntax error is permanent and names the SQL") {
  auto c = open_test_db();
  try {
    pg::statement s(c, "SELEKT 1");
    FAIL("no error");
  } catch (const pg::pg_error& e) {
    CHECK(e.sqlstate == "42601");
    CHECK_FALSE(e.temporary());
    CHECK(std::string(e.what()).find("SELEKT") != std::string::npos);
  }
}

TEST_CASE("SQLSTATE classification") {
  for (const char* s : {"08000", "08003", "08006", "40001", "40P01", "57P01", "57P03", "53300"}) {
    CAPTURE(s);
    CHECK(pg::is_temporary(s));
  }
  for (const char* s : {"23505", "42601", "22021", "XX000", "", "0800"}) {
    CAPTURE(s);
    CHECK_FALSE(pg::is_temporary(s));
  }
}

TEST_CASE("a killed backend gives temporary errors, not a crash") {
  auto victim = open_test_db();
  auto killer = open_test_db();
  pg::statement(victim, "SELECT 1").run();  // prepared before the kill: the cache is stale too
  std::int64_t pid = 0;
  {
    pg::statement s(victim, "SELECT pg_backend_pid()");
    REQUIRE(s.step());
    pid = s.integer(0);
  }
  {
    pg::statement s(killer, "SELECT pg_terminate_backend(?1::int, 5000)");
    s.bind(1, pid);
    REQUIRE(s.step());
    CHECK(s.text(0) == "t");
  }
  auto expect_temporary = [&](std::string what, auto&& f) {
    CAPTURE(what);
    try {
      f();
      FAIL("no error");
    } catch (const pg::pg_error& e) {
      std::string got = e.sqlstate + " " + e.what();
      CAPTURE(got);
      CHECK(e.temporary());
    }
  };
  expect_temporary("a cached statement", [&] { pg::statement(victim, "SELECT 1").run(); });
  CHECK_FALSE(victim.ok());
  expect_temporary("a new statement", [&] { pg::statement(victim, "SELECT 2").run(); });
  expect_temporary("a transaction", [&] { pg::transaction t(victim); });
  // The other connection is untouched.
  pg::statement s(killer, "SELECT 3");
  REQUIRE(s.step());
  CHECK(s.integer(0) == 3);
}

TEST_CASE("connecting to a port nobody listens on is a temporary error") {
  try {
    pg::connection::open("postgresql://nobody@127.0.0.1:1/none?connect_timeout=5");
    FAIL("no error");
  } catch (const pg::pg_error& e) {
    CHECK(e.temporary());
  }
}
