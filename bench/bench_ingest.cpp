// bench_ingest: storage ingest throughput into a file database.
//
//   bench_ingest [--mails N] [--bytes B] [--batch G] [--dir DIR]
//
// Ingests N parsed mails (default 10,000) of about B bytes each (default 4096) into a fresh
// SQLite file database, with synchronous=FULL and NORMAL, and prints requests/s and bytes/s
// (raw mail bytes stored). Each mail is one store::ingest (raw bytes, person, request or
// thread, message, To/Cc, FTS index, checkpoint together), WAL journal. Two transaction
// policies: one commit per mail (pipe mode), and group commit of G mails per transaction
// (default 100; what IMAP intake does, [database] commit_batch). Every fourth mail is a reply
// (In-Reply-To) to an earlier one, every tenth carries a 1 KB attachment, senders repeat.
// Parsing is not measured (see bench_parse).
#include "hd/common/digest.hpp"
#include "hd/storage/batch.hpp"
#include "hd/storage/store.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

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
    m.from = hd::address{"Customer", fmt::format("customer{}@example{}.no", i % 997, i % 13)};
    m.to = {{"Support", "support@example.com"}};
    m.subject = fmt::format("Problem {} with the printer", i);
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

void run(const prepared& p, const std::filesystem::path& dir, bool full, int batch) {
  std::filesystem::path db = dir / (full ? "bench_full.db" : "bench_normal.db");
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db.string() + suffix);
  hd::storage::open_options opt;
  opt.synchronous_full = full;
  auto s = hd::storage::store::open(db.string(), opt);
  if (!s) {
    fmt::print(stderr, "bench_ingest: {}\n", s.error().message);
    std::exit(1);
  }
  int created = 0, appended = 0;
  auto start = std::chrono::steady_clock::now();
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
  fmt::print(
      "synchronous={:<6} batch={:<4} {} mails ({} new requests, {} replies) in {:.2f} s: {:.0f} "
      "mails/s, "
      "{:.1f} MB/s, {:.0f} us/mail; database {:.1f} MB\n",
      full ? "FULL" : "NORMAL", batch, p.parsed.size(), created, appended, secs,
      static_cast<double>(p.parsed.size()) / secs, static_cast<double>(p.bytes) / secs / 1e6,
      secs * 1e6 / static_cast<double>(p.parsed.size()),
      static_cast<double>(std::filesystem::file_size(db)) / 1e6);
}

}  // namespace

int main(int argc, char** argv) {
  int n = 10000;
  std::size_t size = 4096;
  int batch = 100;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
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
  }
  prepared p = make_mails(n, size);
  fmt::print(
      "bench_ingest: {} mails of ~{} bytes into {}, WAL; batch=1: one transaction per mail "
      "(pipe mode), batch={}: group commit as IMAP intake does ([database] commit_batch)\n",
      n, size, dir.string(), batch);
  for (int b : {1, batch}) {
    run(p, dir, true, b);
    run(p, dir, false, b);
  }
  for (const char* f : {"bench_full.db", "bench_normal.db"}) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(dir / (std::string(f) + suffix));
    }
  }
  return 0;
}
