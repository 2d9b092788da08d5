// Drives the real command-line interface with in-memory streams.
#include "hd/cli/cli.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace {

struct run_result {
  int code;
  std::string out, err;
};

run_result run(std::vector<std::string> args, std::string input = "") {
  std::istringstream in(input);
  std::ostringstream out, err;
  hd::daemon::cli_io io{in, out, err, [](const std::string&) { return std::nullopt; },
                        [] { return std::int64_t{1700000000}; }};
  std::vector<const char*> argv{"helpdeskd"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  int code = hd::daemon::run_cli(static_cast<int>(argv.size()), argv.data(), io);
  return {code, out.str(), err.str()};
}

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    path = std::filesystem::temp_directory_path() /
           ("hd_cli_" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return (path / name).string();
  }
};

}  // namespace

TEST_CASE("help and usage errors") {
  CHECK(run({"--help"}).code == 0);
  CHECK(run({"--help"}).out.find("ingest") != std::string::npos);
  CHECK(run({"ingest", "--help"}).out.find("75 temporary failure") != std::string::npos);
  CHECK(run({}).code == 64);
  CHECK(run({"no-such-command"}).code == 64);
  CHECK(run({"requests", "list", "--status", "sideways"}).code == 64);
}

TEST_CASE("an unknown subcommand is named with the ones there are; -V prints the version") {
  auto r = run({"requests", "frobnicate"});
  CHECK(r.code == 64);
  CHECK_MESSAGE(r.err.find("helpdeskd: requests: unknown subcommand 'frobnicate'; the "
                           "subcommands are: list, show") != std::string::npos,
                r.err);
  auto typo = run({"requests", "lsit"});
  CHECK(typo.err.find("unknown subcommand 'lsit' (did you mean 'list'?)") != std::string::npos);
  auto top = run({"frobnicate"});
  CHECK(top.code == 64);
  CHECK(top.err.find("helpdeskd: unknown command 'frobnicate'; the commands are: config, ") == 0);
  auto v = run({"-V"});
  CHECK(v.code == 0);
  CHECK(v.out.find("helpdeskd ") == 0);
}

TEST_CASE("config check: 0 when valid, 78 naming the line when not") {
  temp_dir d;
  std::string good = d.write("good.toml", "[database]\npath = \"x.db\"\n[ack]\nenabled = false\n");
  std::string bad = d.write("bad.toml", "[database]\npath = \"x.db\"\npaht = \"y\"\n");
  auto ok = run({"config", "check", good});
  CHECK(ok.code == 0);
  CHECK(ok.out.find("valid") != std::string::npos);
  auto fail = run({"config", "check", bad});
  CHECK(fail.code == 78);
  CHECK(fail.err.find("bad.toml:3:1: database.paht: unknown key (did you mean 'path'?)") !=
        std::string::npos);
}

TEST_CASE("config check: an [ack] template the templates directory lacks is an error") {
  temp_dir d;
  std::filesystem::create_directories(d.path / "templates/ack");
  d.write("templates/ack/en.mustache", "--- subject\nS\n--- text\nT\n");
  std::string cfg = d.write("hd.toml",
                            "[database]\npath = \"x.db\"\n[outgoing]\ntemplates_dir = "
                            "\"templates\"\n[ack]\ntemplate = \"akc\"\n");
  auto r = run({"config", "check", cfg});
  CHECK(r.code == 78);
  CHECK_MESSAGE(r.err.find("[ack] template = \"akc\": no such template in") != std::string::npos,
                r.err);
  CHECK(r.err.find("(did you mean 'ack'?) (there are: ack)") != std::string::npos);
  auto t = run({"-c", cfg, "templates", "check"});
  CHECK(t.code == 78);
  CHECK(t.err.find("[ack] template = \"akc\"") != std::string::npos);
  std::string ok = d.write("ok.toml",
                           "[database]\npath = \"x.db\"\n[outgoing]\ntemplates_dir = "
                           "\"templates\"\n");
  CHECK(run({"config", "check", ok}).code == 0);
}

