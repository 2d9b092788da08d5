// bench_rules: Sieve evaluation throughput of hd::rules on one core.
//
//   bench_rules [--rules N] [--mails N] [--rounds N]
//
// Compiles a generated script of N rules (default 1000: header :contains on the subject,
// address :domain on From, :detail on To, :matches, :regex, exists, size and allof/anyof
// mixes, each with helpdesk actions) and evaluates it over N parsed mails (default 10,000:
// 12-16 headers each, subjects in Dutch, Norwegian, Swedish and English) without a trace, as
// intake does. Prints mails/s and rule evaluations/s. No stop: every rule is evaluated.
#include "hd/mailparse/rfc2047.hpp"
#include "hd/rules/script.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

namespace {

const char* words[] = {"factuur",       "faktura",  "invoice",   "skriver",  "printer",
                       "losenord",      "password", "export",    "betaling", "login",
                       "konto",         "account",  "levering",  "delivery", "refund",
                       "terugbetaling", "order",    "bestilling"};
constexpr std::size_t n_words = sizeof(words) / sizeof(words[0]);

std::string make_script(int rules) {
  std::string s =
      "require [\"fileinto\", \"subaddress\", \"regex\", \"variables\", \"vnd.helpdeskd\"];\n";
  for (int i = 0; i < rules; ++i) {
    std::string w = std::string(words[i % n_words]) + (i >= int(n_words) ? std::to_string(i) : "");
    std::string dom = fmt::format("customer{}.example", i);
    switch (i % 10) {
      case 0:
      case 1:
      case 2:
        s += fmt::format("if header :contains \"subject\" \"{}\" {{ tag \"{}\"; }}\n", w, w);
        break;
      case 3:
      case 4:
        s += fmt::format("if address :domain \"from\" \"{}\" {{ priority \"urgent\"; }}\n", dom);
        break;
      case 5:
        s += fmt::format("if address :detail \"to\" \"{}\" {{ fileinto \"q{}\"; }}\n", w, i);
        break;
      case 6:
        s += fmt::format("if header :matches \"subject\" \"*{}*\" {{ tag \"m{}\"; }}\n", w, i);
        break;
      case 7:
        if (i % 50 == 7)
          s += fmt::format("if header :regex \"subject\" \"\\\\b{}[0-9]+\" {{ tag \"r{}\"; }}\n", w,
                           i);
        else
          s += fmt::format("if exists \"x-{}\" {{ tag \"x{}\"; }}\n", w, i);
        break;
      case 8:
        s += fmt::format(
            "if allof (address :localpart \"from\" \"{}\", size :over 100K) "
            "{{ category \"c{}\"; }}\n",
            w, i);
        break;
      default:
        s += fmt::format(
            "if anyof (header :is \"x-priority\" \"{}\", header :contains \"cc\" "
            "\"{}\") {{ assign \"u{}\"; }}\n",
            i, dom, i);
    }
  }
  return s;
}

std::vector<hd::parsed_message> make_mails(int n) {
  const char* subjects[] = {"Factuur klopt niet - dubbel betaald",
                            "Skriveren på kontoret virker ikke",
                            "Lösenordet fungerar inte",
                            "Export to CSV drops the last row",
                            "Re: Bestilling 4711 ikke levert",
                            "Question about my account"};
  std::vector<hd::parsed_message> out(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    hd::parsed_message& m = out[static_cast<std::size_t>(i)];
    std::string from = fmt::format("person{}@customer{}.example", i, i % 2000);
    m.from = hd::address{"Person", from};
    m.to = {hd::address{"Support", i % 3 ? "support@example.com" : "support+billing@example.com"}};
    m.subject = fmt::format("{} {}", subjects[i % 6], i);
    m.text = "Hello, something is wrong. Regards.";
    m.headers = {{"Return-Path", "<" + from + ">"},
                 {"Received", "from mx1.example by mx2.example"},
                 {"Received", "from client by mx1.example"},
                 {"From", "Person <" + from + ">"},
                 {"To", m.to[0].addr},
                 {"Subject", *m.subject},
                 {"Date", "Mon, 16 Nov 2026 09:12:44 +0100"},
                 {"Message-ID", fmt::format("<{}@customer.example>", i)},
                 {"MIME-Version", "1.0"},
                 {"Content-Type", "text/plain; charset=utf-8"},
                 {"Content-Transfer-Encoding", "quoted-printable"},
                 {"X-Mailer", "Thunderbird"}};
    if (i % 4 == 0) m.headers.push_back({"Cc", "colleague@customer7.example"});
    if (i % 5 == 0) m.headers.push_back({"X-Priority", "3"});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int rules = 1000, mails = 10000, rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rules")) rules = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--mails")) mails = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
  }
  std::string text = make_script(rules);
  auto t0 = std::chrono::steady_clock::now();
  auto s = hd::rules::compile(text, "bench.sieve", {});
  auto t1 = std::chrono::steady_clock::now();
  if (!s) {
    fmt::print(stderr, "bench_rules: {}\n", s.error().message);
    return 1;
  }
  fmt::print("script: {} rules, {} bytes, compiled in {:.1f} ms\n", rules, text.size(),
             std::chrono::duration<double, std::milli>(t1 - t0).count());
  std::vector<hd::parsed_message> ms = make_mails(mails);
  // Rules read headers from the raw header block, as a Sieve engine does.
  std::vector<std::string> raws;
  for (const hd::parsed_message& m : ms) {
    std::string raw;
    for (const hd::header_field& h : m.headers) raw += h.name + ": " + h.value + "\r\n";
    raws.push_back(raw + "\r\n" + m.text);
  }
  std::size_t matched = 0;
  double best = 0;
  for (int r = 0; r < rounds; ++r) {
    auto a = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < ms.size(); ++i) {
      const hd::parsed_message& m = ms[i];
      hd::rules::input in;
      in.message = &m;
      in.raw = raws[i];
      in.decode_header = hd::mailparse::decode_strict;
      in.env = {m.from->addr, {m.to[0].addr}};
      in.trace = false;
      hd::rules::outcome o = hd::rules::evaluate(*s, in);
      matched += o.result.tags.size() + o.actions.size();
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count();
    best = std::max(best, mails / secs);
  }
  fmt::print(
      "evaluate: {} mails x {} rules, best of {} rounds: {:.0f} mails/s, {:.1f} M rule "
      "evaluations/s (matched {})\n",
      mails, rules, rounds, best, best * rules / 1e6, matched);
  return 0;
}
