// Crash consistency (a failure at every step of ingest leaves nothing behind) and migrations
// from every earlier schema version with data preserved.
#include "hd/storage/people.hpp"
#include "hd/storage/quarantine.hpp"
#include "hd/storage/requests.hpp"
#include "hd/storage/workflow.hpp"

#include "storage/storage_test.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <map>

using namespace storage_test;
namespace st = hd::storage;

namespace {

std::map<std::string, std::int64_t> counts(st::store& s) {
  auto c = st::row_counts(s);
  REQUIRE(c.has_value());
  return {c->begin(), c->end()};
}

struct scenario {
  const char* name;
  bool reply;  // a reply to a closed request (reopen) rather than a new request
};

// A mail touching every step: new person, To/Cc, attachments, an outgoing ack, a UID.
hd::parsed_message rich_mail(bool reply) {
  hd::parsed_message m = mail(reply ? "a@b.c" : "new@b.c", "Re: help", "2@x", "text");
  if (reply) m.in_reply_to = "1@x";
  m.to = {{"", "support@example.com"}};
  m.cc = {{"", "cc@b.c"}};
  m.attachments = {{"a.pdf", "application/pdf", "attachment", std::nullopt, "ff", "PDF"}};
  return m;
}

st::inbound rich_inbound(const hd::parsed_message& m) {
  st::inbound in = inbound_of(m, "rich raw", 5000);
  in.source = {"support", "INBOX", 9, 77};
  return in;
}

// The mail with its acknowledgement, as the intake's unit of work stores it.
hd::result<st::ingest_outcome, st::errc> ingest_rich(st::store& s, const hd::parsed_message& m) {
  return ingest_with_mails(
      s, rich_inbound(m),
      {{"ack", "support@example.com", {"a@b.c"}, "bytes", "ack@h", "ack", "hi"}});
}

}  // namespace

TEST_CASE("a failure injected before any step of ingest leaves no trace") {
  // Ingest's steps, then the unit of work's: the queued acknowledgement and the commit.
  const std::vector<std::string> want_steps = {
      "duplicate", "raw",         "person",     "thread", "thread_search", "request",     "message",
      "addresses", "attachments", "checkpoint", "commit", "outgoing",      "batch_commit"};
  for (scenario sc : {scenario{"new request", false}, scenario{"reply reopening", true}}) {
    CAPTURE(sc.name);
    std::vector<std::string> steps;
    std::string fail_at;
    st::open_options opt;
    opt.inject_fault = [&](std::string_view step) {
      steps.emplace_back(step);
      return step == fail_at;
    };
    auto s = open_memory(opt);
    auto first = ingest(s, mail("a@b.c", "help", "1@x"), "raw1", 1000);
    REQUIRE(st::close_request(s, first.request_id, {"agent", 2000}).has_value());
    hd::parsed_message m = rich_mail(sc.reply);
    steps.clear();
    for (const std::string& step : want_steps) {
      CAPTURE(step);
      fail_at = step;
      auto before = counts(s);
      auto r = ingest_rich(s, m);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().code == st::errc::io);
      CHECK(counts(s) == before);
      auto shown = st::show_request(s, first.request_id);
      REQUIRE_MESSAGE(shown.has_value(), (shown ? "" : shown.error().message));
      CHECK(shown->summary.status == "closed");
    }
    fail_at.clear();
    steps.clear();
    auto r = ingest_rich(s, m);
    REQUIRE(r.has_value());
    CHECK(steps == want_steps);  // the list above covers every step ingest has
    CHECK(r->kind == (sc.reply ? st::ingest_kind::appended : st::ingest_kind::created));
    auto after = counts(s);
    CHECK(after["messages"] == 3);  // the first mail, this one, the ack
    CHECK(after["outbox"] == 1);
    CHECK(after["mailbox_state"] == 1);
  }
}

namespace {

void exec(const std::string& path, const char* sql_text) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql_text, nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  REQUIRE_MESSAGE(rc == SQLITE_OK, msg);
}

// Data as a version-1 helpdeskd wrote it (columns of the initial schema only).
constexpr const char* v1_data = R"sql(
INSERT INTO companies (id, name, created_at) VALUES (1, 'Fjord AS', 10);
INSERT INTO company_domains (domain, company_id) VALUES ('fjord.no', 1);
INSERT INTO persons (id, name, company_id, created_at) VALUES (1, 'Åsa', 1, 10);
INSERT INTO person_addresses (address, person_id) VALUES ('asa@fjord.no', 1);
INSERT INTO raw_messages (id, sha256, size, bytes, received_at, mailbox)
  VALUES (1, 'abc', 3, X'616263', 10, 'support');