TEST_CASE("ingest: stored, duplicate, quarantined; requests list shows them") {
  temp_dir d;
  std::string cfg = d.write("hd.toml", "[database]\npath = \"hd.db\"\n");
  std::string m1 =
      "From: Jan <jan@example.nl>\r\nSubject: one\r\nMessage-ID: <1@x>\r\n\r\nhallo\r\n";
  std::string m2 = "From: jan@example.nl\r\nSubject: two\r\nMessage-ID: <2@x>\r\n\r\nhallo\r\n";
  CHECK(run({"-c", cfg, "ingest"}, m1).code == 0);
  CHECK(run({"-c", cfg, "ingest"}, m2).code == 0);
  auto dup = run({"-c", cfg, "ingest", "--json"}, m2);
  CHECK(dup.code == 0);
  CHECK(nlohmann::json::parse(dup.out)["result"] == "duplicate");
  CHECK(run({"-c", cfg, "ingest"}, "\x01\x02 not mail").code == 65);
  CHECK(run({"-c", cfg, "ingest"}, "Subject: no sender\r\n\r\nx").code == 65);
  auto list = run({"-c", cfg, "requests", "list", "--json"});
  REQUIRE(list.code == 0);
  auto j = nlohmann::json::parse(list.out);
  REQUIRE(j.size() == 2);
  CHECK(j[0]["person"]["id"] == j[1]["person"]["id"]);
  CHECK(j[0]["title"] == "two");  // the newest active requests first
  CHECK(j[1]["title"] == "one");
}

TEST_CASE("ingest: a config error or an unknown mailbox is temporary (75), never a bounce") {
  // Postfix's pipe(8) turns 78 and 64 into a permanent bounce of the customer's mail.
  temp_dir d;
  CHECK(run({"-c", (d.path / "missing.toml").string(), "ingest"}, "From: a@b.c\r\n\r\nx").code ==
        75);
  std::string typo = d.write("typo.toml", "[database]\npaht = \"hd.db\"\n");
  CHECK(run({"-c", typo, "ingest"}, "From: a@b.c\r\n\r\nx").code == 75);
  std::string cfg = d.write("hd.toml", "[database]\npath = \"hd.db\"\n");
  auto r = run({"-c", cfg, "ingest", "--mailbox", "nope"}, "From: a@b.c\r\n\r\nx");
  CHECK(r.code == 75);
  CHECK(r.err.find("no [[mailbox]] named 'nope'") != std::string::npos);
  // Other commands keep 78 for a config error.
  CHECK(run({"-c", typo, "config", "check", typo}).code == 78);
}

TEST_CASE("ingest: a database that cannot be opened is a temporary failure (75)") {
  temp_dir d;
  std::string cfg = d.write("hd.toml", "[database]\npath = \"no/such/dir/hd.db\"\n");
  CHECK(run({"-c", cfg, "ingest"}, "From: a@b.c\r\n\r\nx").code == 75);
}

TEST_CASE("rules test reports the acknowledgement the daemon would send, robots included") {
  // Before: `rules test` said `ack yes` for an out-of-office reply that the daemon never
  // acknowledges.
  temp_dir d;
  std::string rules = d.write("r.sieve", "require \"fileinto\";\nkeep;\n");
  std::string cfg = d.write("hd.toml", "[database]\npath = \"" + (d.path / "hd.db").string() +
                                           "\"\n[rules]\nfile = \"" + rules +
                                           "\"\n[outgoing]\n"
                                           "from_address = \"support@example.com\"\n");
  std::string ooo = d.write("ooo.eml",
                            "From: jan@customer.example\nTo: support@example.com\n"
                            "Subject: Out of office\nAuto-Submitted: auto-replied\n"
                            "Message-ID: <o1@customer.example>\n\nI am away.\n");
  std::string person = d.write("person.eml",
                               "From: jan@customer.example\nTo: support@example.com\n"
                               "Subject: Printer broken\nMessage-ID: <p1@customer.example>\n\n"
                               "Help.\n");
  auto robot = run({"--config", cfg, "rules", "test", "--json", ooo});
  REQUIRE(robot.code == 0);
  auto rj = nlohmann::json::parse(robot.out);
  CHECK(rj["decision"]["ack"] == false);
  CHECK(robot.out.find("Auto-Submitted") != std::string::npos);
  auto human = run({"--config", cfg, "rules", "test", "--json", person});
  REQUIRE(human.code == 0);
  CHECK(nlohmann::json::parse(human.out)["decision"]["ack"] == true);
}
