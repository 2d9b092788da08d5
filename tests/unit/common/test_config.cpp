#include "hd/common/config.hpp"
#include "hd/common/config_describe.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

namespace {

hd::env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& k) -> std::optional<std::string> {
    auto it = vars.find(k);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

auto parse(std::string_view text, hd::env_lookup env = {}) {
  return hd::parse_config(text, "test.toml", "/base", env);
}

}  // namespace

TEST_CASE("an empty file gives the documented defaults") {
  auto c = parse("");
  REQUIRE(c.has_value());
  CHECK(c->database.path == "/var/lib/helpdeskd/helpdeskd.db");
  CHECK(c->database.check_every_s == 86400);
  CHECK(c->database.checkpoint_pages == 16384);
  CHECK(c->database.cache_mb == 32);
  CHECK(c->limits.max_message_bytes == 10 * 1024 * 1024);
  CHECK(c->limits.max_header_bytes == 100 * 1024);
  CHECK(c->limits.max_mime_depth == 100);
  CHECK(c->limits.max_parts == 10000);
  CHECK(c->limits.max_header_field_bytes == 64 * 1024);
  CHECK(c->limits.max_header_fields == 1000);
  CHECK(c->limits.max_params == 1000);
  CHECK(c->log == hd::log_level::info);
  CHECK(c->mailboxes.empty());
}

TEST_CASE("the parser's header and parameter limits are settings") {
  auto c =
      parse("[limits]\nmax_header_field_bytes = 2048\nmax_header_fields = 50\nmax_params = 20\n");
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
  CHECK(c->limits.max_header_field_bytes == 2048);
  CHECK(c->limits.max_header_fields == 50);
  CHECK(c->limits.max_params == 20);
  auto low = parse("[limits]\nmax_params = 1\n");
  REQUIRE_FALSE(low.has_value());
  CHECK(low.error().message.find("max_params") != std::string::npos);
}

TEST_CASE("[imap] connection limits are settings, with defaults that fit Gmail") {
  auto d = parse("");
  REQUIRE(d.has_value());
  CHECK(d->imap.max_connections_per_account == 10);
  CHECK(d->imap.max_connections_per_server == 0);
  CHECK(d->imap.max_connecting_per_server == 16);
  auto c = parse(
      "[imap]\nmax_connections_per_account = 2\nmax_connections_per_server = 50\n"
      "max_connecting_per_server = 4\n");
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
  CHECK(c->imap.max_connections_per_account == 2);
  CHECK(c->imap.max_connections_per_server == 50);
  CHECK(c->imap.max_connecting_per_server == 4);
  auto zero = parse("[imap]\nmax_connecting_per_server = 0\n");  // would never connect
  REQUIRE_FALSE(zero.has_value());
  CHECK(zero.error().message.find("max_connecting_per_server") != std::string::npos);
  auto typo = parse("[imap]\nmax_connections_per_acount = 2\n");
  REQUIRE_FALSE(typo.has_value());
  CHECK(typo.error().message.find("max_connections_per_account") != std::string::npos);
}

TEST_CASE("a full mailbox is read, relative paths against the file's directory") {
  auto c = parse(R"(
[database]
path = "db/helpdeskd.db"
synchronous = "normal"
check_every_s = 3600
checkpoint_pages = 2000
cache_mb = 64
[[category]]
name = "billing"
assignment = "round_robin"
members = ["anna"]
[[user]]
login = "anna"
[[mailbox]]
name = "support"
address = "support@example.com"
host = "imap.example.com"
tls = "starttls"
user = "support"
password_env = "IMAP_PW"
after_import = "move"
move_to = "Done"
category = "billing"
)",
                 env_of({{"IMAP_PW", "hunter2"}}));
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
  CHECK(c->database.path == "/base/db/helpdeskd.db");
  CHECK_FALSE(c->database.synchronous_full);
  CHECK(c->database.check_every_s == 3600);
  CHECK(c->database.checkpoint_pages == 2000);
  CHECK(c->database.cache_mb == 64);
  REQUIRE(c->mailboxes.size() == 1);
  const hd::mailbox_config& m = c->mailboxes[0];
  CHECK(m.port == 143);  // the default follows the TLS mode
  CHECK(m.tls == hd::tls_mode::starttls);
  CHECK(m.action == hd::after_import::move);
  CHECK(m.password.reveal() == "hunter2");
  CHECK(c->categories[0].method == hd::assignment_method::round_robin);
}

