// bench_ingest: storage ingest throughput into a file database.
//
//   bench_ingest [--mails N] [--bytes B] [--batch G] [--dir DIR | --url postgresql://...]
//
// Ingests N parsed mails (default 10,000) of about B bytes each (default 4096) into a fresh
// SQLite file database, with synchronous=FULL and NORMAL, and prints requests/s and bytes/s
// (raw mail bytes stored). Each mail is one store::ingest (raw bytes, person, request or
// thread, message, To/Cc, FTS index, checkpoint together), WAL journal. Two transaction
// policies: one commit per mail (pipe mode), and group commit of G mails per transaction
// (default 100; what IMAP intake does, [database] commit_batch). Every fourth mail is a reply
// (In-Reply-To) to an earlier one, every tenth carries a 1 KB attachment, senders repeat.
// Parsing is not measured (see bench_parse).
//
// With --url, the same runs go to that PostgreSQL database instead (its schema "public" is
// dropped and made again before each run: give it a throw-away database, such as the private
// server of tests/integration/lib/pg.sh), once per transaction policy. Each line also prints
// this process's own CPU time, so the rest of the wall time is the server and the round trips.
#include "hd/common/digest.hpp"
#include "hd/storage/batch.hpp"
#include "hd/storage/store.hpp"

#include "pg.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <sys/resource.h>

namespace {

struct prepared {
  std::vector<hd::parsed_message> parsed;
  std::vector<std::string> raw;
  std::size_t bytes = 0;
};

std::string filler(std::size_t n, unsigned seed) {
  static const char* words[] = {"skriveren", "på",          "kontoret", "virker",   "ikke",
                                "etter",     "oppdatering", "Drucker",  "Rechnung", "faktura",
                                "kvitto",    "läser",       "café",     "login",    "password"};
  std::string out;
  while (out.size() < n) {
    seed = seed * 1103515245u + 12345u;
    out += words[(seed >> 16) % 15];
    out += (seed >> 8) % 12 == 0 ? ".\n" : " ";
  }
  out.resize(n);
  while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
  if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
  return out;
}

prepared make_mails(int n, std::size_t size) {
  prepared p;
  for (int i = 0; i < n; ++i) {
    hd::parsed_message m;
    m.message_id = fmt::format("{}@bench.example", i);
    // A reply comes from the customer who wrote the first mail (threading does not let a
    // stranger's In-Reply-To into someone else's request).
    int who = i % 4 == 3 ? i - 3 : i;
    m.from = hd::address{"Customer", fmt::format("customer{}@example{}.no", who % 997, who % 13)};
    m.to = {{"Support", "support@example.com"}};
    m.subject = fmt::format("Problem {} with the printer", who);
    if (i % 4 == 3) {
      m.in_reply_to = fmt::format("{}@bench.example", i - 3);
      m.subject = "Re: " + *m.subject;
    }
    m.date = 1700000000 + i;
    m.text = filler(size > 600 ? size - 600 : size, static_cast<unsigned>(i));
    if (i % 10 == 0) {
      std::string data = filler(1024, static_cast<unsigned>(i) + 7);
      m.attachments.push_back(
          {"log.txt", "text/plain", "attachment", std::nullopt, hd::sha256_hex(data), data});
    }
    std::string raw = fmt::format("From: {}\r\nSubject: {}\r\nMessage-ID: <{}>\r\n\r\n{}",
                                  m.from->addr, *m.subject, *m.message_id, m.text);
    raw.resize(std::max(raw.size(), size), ' ');
    p.bytes += raw.size();
    p.parsed.push_back(std::move(m));
    p.raw.push_back(std::move(raw));
  }
  return p;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// URL empty: an SQLite file in DIR; else that PostgreSQL database, emptied first.
void run(const prepared& p, const std::filesystem::path& dir, const std::string& url, bool full,
         int batch) {
  std::filesystem::path db = dir / (full ? "bench_full.db" : "bench_normal.db");
  if (url.empty()) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db.string() + suffix);
  } else {
    hd::storage::pg::connection::open(url).exec(
        "DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public");
  }
  hd::storage::open_options opt;
  opt.synchronous_full = full;
  auto s = hd::storage::store::open(url.empty() ? db.string() : url, opt);
  if (!s) {
    fmt::print(stderr, "bench_ingest: {}\n", s.error().message);
    std::exit(1);
  }
  int created = 0, appended = 0;
  auto start = std::chrono::steady_clock::now();
  double cpu0 = cpu_seconds();
  std::optional<hd::storage::write_batch> group;
  auto check = [](auto&& r) {
    if (!r) {
      fmt::print(stderr, "bench_ingest: {}\n", r.error().message);
      std::exit(1);
    }
  };
  for (std::size_t i = 0; i < p.parsed.size(); ++i) {
    if (batch > 1 && i % static_cast<std::size_t>(batch) == 0) {
      if (group) check(group->commit());
      auto b = hd::storage::write_batch::begin(*s);
      check(b);
      group.emplace(std::move(*b));
    }
    hd::storage::inbound in;
    in.source.mailbox = "bench";
    in.raw = p.raw[i];
    in.parsed = &p.parsed[i];
    in.now = 1700000000 + static_cast<std::int64_t>(i);
    auto r = s->ingest(in);
    if (!r) {
      fmt::print(stderr, "bench_ingest: {}\n", r.error().message);
      std::exit(1);
    }
    (r->kind == hd::storage::ingest_kind::created ? created : appended)++;
  }
  if (group) check(group->commit());
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double cpu = cpu_seconds() - cpu0;
  std::string where = url.empty() ? fmt::format("synchronous={:<6}", full ? "FULL" : "NORMAL")
                                  : std::string("postgresql        ");
  std::string size = url.empty()
                         ? fmt::format("database {:.1f} MB",
                                       static_cast<double>(std::filesystem::file_size(db)) / 1e6)
                         : std::string("database size: see the server");
  fmt::print(
      "{} batch={:<4} {} mails ({} new requests, {} replies) in {:.2f} s: {:.0f} mails/s, "
      "{:.1f} MB/s, {:.0f} us/mail ({:.0f} us of it this process's CPU); {}\n",
      where, batch, p.parsed.size(), created, appended, secs,
      static_cast<double>(p.parsed.size()) / secs, static_cast<double>(p.bytes) / secs / 1e6,
      secs * 1e6 / static_cast<double>(p.parsed.size()),
      cpu * 1e6 / static_cast<double>(p.parsed.size()), size);
}

}  // namespace

