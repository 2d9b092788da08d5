#include "hd/storage/directory.hpp"
#include "hd/storage/workflow.hpp"

#include "storage/storage_test.hpp"

#include <doctest/doctest.h>

namespace {

// SQLite, or the PostgreSQL of HD_TEST_PG_URL (tests/integration/test_pg_storage.sh).
hd::storage::store open_db() { return storage_test::open_memory(); }

hd::config team() {
  hd::config c;
  c.users = {{"anna", "Anna", "anna@example.com", false, ""},
             {"ole", "Ole", "ole@example.com", false, ""},
             {"lars", "Lars", "lars@example.com", false, ""}};
  c.categories = {{"general", hd::assignment_method::manual, {"anna", "ole"}},
                  {"billing", hd::assignment_method::round_robin, {"anna", "ole", "lars"}},
                  {"tech", hd::assignment_method::fewest_open, {"anna", "ole"}}};
  c.priorities = {{"normal", 8, 72, true}, {"urgent", 1, 8, false}};
  return c;
}

hd::storage::ingest_outcome ingest(hd::storage::store& s, const std::string& id,
                                   hd::storage::routing route) {
  hd::parsed_message m;
  m.from = hd::address{"", "c@customer.example"};
  m.subject = "help " + id;
  m.message_id = id;
  hd::storage::inbound in;
  in.source.mailbox = "stdin";
  in.raw = id;
  in.parsed = &m;
  in.route = std::move(route);
  in.now = 1000;
  auto r = s.ingest(in);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
  return *r;
}

}  // namespace

TEST_CASE("sync_directory mirrors the config and is idempotent") {
  auto s = open_db();
  auto c = team();
  auto n = hd::storage::sync_directory(s, c);
  REQUIRE(n.has_value());
  CHECK(n->users == 3);
  CHECK(n->categories == 3);
  CHECK(n->priorities == 2);
  REQUIRE(hd::storage::sync_directory(s, c).has_value());
  // A request routed to a synced category and owner keeps both.
  auto r = ingest(s, "1@x", {"billing", "normal", "ole", {"vip"}});
  auto list = s.list_requests({});
  REQUIRE(list.has_value());
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].category == "billing");
  CHECK((*list)[0].owner == "ole");
  (void)r;
}

TEST_CASE("assignment methods: manual, round robin skipping absent members, fewest open") {
  auto s = open_db();
  auto c = team();
  c.users[1].absent = true;  // ole is away
  REQUIRE(hd::storage::sync_directory(s, c).has_value());
  CHECK(hd::storage::pick_owner(s, "general").value() == "");
  CHECK(hd::storage::pick_owner(s, "nope").value() == "");
  std::vector<std::string> got;
  for (int i = 0; i < 4; ++i) got.push_back(hd::storage::pick_owner(s, "billing").value());
  CHECK(got == std::vector<std::string>{"anna", "lars", "anna", "lars"});
  c.users[1].absent = false;  // ole is back: he is next after anna again
  REQUIRE(hd::storage::sync_directory(s, c).has_value());
  CHECK(hd::storage::pick_owner(s, "billing").value() == "anna");
  CHECK(hd::storage::pick_owner(s, "billing").value() == "ole");
  // fewest_open: anna has two open requests, ole none.
  ingest(s, "a@x", {"tech", "normal", "anna", {}});
  ingest(s, "b@x", {"tech", "normal", "anna", {}});
  CHECK(hd::storage::pick_owner(s, "tech").value() == "ole");
}

TEST_CASE("is_followup: by In-Reply-To, References or our tag from a participant") {
  auto s = open_db();
  auto first = ingest(s, "orig@x", {});
  hd::parsed_message m;
  m.from = hd::address{"", "c@customer.example"};
  m.subject = "something new";
  CHECK_FALSE(hd::storage::is_followup(s, m, 2000).value());
  m.in_reply_to = "orig@x";
  CHECK(hd::storage::is_followup(s, m, 2000).value());
  m.in_reply_to.reset();
  m.references = {"unknown@x", "orig@x"};
  CHECK(hd::storage::is_followup(s, m, 2000).value());
  m.references.clear();
  m.subject = "Re: [#" + std::to_string(first.request_id) + "] help";
  CHECK(hd::storage::is_followup(s, m, 2000).value());
  m.from = hd::address{"", "stranger@elsewhere.example"};
  CHECK_FALSE(hd::storage::is_followup(s, m, 2000).value());
}

TEST_CASE("is_followup: ingest's own search, reopen_within_days included") {
  auto s = open_db();
  REQUIRE(hd::storage::sync_directory(s, team()).has_value());
  auto first = ingest(s, "orig@x", {});
  REQUIRE(hd::storage::close_request(s, first.request_id, {"anna", 1000}).has_value());
  hd::parsed_message m;
  m.from = hd::address{"", "c@customer.example"};
  m.in_reply_to = "orig@x";
  std::int64_t day = 86400, window = 60 * day;  // open_options' default reopen_within_days
  auto t = hd::storage::thread_target(s, m, 1000 + window);
  REQUIRE(t.has_value());
  CHECK(*t == first.request_id);  // closed within the window: ingest would reopen it
  CHECK(hd::storage::is_followup(s, m, 1000 + window + day).value() == false);  // a new request
  m.subject = "Re: [#" + std::to_string(first.request_id) + "] help";
  m.in_reply_to.reset();
  CHECK(hd::storage::is_followup(s, m, 1000 + 10 * day).value());
  CHECK_FALSE(hd::storage::is_followup(s, m, 1000 + window + day).value());
  // The same as ingest: storing it then makes a new request linked to the old one.
  hd::storage::inbound in;
  in.source.mailbox = "stdin";
  in.raw = "late reply";
  in.parsed = &m;
  in.now = 1000 + window + day;
  auto o = s.ingest(in);
  REQUIRE(o.has_value());
  CHECK(o->kind == hd::storage::ingest_kind::created);
}

TEST_CASE("keep_discarded keeps the raw mail as a resolved quarantine entry, once per UID") {
  auto s = open_db();
  hd::storage::mail_source src{"support", "INBOX", 7, 42};
  auto a = hd::storage::keep_discarded(s, src, "raw bytes", "discarded by rules.sieve:3", 1000);
  REQUIRE(a.has_value());
  auto b = hd::storage::keep_discarded(s, src, "raw bytes", "discarded by rules.sieve:3", 1001);
  REQUIRE(b.has_value());
  CHECK(a->id == b->id);
  CHECK(a->fresh);
  CHECK_FALSE(b->fresh);
  CHECK(s.list_requests({})->empty());
}