TEST_CASE("problems name file, line, column and key") {
  struct row {
    const char* name;
    const char* text;
    const char* want;
  };
  const row rows[] = {
      {"misspelt key", "[database]\npath = \"x\"\nsynchronus = \"full\"\n",
       "test.toml:3:1: database.synchronus: unknown key (did you mean 'synchronous'?)"},
      {"unknown table", "\n[databse]\npath = \"x\"\n",
       "test.toml:2:2: databse: unknown key (did you mean 'database'?)"},
      {"misspelt secret key", "[smtp]\npasword_file = \"/x\"\n",
       "smtp.pasword_file: unknown key (did you mean 'password_file'?)"},
      {"wrong type", "[limits]\nmax_parts = \"many\"\n",
       "test.toml:2:13: limits.max_parts: must be an integer"},
      {"out of range", "[limits]\nmax_mime_depth = 0\n",
       "limits.max_mime_depth: must be between 1 and 10000 (got 0)"},
      {"negative check interval", "[database]\ncheck_every_s = -1\n",
       "database.check_every_s: must be between 0 and 2678400 (got -1)"},
      {"checkpoint too often", "[database]\ncheckpoint_pages = 10\n",
       "database.checkpoint_pages: must be between 100 and 1000000 (got 10)"},
      {"page cache too small", "[database]\ncache_mb = 1\n",
       "database.cache_mb: must be between 2 and 65536 (got 1)"},
      {"bad choice", "[database]\nsynchronous = \"off\"\n",
       "database.synchronous: must be one of \"full\", \"normal\""},
      {"bad log level", "[log]\nlevel = \"loud\"\n", "log.level: must be one of"},
      {"missing required", "[[mailbox]]\nname = \"a\"\n", "mailbox[0].address: is required"},
      {"inline secret", "[[mailbox]]\nname = \"a\"\naddress = \"a@b\"\npassword = \"x\"\n",
       "mailbox[0].password: inline secrets are not accepted"},
      {"env not set", "[[mailbox]]\nname = \"a\"\naddress = \"a@b\"\npassword_env = \"NOPE\"\n",
       "environment variable 'NOPE' is not set"},
      {"move without folder",
       "[[mailbox]]\nname = \"a\"\naddress = \"a@b\"\nafter_import = \"move\"\n",
       "mailbox[0].move_to: is required when after_import = \"move\""},
      {"duplicate mailbox",
       "[[mailbox]]\nname = \"a\"\naddress = \"a@b\"\n[[mailbox]]\nname = \"a\"\naddress = "
       "\"c@d\"\n",
       "mailbox 'a' is declared twice"},
      {"unknown member", "[[category]]\nname = \"k\"\nmembers = [\"ghost\"]\n",
       "names member 'ghost'"},
      {"unknown category", "[[mailbox]]\nname = \"a\"\naddress = \"a@b\"\ncategory = \"nope\"\n",
       "names category 'nope'"},
      {"syntax error", "[database\n", "test.toml:1:"},
  };
  for (const row& r : rows) {
    SUBCASE(r.name) {
      auto c = parse(r.text);
      REQUIRE_FALSE(c.has_value());
      CHECK_MESSAGE(c.error().message.find(r.want) != std::string::npos, c.error().message);
    }
  }
}

TEST_CASE("every problem is reported, not just the first") {
  auto c = parse("[database]\nfoo = 1\n[limits]\nbar = 2\n");
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().message.find("database.foo") != std::string::npos);
  CHECK(c.error().message.find("limits.bar") != std::string::npos);
}

