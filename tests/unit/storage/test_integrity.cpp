// hd/storage/integrity.hpp and backup.hpp against damaged files: damage is reported (not an
// error), a backup of a damaged database is not left behind, a file that is not a database
// is named as such.
#include "hd/storage/backup.hpp"
#include "hd/storage/integrity.hpp"

#include "storage/storage_test.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace storage_test;
namespace st = hd::storage;
namespace fs = std::filesystem;

namespace {

// A database of some 100 pages; closed, so the WAL is checkpointed into the file.
void make_database(const std::string& path) {
  auto s = st::store::open(path);
  REQUIRE(s.has_value());
  for (int i = 0; i < 300; ++i) {
    std::string n = std::to_string(i), text;
    for (int w = 0; w < 200; ++w) text += "w" + std::to_string(i * 1000 + w) + " ";
    ingest(*s, mail("c" + n + "@b.c", "subject " + n, n + "@x", text), "raw " + n + text);
  }
}

// Overwrites COUNT pages (4096 bytes) in the middle of the file with garbage, as a bad disk
// would (the schema's pages, written first, stay readable).
void damage_pages(const std::string& path, int count) {
  auto pages = static_cast<int>(fs::file_size(path) / 4096);
  REQUIRE(pages > 2 * count + 20);
  int first = pages / 2;
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f.good());
  std::string junk(4096, '\xa5');
  for (int p = first; p < first + count; ++p) {
    f.seekp(static_cast<std::streamoff>(p - 1) * 4096);
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  REQUIRE(f.good());
}

st::store open_as_is(const std::string& path) {
  st::open_options opt;
  opt.migrate = false;
  auto s = st::store::open(path, opt);
  REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().message));
  return std::move(*s);
}

}  // namespace

TEST_CASE("quick_check and integrity_check: a sound file passes, damaged pages are reported" *
          doctest::test_suite("sqlite")) {
  storage_test::temp_dir t("hd-test-integrity");
  std::string path = t / "hd.db";
  make_database(path);
  {
    auto s = open_as_is(path);
    for (auto depth : {st::check_depth::quick, st::check_depth::full}) {
      auto r = st::check_integrity(s, depth);
      REQUIRE(r.has_value());
      CHECK(r->ok);
      CHECK(r->problems.empty());
    }
  }
  damage_pages(path, 20);
  auto s = open_as_is(path);
  for (auto depth : {st::check_depth::quick, st::check_depth::full}) {
    auto r = st::check_integrity(s, depth, 5);
    REQUIRE(r.has_value());
    CHECK_FALSE(r->ok);
    REQUIRE_FALSE(r->problems.empty());
    CHECK(r->problems.size() <= 5);
  }
}

TEST_CASE("a backup of a damaged database fails its check and is removed" *
          doctest::test_suite("sqlite")) {
  storage_test::temp_dir t("hd-test-integrity");
  std::string path = t / "hd.db";
  make_database(path);
  {
    auto s = open_as_is(path);
    auto good = st::backup_to(s, t / "good.db");
    REQUIRE(good.has_value());
    CHECK(fs::exists(t / "good.db"));
  }
  damage_pages(path, 20);
  auto s = open_as_is(path);
  auto bad = st::backup_to(s, t / "bad.db");
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().message.find("integrity check") != std::string::npos);
  CHECK_FALSE(fs::exists(t / "bad.db"));
}

TEST_CASE("a file that is not a database is errc::not_a_database, naming the path" *
          doctest::test_suite("sqlite")) {
  storage_test::temp_dir t("hd-test-integrity");
  std::string path = t / "notes.txt";
  std::ofstream(path) << std::string(8192, 'x') << "\n";
  auto s = st::store::open(path);
  REQUIRE_FALSE(s.has_value());
  CHECK(s.error().code == st::errc::not_a_database);
  CHECK(s.error().message.find(path) != std::string::npos);
}