INSERT INTO requests (id, title, person_id, mailbox, created_at, updated_at)
  VALUES (1, 'Søknad', 1, 'support', 10, 10);
INSERT INTO messages (id, request_id, direction, raw_id, message_id, person_id, from_address,
                      subject, body_text, created_at)
  VALUES (1, 1, 'in', 1, 'old@x', 1, 'asa@fjord.no', 'Søknad', 'Refusjon for høsten', 10);
INSERT INTO attachments (sha256, size, data) VALUES ('ff', 3, X'504446');
INSERT INTO message_attachments VALUES (1, 0, 'ff', 'a.pdf', 'application/pdf', 'attachment', NULL);
INSERT INTO raw_messages (id, sha256, size, bytes, received_at, mailbox)
  VALUES (2, 'def', 1, X'00', 11, 'support');
INSERT INTO quarantine (raw_id, reason, created_at) VALUES (2, 'no sender', 11);
INSERT INTO events (request_id, at, actor, kind) VALUES (1, 10, 'system', 'created');
)sql";

}  // namespace

TEST_CASE("migrations from every earlier schema version keep the data" *
          doctest::test_suite("sqlite")) {
  int marker = 0;
  auto dir = std::filesystem::temp_directory_path() /
             ("hd_migrate_" + std::to_string(reinterpret_cast<std::uintptr_t>(&marker)));
  std::filesystem::create_directories(dir);
  for (int from = 1; from < st::schema_version(); ++from) {
    CAPTURE(from);
    std::string path = (dir / ("v" + std::to_string(from) + ".db")).string();
    {
      st::open_options no_migrate;
      no_migrate.migrate = false;
      auto old = st::store::open(path, no_migrate);
      REQUIRE(old.has_value());
      REQUIRE(old->migrate_to(from).value() == from);
    }
    exec(path, v1_data);
    auto s = st::store::open(path);
    REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().message));
    CHECK(s->version().value() == st::schema_version());
    auto d = st::show_request(*s, 1);
    REQUIRE(d.has_value());
    CHECK(d->summary.title == "Søknad");
    CHECK(d->summary.company == "Fjord AS");
    REQUIRE(d->messages.size() == 1);
    CHECK(d->messages[0].body_text == "Refusjon for høsten");
    CHECK(d->messages[0].attachments.size() == 1);
    auto hits = st::search_requests(*s, "høsten");  // indexed by the migration
    REQUIRE(hits.has_value());
    CHECK(hits->size() == 1);
    CHECK(st::list_quarantine(*s, false)->size() == 1);
    CHECK(st::list_companies(*s)->front().domains == std::vector<std::string>{"fjord.no"});
    // New mail keeps working on the upgraded database and threads into old requests.
    hd::parsed_message reply = mail("asa@fjord.no", "Re: Søknad", "new@x");
    reply.in_reply_to = "old@x";
    CHECK(ingest(*s, reply, "new raw").request_id == 1);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a database newer than this build is refused, migrate_to checks its target" *
          doctest::test_suite("sqlite")) {
  auto s = open_memory();
  CHECK(s.migrate_to(0).error().code == st::errc::migration);
  CHECK(s.migrate_to(st::schema_version() + 1).error().code == st::errc::migration);
}

TEST_CASE("schema 26 migrates a database whose webhook trigger was dropped by hand" *
          doctest::test_suite("sqlite")) {
  // Before: DROP TRIGGER without IF EXISTS failed the migration, and the store would not open.
  storage_test::temp_dir tmp("hd_migrate_26");
  std::string path = tmp / "hd.db";
  {
    st::open_options no_migrate;
    no_migrate.migrate = false;
    auto old = st::store::open(path, no_migrate);
    REQUIRE(old.has_value());
    REQUIRE(old->migrate_to(25).value() == 25);
  }
  exec(path, "DROP TRIGGER webhook_request_created");
  auto s = st::store::open(path);
  REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().message));
  CHECK(s->version().value() == st::schema_version());
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = "
                             "'webhook_request_created'",
                             -1, &q, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(q) == SQLITE_ROW);
  std::string sql = reinterpret_cast<const char*>(sqlite3_column_text(q, 0));
  sqlite3_finalize(q);
  sqlite3_close(db);
  CHECK(sql.find("WHEN EXISTS (SELECT 1 FROM webhook_subscriptions") != std::string::npos);
}
