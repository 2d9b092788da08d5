// Group commit (write_batch), nested transactions as savepoints, the statement cache and the
// full-text index written at commit time.
#include "hd/storage/backup.hpp"
#include "hd/storage/batch.hpp"
#include "hd/storage/requests.hpp"
#include "hd/storage/workflow.hpp"

#include <unistd.h>

#include "sql.hpp"
#include "storage/storage_test.hpp"
#include "store_impl.hpp"

#include <sqlite3.h>

#include <atomic>
#include <filesystem>

using namespace storage_test;
namespace st = hd::storage;

namespace {

std::vector<std::int64_t> found(st::store& s, std::string_view q) {
  auto r = st::search_requests(s, q, {50, false});
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
  std::vector<std::int64_t> ids;
  for (const auto& h : *r) ids.push_back(h.request.id);
  return ids;
}

std::int64_t count_requests(st::store& s) {
  auto c = st::row_counts(s);
  REQUIRE(c.has_value());
  for (const auto& [table, n] : *c) {
    if (table == "requests") return n;
  }
  FAIL("no requests table in row_counts");
  return -1;
}

// FTS5's own consistency check of the index against the messages table (external content).
void check_index(const std::string& path) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, "INSERT INTO messages_fts (messages_fts) VALUES ('integrity-check')",
                        nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  CHECK_MESSAGE(rc == SQLITE_OK, msg);
}

struct temp_db {
  std::string path;
  temp_db() {
    path = (std::filesystem::temp_directory_path() /
            ("hd-batch-" + std::to_string(::getpid()) + ".db"))
               .string();
    remove();
  }
  ~temp_db() { remove(); }
  void remove() const {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
};

st::store open_file(const std::string& path, const st::open_options& opt = {}) {
  auto s = st::store::open(path, opt);
  REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().message));
  return std::move(*s);
}

// The default VFS with a count of the files SQLite opens, by kind: installed as the default
// for as long as it lives, so the connections opened meanwhile use it.
struct counting_vfs {
  static inline sqlite3_vfs* base = nullptr;
  static inline sqlite3_vfs shim{};
  static inline std::atomic<int> statement_journals{0}, temp_databases{0};
  static int open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out) {
    if ((flags & SQLITE_OPEN_SUBJOURNAL) != 0) ++statement_journals;
    if ((flags & SQLITE_OPEN_TEMP_DB) != 0) ++temp_databases;
    return base->xOpen(base, name, f, flags, out);
  }
  counting_vfs() {
    base = sqlite3_vfs_find(nullptr);
    shim = *base;
    shim.zName = "hd-counting";
    shim.xOpen = open;
    statement_journals = 0;
    temp_databases = 0;
    sqlite3_vfs_register(&shim, 1);
  }
  ~counting_vfs() {
    sqlite3_vfs_register(base, 1);
    sqlite3_vfs_unregister(&shim);
  }
};

}  // namespace

TEST_CASE("a batch's savepoints are never written to a temporary file; VACUUM's copy is" *
          doctest::test_suite("sqlite")) {
  temp_db tmp;
  counting_vfs files;
  auto s = open_file(tmp.path);
  counting_vfs::statement_journals = 0;  // the migrations' own (they run with temp_store FILE)
  auto batch = st::write_batch::begin(s);
  REQUIRE(batch.has_value());
  // Each mail is a savepoint in the batch's transaction; what it would roll back is the
  // pages the batch changed before it. Past 64 KB SQLite spilled that to a temporary file
  // unless temp_store is MEMORY: 60 mails of 4 KB spilled at the third.
  std::string body;
  for (int i = 0; body.size() < 4096; ++i) body += "word" + std::to_string(i * 7919 % 10007) + " ";
  for (int i = 0; i < 60; ++i) {
    std::string n = std::to_string(i);
    ingest(s, mail(n + "@x.no", "printer " + n, n + "@x", body + n), "raw" + n);
  }
  REQUIRE(batch->commit().has_value());
  CHECK(counting_vfs::statement_journals == 0);
  CHECK(found(s, "printer").size() == 50);
  // VACUUM makes its copy in a temporary database: on disk, or a database of a million
  // requests would be held in memory. (A small cache, so that this one's copy is written.)
  st::connection_of(s).exec("PRAGMA cache_size = 8");
  REQUIRE(st::compact(s).has_value());
  CHECK(counting_vfs::temp_databases >= 1);
}

TEST_CASE("a write batch commits its mails together; a failed mail undoes only itself" *
          doctest::test_suite("sqlite")) {
  temp_db tmp;
  bool fail_next = false;
  st::open_options opt;
  opt.inject_fault = [&](std::string_view step) { return fail_next && step == "message"; };
  auto s = open_file(tmp.path, opt);
  auto other = open_file(tmp.path);  // another connection, as an agent's command would have

  auto batch = st::write_batch::begin(s);
  REQUIRE(batch.has_value());
  ingest(s, mail("a@x.no", "printer", "1@x", "the zebra printer jams"), "raw1");
  fail_next = true;
  auto failed = s.ingest(inbound_of(mail("b@x.no", "scanner", "2@x", "zebra scanner"), "raw2", 1));
  fail_next = false;
  REQUIRE_FALSE(failed.has_value());
  ingest(s, mail("c@x.no", "phone", "3@x", "zebra phone"), "raw3");
  CHECK(count_requests(other) == 0);  // nothing is visible before the commit

  REQUIRE(batch->commit().has_value());
  CHECK(count_requests(other) == 2);
  CHECK(found(other, "zebra").size() == 2);
  CHECK(found(other, "scanner").empty());
  check_index(tmp.path);

  // The failed mail is not a duplicate of anything: it can be stored later.
  auto again = s.ingest(inbound_of(mail("b@x.no", "scanner", "2@x", "zebra scanner"), "raw2", 1));
  REQUIRE(again.has_value());
  CHECK(again->kind == st::ingest_kind::created);
  CHECK(found(other, "scanner").size() == 1);
}

