// Identity in storage: tokens (hashed, revoked, expired), password hashes, request versions
// for If-Match, and idempotent actions.
#include "hd/storage/access.hpp"
#include "hd/storage/requests.hpp"
#include "hd/storage/workflow.hpp"

#include "storage/storage_test.hpp"

#include <doctest/doctest.h>

using namespace hd::storage;

namespace {

store open_memory() { return storage_test::open_memory(); }  // SQLite, or HD_TEST_PG_URL

const std::string secret_a = "hdt_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

}  // namespace

TEST_CASE("tokens: found by secret, stored hashed, revoked, expired") {
  store s = open_memory();
  auto id = create_token(s, {"anna", "laptop", "write", "token", secret_a, std::nullopt}, 100);
  REQUIRE(id.has_value());
  auto t = find_token(s, secret_a, 200);
  REQUIRE(t.has_value());
  REQUIRE(t->has_value());
  CHECK((*t)->login == "anna");
  CHECK((*t)->scope == "write");
  CHECK((*t)->last_used_at == 200);
  CHECK(!find_token(s, secret_a + "x", 200)->has_value());
  CHECK(!create_token(s, {"anna", "x", "admin", "token", secret_a + "1", {}}, 1).has_value());
  CHECK(!create_token(s, {"anna", "x", "read", "token", "short", {}}, 1).has_value());
  // Only another user's token cannot be revoked by a non-admin (owner given).
  CHECK(revoke_token(s, *id, std::string("ole"), 300).error().code == errc::not_found);
  CHECK(find_token(s, secret_a, 300)->has_value());
  REQUIRE(revoke_token(s, *id, std::string("anna"), 300).has_value());
  CHECK(!find_token(s, secret_a, 301)->has_value());
  auto list = list_tokens(s, "anna");
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].revoked_at == 300);
  std::string b = secret_a + "b";
  REQUIRE(create_token(s, {"ole", "session", "write", "session", b, 500}, 400).has_value());
  CHECK(find_token(s, b, 499)->has_value());
  CHECK(!find_token(s, b, 500)->has_value());
}

TEST_CASE("password hashes: set, replaced, absent") {
  store s = open_memory();
  CHECK(!password_hash(s, "anna")->has_value());
  REQUIRE(set_password_hash(s, "anna", "$argon2id$one", 1).has_value());
  REQUIRE(set_password_hash(s, "anna", "$argon2id$two", 2).has_value());
  CHECK(password_hash(s, "anna")->value() == "$argon2id$two");
}

TEST_CASE("request versions grow with every change; a stale version changes nothing") {
  store s = open_memory();
  auto id = create_request(s, {"jane@c.example", "Jane", "T", "x", "", ""}, {"anna", 1});
  REQUIRE(id.has_value());
  std::int64_t v1 = *request_version(s, *id);
  REQUIRE(add_note(s, *id, "n", {"anna", 2}).has_value());
  std::int64_t v2 = *request_version(s, *id);
  CHECK(v2 > v1);
  acting stale{"ole", 3, v1};
  auto r = accept_request(s, *id, stale, false);
  REQUIRE(!r.has_value());
  CHECK(r.error().code == errc::conflict);
  CHECK(*request_version(s, *id) == v2);
  acting fresh{"ole", 3, v2};
  CHECK(accept_request(s, *id, fresh, false).has_value());
  outgoing_mail m{"reply", "s@x", {"jane@c.example"}, "x\r\n", "m@x", "s", "t"};
  CHECK(queue_agent_mail(s, *id, m, stale).error().code == errc::conflict);
  CHECK(!request_version(s, 999).has_value());
}

TEST_CASE("a customer's mail moves the request's version once, a reopen included") {
  // Before: a reopening follow-up wrote the row twice (the reopen, then the time), and the
  // requests_version trigger wrote it again after each: the version moved by two.
  store s = open_memory();
  auto first =
      storage_test::ingest(s, storage_test::mail("jane@c.example", "Printer", "1@x"), "r1");
  std::string subject = "Re: " + storage_test::tag(first.request_id) + " Printer";
  std::int64_t v1 = *request_version(s, first.request_id);
  auto r =
      storage_test::ingest(s, storage_test::mail("jane@c.example", subject, "2@x"), "r2", 1001);
  REQUIRE(r.kind == ingest_kind::appended);
  CHECK(*request_version(s, first.request_id) == v1 + 1);

  REQUIRE(close_request(s, first.request_id, {"anna", 1002}).has_value());
  std::int64_t v2 = *request_version(s, first.request_id);
  r = storage_test::ingest(s, storage_test::mail("jane@c.example", subject, "3@x"), "r3", 1003);
  REQUIRE(r.kind == ingest_kind::appended);
  auto d = show_request(s, first.request_id);
  REQUIRE(d.has_value());
  CHECK(d->summary.status == "open");
  CHECK(d->summary.updated_at == 1003);
  CHECK(*request_version(s, first.request_id) == v2 + 1);
}

TEST_CASE("once: an action runs once per user and key; a refusal is not recorded") {
  store s = open_memory();
  int runs = 0;
  auto act = [&] {
    ++runs;
    return idempotent_answer{200, "{\"n\":" + std::to_string(runs) + "}"};
  };
  auto a = once(s, "anna", "k", 1, act);
  auto b = once(s, "anna", "k", 2, act);
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  CHECK(runs == 1);
  CHECK(b->body == a->body);
  CHECK(once(s, "ole", "k", 3, act)->body == "{\"n\":2}");
  int refused = 0;
  auto no = [&] {
    ++refused;
    return idempotent_answer{412, "stale"};
  };
  once(s, "anna", "k2", 4, no);
  once(s, "anna", "k2", 5, no);
  CHECK(refused == 2);
}
