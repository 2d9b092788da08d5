// The WAL's checkpoints: a commit copies the WAL into the database file only once it holds
// open_options::wal_autocheckpoint_pages ([database] checkpoint_pages), and checkpoint_wal
// (the daemon's idle task) copies whatever is there (docs/storage.md, "Checkpoints").
#include "hd/storage/requests.hpp"
#include "sql.hpp"
#include "storage_test.hpp"
#include "store_impl.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

namespace {

using namespace hd::storage;

// COUNT mails of about 8 KB of text, each its own commit (ingest outside a write batch).
void write_mails(store& s, int first, int count) {
  for (int i = first; i < first + count; ++i) {
    std::string text;
    for (int w = 0; text.size() < 8000; ++w) text += std::to_string(i * 7919 + w * 104729) + " ";
    auto m = storage_test::mail("c" + std::to_string(i) + "@c.example", "s",
                                "id" + std::to_string(i) + "@c", text);
    storage_test::ingest(s, m, text, 1000 + i);
  }
}

}  // namespace

TEST_CASE("commits leave the WAL alone below checkpoint_pages; checkpoint_wal copies it" *
          doctest::test_suite("sqlite")) {
  storage_test::temp_dir tmp("hd-ckpt");
  auto size = [&](const char* f) { return std::filesystem::file_size(tmp / f); };
  open_options o;
  o.wal_autocheckpoint_pages = 4000;
  std::uintmax_t file = 0;
  {
    auto s = store::open(tmp / "hd.db", o);
    REQUIRE(s.has_value());
    CHECK(checkpoint_wal(*s).has_value());
    file = size("hd.db");
    // Well over SQLite's own 1,000 pages, under 4,000: no commit copies anything.
    write_mails(*s, 0, 80);
    CHECK(size("hd.db") == file);
    CHECK(size("hd.db-wal") > 1000 * 4096);
    auto copied = checkpoint_wal(*s);
    REQUIRE(copied.has_value());
    CHECK(*copied > 1000);
    CHECK(size("hd.db") > file + 256 * 4096);
    file = size("hd.db");
  }
  {
    // SQLite's own threshold: the commits copy as they go.
    auto s = store::open(tmp / "hd.db");
    REQUIRE(s.has_value());
    write_mails(*s, 80, 80);
    CHECK(size("hd.db") > file + 256 * 4096);
    hd::storage::request_filter f;
    f.status = std::nullopt;
    CHECK(s->count_requests(f).value() == 160);
  }
}

TEST_CASE("checkpoint_wal on a database without a WAL copies nothing") {
  store s = storage_test::open_memory();
  auto copied = checkpoint_wal(s);
  REQUIRE(copied.has_value());
  CHECK(*copied == 0);
}

TEST_CASE("set_page_cache: what a connection read stays cached up to [database] cache_mb" *
          doctest::test_suite("sqlite")) {
  storage_test::temp_dir tmp("hd-cache");
  {
    auto s = store::open(tmp / "hd.db");
    REQUIRE(s.has_value());
    write_mails(*s, 0, 1000);  // 8 MB of text, stored compressed: more than SQLite's 2 MiB
  }
  // The pages read from the file while reading every message's text and raw mail twice.
  auto misses_of_second_read = [&](int mib) {
    auto s = store::open(tmp / "hd.db");
    REQUIRE(s.has_value());
    if (mib > 0) REQUIRE(set_page_cache(*s, mib).has_value());
    const sql::connection& db = connection_of(*s);
    sql::statement size(db, "PRAGMA cache_size");
    REQUIRE(size.step());
    CHECK(size.integer(0) == (mib > 0 ? -mib * 1024 : -2000));
    auto read_all = [&] {
      sql::statement st(db,
                        "SELECT length(body_text) FROM messages UNION ALL "
                        "SELECT length(bytes) FROM raw_messages");
      std::int64_t n = 0;
      while (st.step()) n += st.integer(0);
      return n;
    };
    CHECK(read_all() > 2 * 1024 * 1024);
    int miss = 0, high = 0;
    sqlite3_db_status(db.get(), SQLITE_DBSTATUS_CACHE_MISS, &miss, &high, 1);
    CHECK(miss > 512);
    read_all();
    sqlite3_db_status(db.get(), SQLITE_DBSTATUS_CACHE_MISS, &miss, &high, 1);
    return miss;
  };
  // SQLite's 2 MiB cannot hold what the first read brought in: the second reads it again.
  CHECK(misses_of_second_read(0) > 256);
  CHECK(misses_of_second_read(32) == 0);
}