TEST_CASE("secrets come from a file and are never printed") {
  auto dir = std::filesystem::temp_directory_path() / "hd_test_config_secret";
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "pw") << "s3cr3t-value\n"; }
  std::string text = "[[mailbox]]\nname = \"a\"\naddress = \"a@b\"\npassword_file = \"pw\"\n";
  auto c = hd::parse_config(text, "t.toml", dir.string(), {});
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
  CHECK(c->mailboxes[0].password.reveal() == "s3cr3t-value");  // trailing newline removed
  std::string shown = hd::describe_config(*c);
  CHECK(shown.find("s3cr3t") == std::string::npos);
  CHECK(shown.find("hidden") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("the shipped example configuration is valid") {
  auto c =
      hd::load_config(HD_SOURCE_DIR "/etc/helpdeskd.toml",
                      env_of({{"HELPDESKD_IMAP_PASSWORD", "x"}, {"HELPDESKD_SMTP_PASSWORD", "y"}}));
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
  CHECK_FALSE(c->mailboxes.empty());
}

TEST_CASE("describe_config round-trips through the TOML parser") {
  auto c = parse("[[mailbox]]\nname = \"a\\\"b\"\naddress = \"a@b\"\n");
  REQUIRE(c.has_value());
  std::string text = hd::describe_config(*c);
  CHECK(text.find("name = 'a\"b'") != std::string::npos);
}

TEST_CASE("config check -n shows only what differs from the defaults; --json as JSON") {
  auto c = parse(R"(
[database]
path = "/srv/hd.db"

[smtp]
host = "mail.example.com"

[[mailbox]]
name = "support"
address = "support@example.com"
host = "imap.example.com"
user = "support"
password_env = "HD_TEST_PW"
timeout_s = 30
)",
                 env_of({{"HD_TEST_PW", "x"}}));
  REQUIRE(c.has_value());
  std::string n = hd::describe_config(*c, {.only_changed = true});
  CHECK_MESSAGE(n.find("/srv/hd.db") != std::string::npos, n);
  CHECK_MESSAGE(n.find("mail.example.com") != std::string::npos, n);
  CHECK_MESSAGE(n.find("timeout_s = 30") != std::string::npos, n);
  CHECK_MESSAGE(n.find("support@example.com") != std::string::npos, n);
  // Defaults are left out: the database's busy timeout, SMTP's port, the mailbox's poll interval.
  CHECK_MESSAGE(n.find("busy_timeout_ms") == std::string::npos, n);
  CHECK_MESSAGE(n.find("port = 587") == std::string::npos, n);
  CHECK_MESSAGE(n.find("poll_interval_s") == std::string::npos, n);
  CHECK_MESSAGE(n.find("[limits]") == std::string::npos, n);
  // The full form still has them.
  CHECK(hd::describe_config(*c).find("busy_timeout_ms") != std::string::npos);

  std::string j = hd::describe_config(*c, {.only_changed = true, .json = true});
  CHECK_MESSAGE(j.starts_with("{"), j);
  CHECK_MESSAGE(j.find("\"host\" : \"mail.example.com\"") != std::string::npos, j);
  CHECK_MESSAGE(j.find("\"timeout_s\" : 30") != std::string::npos, j);
}

TEST_CASE("[database] url names PostgreSQL; its password is never shown") {
  auto d = parse("");
  REQUIRE(d.has_value());
  CHECK_FALSE(d->database.postgres());
  CHECK(d->database.target() == d->database.path);
  CHECK(d->database.lease_s == 30);

  auto c = parse(
      "[database]\nurl = \"postgresql://helpdesk:s3cret@db.example.com:5432/helpdesk\"\n"
      "lease_s = 10\n");
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
  CHECK(c->database.postgres());
  CHECK(c->database.target() == "postgresql://helpdesk:s3cret@db.example.com:5432/helpdesk");
  CHECK(c->database.lease_s == 10);
  CHECK(c->database.shown() == "postgresql://helpdesk:***@db.example.com:5432/helpdesk");
  std::string described = hd::describe_config(*c);
  CHECK(described.find("s3cret") == std::string::npos);
  CHECK(described.find("postgresql://helpdesk:***@db.example.com") != std::string::npos);

  hd::database_config q;
  q.url = "postgres://app@/helpdesk?host=/run/pg&password=s3cret&sslmode=require";
  CHECK(q.shown() == "postgres://app@/helpdesk?host=/run/pg&password=***&sslmode=require");
  q.url = "postgresql://app@db:5432/helpdesk";  // no password: shown as it is
  CHECK(q.shown() == q.url);

  auto both = parse("[database]\npath = \"x.db\"\nurl = \"postgresql://a@b/c\"\n");
  REQUIRE_FALSE(both.has_value());
  CHECK(both.error().message.find("not both") != std::string::npos);
  auto other = parse("[database]\nurl = \"mysql://a@b/c\"\n");
  REQUIRE_FALSE(other.has_value());
  CHECK(other.error().message.find("PostgreSQL URL") != std::string::npos);
  CHECK(d->database.search_candidates == 20000);
  auto few = parse("[database]\nsearch_candidates = 2000\n");
  REQUIRE(few.has_value());
  CHECK(few->database.search_candidates == 2000);
  CHECK(hd::describe_config(*few).find("search_candidates") != std::string::npos);
  auto none = parse("[database]\nsearch_candidates = 0\n");
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error().message.find("search_candidates") != std::string::npos);
  auto short_lease = parse("[database]\nurl = \"postgresql://a@b/c\"\nlease_s = 1\n");
  REQUIRE_FALSE(short_lease.has_value());
  CHECK(short_lease.error().message.find("lease_s") != std::string::npos);
}