int main(int argc, char** argv) {
  int n = 10000;
  std::size_t size = 4096;
  int batch = 100;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  std::string url;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--mails")
      n = std::atoi(argv[i + 1]);
    else if (a == "--bytes")
      size = static_cast<std::size_t>(std::atoll(argv[i + 1]));
    else if (a == "--batch")
      batch = std::atoi(argv[i + 1]);
    else if (a == "--dir")
      dir = argv[i + 1];
    else if (a == "--url")
      url = argv[i + 1];
  }
  prepared p = make_mails(n, size);
  fmt::print(
      "bench_ingest: {} mails of ~{} bytes into {}; batch=1: one transaction per mail "
      "(pipe mode), batch={}: group commit as IMAP intake does ([database] commit_batch)\n",
      n, size, url.empty() ? dir.string() + ", WAL" : std::string("PostgreSQL"), batch);
  for (int b : {1, batch}) {
    try {
      run(p, dir, url, true, b);
      if (url.empty()) run(p, dir, url, false, b);
    } catch (const std::exception& e) {
      fmt::print(stderr, "bench_ingest: {}\n", e.what());
      return 1;
    }
  }
  if (!url.empty()) return 0;
  for (const char* f : {"bench_full.db", "bench_normal.db"}) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(dir / (std::string(f) + suffix));
    }
  }
  return 0;
}
