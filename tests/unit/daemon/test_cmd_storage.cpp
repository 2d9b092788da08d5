// The storage commands through the real CLI: requests show/search, attachments save,
// persons, companies, quarantine.
#include "hd/cli/cli.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace {

struct ran {
  int code;
  std::string out, err;
  nlohmann::json json() const { return nlohmann::json::parse(out); }
};

ran cli(std::vector<std::string> args, std::string input = "") {
  std::istringstream in(input);
  std::ostringstream out, err;
  hd::daemon::cli_io io{in, out, err, [](const std::string&) { return std::nullopt; },
                        [] { return std::int64_t{1700000000}; }};
  std::vector<const char*> argv{"helpdeskd"};
  for (const std::string& a : args) argv.push_back(a.c_str());
  int code = hd::daemon::run_cli(static_cast<int>(argv.size()), argv.data(), io);
  return {code, out.str(), err.str()};
}

struct workspace {
  std::filesystem::path dir;
  std::string cfg;
  workspace() {
    dir = std::filesystem::temp_directory_path() /
          ("hd_cmd_storage_" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    cfg = (dir / "hd.toml").string();
    std::ofstream(cfg) << "[database]\npath = \"hd.db\"\n";
  }
  ~workspace() { std::filesystem::remove_all(dir); }
  ran run(std::vector<std::string> args, std::string input = "") const {
    args.insert(args.begin(), {"-c", cfg});
    return cli(std::move(args), std::move(input));
  }
};

const std::string with_attachment =
    "From: Åsa Berg <asa@fjord.no>\r\n"
    "To: support@example.com\r\n"
    "Cc: boss@fjord.no\r\n"
    "Subject: =?UTF-8?Q?S=C3=B8knad_om_refusjon?=\r\n"
    "Message-ID: <1@fjord.no>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    "Kvitteringen for høsten er vedlagt.\r\n"
    "--b\r\nContent-Type: application/pdf\r\n"
    "Content-Disposition: attachment; filename=\"../../etc/passwd\"\r\n\r\n"
    "%PDF-1.4 fake\r\n"
    "--b--\r\n";

}  // namespace

TEST_CASE("requests show and search") {
  workspace w;
  REQUIRE(w.run({"ingest"}, with_attachment).code == 0);
  auto shown = w.run({"requests", "show", "1", "--json"});
  REQUIRE(shown.code == 0);
  auto j = shown.json();
  CHECK(j["title"] == "Søknad om refusjon");
  CHECK(j["person"]["address"] == "asa@fjord.no");
  REQUIRE(j["messages"].size() == 1);
  CHECK(j["messages"][0]["text"].get<std::string>().find("høsten") != std::string::npos);
  CHECK(j["messages"][0]["cc"][0]["address"] == "boss@fjord.no");
  CHECK(j["messages"][0]["attachments"].size() == 1);
  CHECK(j["events"][0]["kind"] == "created");
  CHECK(w.run({"requests", "show", "1"}).out.find("Kvitteringen") != std::string::npos);
  CHECK(w.run({"requests", "show", "99"}).code == 1);

  auto hit = w.run({"requests", "search", "HØSTEN", "--json"});
  REQUIRE(hit.code == 0);
  CHECK(hit.json().size() == 1);
  CHECK(hit.json()[0]["id"] == 1);
  CHECK(w.run({"requests", "search", "nothing"}).out.empty());
  auto bad = w.run({"requests", "search", "\"unbalanced"});
  CHECK(bad.code == 64);
  CHECK(bad.err.find("--literal") != std::string::npos);
  CHECK(w.run({"requests", "search", "--literal", "\"unbalanced"}).code == 0);
}

