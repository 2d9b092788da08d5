// bench_parse: parse throughput of hd::mailparse on one core.
//
//   bench_parse [--seconds N] [--rounds N] [DIR_OR_FILE ...]
//
// Prints messages/s and MB/s for (1) a generated set of 10-15 KB multipart mails (text +
// HTML alternative, a small base64 attachment, encoded headers: typical support mail) and
// (2) every .eml/.txt file under the given paths (default: tests/fixtures/corpus). Each set
// is parsed repeatedly for N seconds (default 3). `--rounds N` parses each set exactly N times
// instead and skips the corpus unless paths are given: for a repeatable instruction count under
// `valgrind --tool=callgrind`, which does not depend on the machine's load.
#include "hd/mailparse/parser.hpp"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string base64_block(std::size_t bytes, unsigned seed) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < bytes / 3 * 4; ++i) {
    seed = seed * 1103515245u + 12345u;
    out += a[(seed >> 16) & 63];
    if (i % 76 == 75) out += "\r\n";
  }
  return out + "\r\n";
}

// A 10-15 KB multipart/mixed mail: alternative (plain + HTML) and a base64 attachment.
std::string support_mail(unsigned i) {
  std::string para =
      "Hei, skriveren p\xC3\xA5 kontoret i Troms\xC3\xB8 skriver bare ut blanke ark etter "
      "oppdateringen. Vi har pr\xC3\xB8vd \xC3\xA5 starte den p\xC3\xA5 nytt. Takk for "
      "hjelpen!\r\n";
  std::string text, html = "<html><head><style>p{margin:0}</style></head><body>";
  for (unsigned k = 0; k < 8 + i % 6; ++k) {
    text += para;
    html +=
        "<p>" + para + "<a href=\"https://example.no/kb/" + std::to_string(k) + "\">mer</a></p>";
  }
  html += "</body></html>\r\n";
  return fmt::format(
      "Return-Path: <asa@example.no>\r\nReceived: from mx.example.no by mail.example.com\r\n"
      "From: =?UTF-8?Q?=C3=85sa_Bj=C3=B8rnstad?= <asa@example.no>\r\n"
      "To: Support <support@example.com>\r\nCc: \"Berg, Lars\" <lars@example.no>\r\n"
      "Subject: =?UTF-8?B?U2tyaXZlcmVuIHDDpSBrb250b3JldA==?= #{}\r\n"
      "Date: Tue, 05 Mar 2024 14:03:07 +0100\r\nMessage-ID: <{}@example.no>\r\n"
      "In-Reply-To: <prev{}@example.com>\r\nReferences: <root@example.com> <prev{}@example.com>\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n"
      "--mix\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n"
      "--alt\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: "
      "8bit\r\n\r\n{}"
      "--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}"
      "--alt--\r\n--mix\r\nContent-Type: image/png; name=\"skjerm.png\"\r\n"
      "Content-Disposition: attachment; filename=\"skjerm.png\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\n{}--mix--\r\n",
      i, i, i, i, text, html, base64_block(5000 + 700 * (i % 5), i));
}

std::vector<std::string> load(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const std::string& p : paths) {
    auto add = [&](const std::filesystem::path& f) {
      std::string ext = f.extension().string();
      if (ext != ".eml" && ext != ".txt") return;
      std::ifstream in(f, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      out.push_back(ss.str());
    };
    if (std::filesystem::is_directory(p)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(p))
        if (e.is_regular_file()) add(e.path());
    } else {
      add(p);
    }
  }
  return out;
}

void run(const char* name, const std::vector<std::string>& mails, double seconds, int rounds) {
  std::size_t bytes_per_round = 0;
  for (const std::string& m : mails) bytes_per_round += m.size();
  using clock = std::chrono::steady_clock;
  auto start = clock::now();
  std::clock_t cpu_start = std::clock();
  std::size_t messages = 0, bytes = 0, failures = 0;
  double elapsed = 0;
  do {
    for (const std::string& m : mails) failures += hd::mailparse::parse(m).has_value() ? 0 : 1;
    messages += mails.size();
    bytes += bytes_per_round;
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (rounds > 0 ? static_cast<int>(messages / mails.size()) < rounds : elapsed < seconds);
  // CPU time as well as wall time: on a shared, loaded machine the CPU-time figure is the
  // steadier one (the process is not charged while it waits for a core).
  double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  fmt::print(
      "{:<28} {:>6} mails, avg {:>6.1f} KB: {:>9.0f} messages/s {:>8.1f} MB/s (wall), "
      "{:>8.1f} MB/s (CPU time){}\n",
      name, mails.size(), bytes_per_round / 1024.0 / static_cast<double>(mails.size()),
      static_cast<double>(messages) / elapsed, static_cast<double>(bytes) / elapsed / 1e6,
      static_cast<double>(bytes) / cpu / 1e6,
      failures ? fmt::format(" ({} failed)", failures) : "");
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 3;
  int rounds = 0;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) {
      seconds = std::stod(argv[++i]);
    } else if (a == "--rounds" && i + 1 < argc) {
      rounds = std::stoi(argv[++i]);
    } else {
      paths.push_back(a);
    }
  }
  std::vector<std::string> generated;
  for (unsigned i = 0; i < 64; ++i) generated.push_back(support_mail(i));
  run("multipart support mail", generated, seconds, rounds);
  if (paths.empty() && rounds > 0) return 0;
  if (paths.empty()) paths.push_back(HD_SOURCE_DIR "/tests/fixtures/corpus");
  std::vector<std::string> corpus = load(paths);
  if (!corpus.empty()) run("corpus files", corpus, seconds, rounds);
  return 0;
}