TEST_CASE("a batch that is not committed leaves nothing, and a second commit is an error" *
          doctest::test_suite("sqlite")) {
  temp_db tmp;
  auto s = open_file(tmp.path);
  {
    auto batch = st::write_batch::begin(s);
    REQUIRE(batch.has_value());
    ingest(s, mail("a@x.no", "lost", "1@x", "walrus"), "raw1");
  }
  CHECK(count_requests(s) == 0);
  CHECK(found(s, "walrus").empty());

  auto batch = st::write_batch::begin(s);
  REQUIRE(batch.has_value());
  ingest(s, mail("a@x.no", "kept", "1@x", "walrus"), "raw1");
  REQUIRE(batch->commit().has_value());
  auto second = batch->commit();
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().code == st::errc::invalid);
  CHECK(found(s, "walrus").size() == 1);
  check_index(tmp.path);
}

TEST_CASE("the full-text index stays consistent through notes, edits and deletes" *
          doctest::test_suite("sqlite")) {
  temp_db tmp;
  auto s = open_file(tmp.path);
  auto a = ingest(s, mail("a@x.no", "heater", "1@x", "the heater rattles"), "raw1");
  REQUIRE(st::add_note(s, a.request_id, "ordered a new heater fan", {"agent", 2000}).has_value());
  CHECK(found(s, "fan") == std::vector<std::int64_t>{a.request_id});
  check_index(tmp.path);

  // Another writer (the sqlite3 shell, say) inserts, edits and deletes messages in one
  // transaction: queued, not indexed yet, so the triggers must not touch the index.
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(tmp.path.c_str(), &raw) == SQLITE_OK);
  std::string sql_text =
      "BEGIN;"
      "INSERT INTO messages (id, request_id, direction, body_text, created_at) VALUES "
      "(100, " +
      std::to_string(a.request_id) +
      ", 'note', 'giraffe', 1);"
      "UPDATE messages SET body_text = 'okapi' WHERE id = 100;"
      "INSERT INTO messages (id, request_id, direction, body_text, created_at) VALUES "
      "(101, " +
      std::to_string(a.request_id) +
      ", 'note', 'lemur', 1);"
      "DELETE FROM messages WHERE id = 101;"
      "COMMIT;";
  char* err = nullptr;
  int rc = sqlite3_exec(raw, sql_text.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(raw);
  REQUIRE_MESSAGE(rc == SQLITE_OK, msg);

  // Our next commit indexes what is queued, with its final text.
  REQUIRE(st::add_note(s, a.request_id, "fan arrived", {"agent", 2001}).has_value());
  CHECK(found(s, "okapi") == std::vector<std::int64_t>{a.request_id});
  CHECK(found(s, "giraffe").empty());
  CHECK(found(s, "lemur").empty());
  check_index(tmp.path);
}

TEST_CASE("the statement cache gives each simultaneous user its own statement" *
          doctest::test_suite("sqlite")) {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(":memory:", &raw) == SQLITE_OK);
  st::sql::connection db(raw);
  db.exec("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3)");
  const char* q = "SELECT x FROM t WHERE x >= ?1 ORDER BY x";
  {
    st::sql::statement outer(db, q);
    outer.bind(1, 2);
    REQUIRE(outer.step());
    CHECK(outer.integer(0) == 2);
    {
      // The same SQL while OUTER is half-read: a second statement, not OUTER reset.
      st::sql::statement inner(db, q);
      inner.bind(1, 1);
      REQUIRE(inner.step());
      CHECK(inner.integer(0) == 1);
    }
    REQUIRE(outer.step());
    CHECK(outer.integer(0) == 3);
  }
  // Back from the cache: reset and unbound (NULL >= anything is never true).
  st::sql::statement again(db, q);
  CHECK_FALSE(again.step());
  again.reset();
  again.bind(1, 3);
  REQUIRE(again.step());
  CHECK(again.integer(0) == 3);
}

TEST_CASE("a transaction inside a transaction is a savepoint" * doctest::test_suite("sqlite")) {
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(":memory:", &raw) == SQLITE_OK);
  st::sql::connection db(raw);
  db.exec("CREATE TABLE t (x INTEGER)");
  auto count = [&] {
    st::sql::statement c(db, "SELECT count(*) FROM t");
    c.step();
    return c.integer(0);
  };
  {
    st::sql::transaction outer(db);
    {
      st::sql::transaction kept(db);
      db.exec("INSERT INTO t VALUES (1)");
      kept.commit();
    }
    {
      st::sql::transaction undone(db);
      db.exec("INSERT INTO t VALUES (2)");
    }
    CHECK(db.depth() == 1);
    CHECK(count() == 1);
    outer.commit();
  }
  CHECK(db.depth() == 0);
  CHECK_FALSE(db.in_transaction());
  CHECK(count() == 1);
}