TEST_CASE("attachments save: safe names, never overwrite") {
  workspace w;
  REQUIRE(w.run({"ingest"}, with_attachment).code == 0);
  std::string out = (w.dir / "out").string();
  auto first = w.run({"attachments", "save", "1", out});
  REQUIRE(first.code == 0);
  CHECK(std::filesystem::exists(w.dir / "out" / "passwd"));
  auto second = w.run({"attachments", "save", "1", out, "--json"});
  REQUIRE(second.code == 0);
  CHECK(second.json()[0]["path"] == (w.dir / "out" / "passwd (2)").string());
  std::ifstream f(w.dir / "out" / "passwd");
  std::string content((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  CHECK(content.find("%PDF-1.4") == 0);
  CHECK(w.run({"attachments", "save", "7", out}).code == 1);
}

TEST_CASE("persons and companies") {
  workspace w;
  REQUIRE(w.run({"ingest"}, with_attachment).code == 0);
  auto added = w.run({"companies", "add", "Fjord AS", "--json"});
  REQUIRE(added.code == 0);
  CHECK(added.json()["name"] == "Fjord AS");
  CHECK(w.run({"companies", "add", "Fjord AS"}).code == 64);
  auto dom = w.run({"companies", "add-domain", "Fjord AS", "fjord.no", "--json"});
  REQUIRE(dom.code == 0);
  CHECK(dom.json()["persons_moved"] == 1);
  CHECK(w.run({"companies", "add", "BigCorp", "--domain", "bigcorp.nl"}).code == 0);
  REQUIRE(
      w.run({"ingest"}, "From: jan@bigcorp.nl\r\nSubject: hoi\r\nMessage-ID: <2@b>\r\n\r\nx\r\n")
          .code == 0);
  auto big = w.run({"companies", "show", "BigCorp", "--json"});
  REQUIRE(big.code == 0);
  CHECK(big.json()["persons"][0]["addresses"][0] == "jan@bigcorp.nl");
  CHECK(w.run({"companies", "list", "--json"}).json().size() == 2);
  CHECK(w.run({"companies", "show", "Nope"}).code == 1);

  auto persons = w.run({"persons", "list", "--json"});
  REQUIRE(persons.code == 0);
  CHECK(persons.json().size() == 2);
  auto asa = w.run({"persons", "show", "ASA@fjord.no", "--json"});
  REQUIRE(asa.code == 0);
  CHECK(asa.json()["company"]["name"] == "Fjord AS");
  CHECK(asa.json()["requests"].size() == 1);
  CHECK(w.run({"persons", "list", "--company", "BigCorp", "--json"}).json().size() == 1);
  CHECK(w.run({"persons", "show", "nonsense"}).code == 64);
}

TEST_CASE("quarantine: list, show, reprocess, drop") {
  workspace w;
  CHECK(w.run({"ingest"}, "Subject: no sender\r\n\r\nx").code == 65);
  CHECK(w.run({"ingest"}, "\x01\x02 not mail").code == 65);
  auto list = w.run({"quarantine", "list", "--json"});
  REQUIRE(list.code == 0);
  REQUIRE(list.json().size() == 2);
  CHECK(w.run({"quarantine", "show", "1", "--raw"}).out == "Subject: no sender\r\n\r\nx");
  CHECK(w.run({"quarantine", "show", "1", "--json"})
            .json()["reason"]
            .get<std::string>()
            .find("sender") != std::string::npos);

  auto again = w.run({"quarantine", "reprocess", "1", "--json"});
  CHECK(again.code == 65);  // still no sender: quarantined again, entry 1 resolved
  CHECK(again.json()["quarantine"] == 3);
  CHECK(w.run({"quarantine", "reprocess", "1"}).code == 1);  // already resolved

  auto dropped = w.run({"quarantine", "drop", "2", "--note", "spam", "--json"});
  REQUIRE(dropped.code == 0);
  CHECK(dropped.json()["resolution"] == "dropped: spam");
  auto purged = w.run({"quarantine", "drop", "2", "--purge", "--json"});
  REQUIRE(purged.code == 0);
  CHECK(purged.json()["purged"] == true);
  CHECK(w.run({"quarantine", "list", "--json"}).json().size() == 1);  // entry 3
  CHECK(w.run({"quarantine", "list", "--all", "--json"}).json().size() == 3);
  CHECK(w.run({"quarantine", "show", "9"}).code == 1);
}

TEST_CASE("quarantine reprocess after a limit was raised makes the request") {
  workspace w;
  std::ofstream(w.cfg) << "[database]\npath = \"hd.db\"\n[limits]\nmax_message_bytes = 1024\n";
  std::string big = "From: a@b.c\r\nSubject: big\r\nMessage-ID: <big@b>\r\n\r\n" +
                    std::string(2000, 'x') + "\r\n";
  REQUIRE(w.run({"ingest"}, big).code == 65);
  std::ofstream(w.cfg) << "[database]\npath = \"hd.db\"\n";
  auto r = w.run({"quarantine", "reprocess", "1", "--by", "agent", "--json"});
  REQUIRE(r.code == 0);
  CHECK(r.json()["request"] == 1);
  CHECK(r.json()["resolution"] == "reprocessed: request 1 (created)");
  CHECK(w.run({"requests", "show", "1", "--json"}).json()["title"] == "big");
  CHECK(w.run({"quarantine", "list", "--json"}).json().empty());
}
