#pragma once
// Helpers shared by the storage tests: in-memory stores and hand-built parsed mails.

#include "hd/storage/batch.hpp"
#include "hd/storage/outbox.hpp"
#include "hd/storage/store.hpp"
#include "pg.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace storage_test {

/// A directory of its own for database files (NAME-PID under the temporary directory),
/// emptied first and removed at the end; `tmp / "hd.db"` is a file's path in it.
struct temp_dir {
  std::filesystem::path dir;
  explicit temp_dir(const std::string& name)
      : dir(std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~temp_dir() { std::filesystem::remove_all(dir); }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  std::string operator/(const char* file) const { return (dir / file).string(); }
};

inline hd::parsed_message mail(std::string from, std::string subject,
                               std::optional<std::string> id = std::nullopt,
                               std::string text = "body") {
  hd::parsed_message m;
  m.from = hd::address{"", std::move(from)};
  m.subject = std::move(subject);
  m.message_id = std::move(id);
  m.text = std::move(text);
  return m;
}

/// A fresh, empty store: a private in-memory SQLite database, or, when HD_TEST_PG_URL is set
/// (tests/integration/test_pg_storage.sh runs this suite so), the PostgreSQL database at that
/// URL with its schema dropped and made again, so the same cases test both backends.
inline hd::storage::store open_memory(const hd::storage::open_options& opt = {}) {
  const char* pg = std::getenv("HD_TEST_PG_URL");
  if (pg != nullptr && *pg != '\0') {
    // The owner of the schema drops it, and everything in it, and makes it again.
    hd::storage::pg::connection::open(pg).exec(
        "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
  }
  auto s = hd::storage::store::open(pg != nullptr && *pg != '\0' ? pg : ":memory:", opt);
  REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().message));
  return std::move(*s);
}

inline hd::storage::inbound inbound_of(const hd::parsed_message& m, std::string_view raw,
                                       std::int64_t now) {
  hd::storage::inbound in;
  in.source.mailbox = "stdin";
  in.raw = raw;
  in.parsed = &m;
  in.now = now;
  return in;
}

inline hd::storage::ingest_outcome ingest(hd::storage::store& s, const hd::parsed_message& m,
                                          std::string_view raw, std::int64_t now = 1000) {
  auto r = s.ingest(inbound_of(m, raw, now));
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
  return *r;
}

/// The intake's unit of work in small (pipeline.cpp): ingests IN and queues MAILS for its
/// request in one transaction (nothing for a duplicate).
inline hd::result<hd::storage::ingest_outcome, hd::storage::errc> ingest_with_mails(
    hd::storage::store& s, const hd::storage::inbound& in,
    const std::vector<hd::storage::outgoing_mail>& mails) {
  auto unit = hd::storage::write_batch::begin(s);
  if (!unit) return unit.error();
  auto out = s.ingest(in);
  if (!out) return out.error();
  if (out->kind != hd::storage::ingest_kind::duplicate) {
    if (auto q = hd::storage::queue_mails(s, out->request_id, mails, in.now); !q) return q.error();
  }
  if (auto c = unit->commit(); !c) return c.error();
  return out;
}

inline std::string tag(std::int64_t id) { return "[#" + std::to_string(id) + "]"; }

}  // namespace storage_test
