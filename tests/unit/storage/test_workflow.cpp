// The agent workflow verbs: every verb, every invalid transition, on in-memory databases.
#include "hd/storage/people.hpp"
#include "hd/storage/workflow.hpp"

#include "storage/storage_test.hpp"

#include <doctest/doctest.h>

namespace {

using namespace hd::storage;

struct fixture {
  store s = storage_test::open_memory();  // SQLite, or HD_TEST_PG_URL
  acting anna{"anna", 2000};
  acting ole{"ole", 2100};

  std::int64_t new_request(std::string addr = "kari@example.no", std::string title = "Printer") {
    auto r = create_request(s, {addr, "Kari", title, "It prints blank pages", "", "normal"}, anna);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
    return *r;
  }
  request_summary get(std::int64_t id) {
    auto all = s.list_requests({});
    REQUIRE(all.has_value());
    for (auto& r : *all) {
      if (r.id == id) return r;
    }
    FAIL("no request " << id);
    return {};
  }
};

template <class R>
std::string error_of(const R& r) {
  return r.has_value() ? std::string("(succeeded)") : r.error().message;
}

}  // namespace

TEST_CASE("create: a phoned-in request with its person") {
  fixture f;
  std::int64_t id = f.new_request();
  request_summary r = f.get(id);
  CHECK(r.title == "Printer");
  CHECK(r.status == "open");
  CHECK(r.person_address == "kari@example.no");
  CHECK(r.message_count == 1);
  CHECK(f.new_request("KARI@example.no", "Second") != id);
  CHECK(f.get(f.new_request("kari@example.no", "Third")).person_id == r.person_id);
  CHECK(error_of(create_request(f.s, {"no-at-sign", "", "t", "", "", ""}, f.anna))
            .find("email address") != std::string::npos);
  CHECK(error_of(create_request(f.s, {"a@b.c", "", "t", "", "nope", ""}, f.anna)) ==
        "there is no category 'nope'");
}

TEST_CASE("accept, assign, transfer") {
  fixture f;
  std::int64_t id = f.new_request();
  REQUIRE(accept_request(f.s, id, f.anna, false).has_value());
  CHECK(f.get(id).owner == "anna");
  CHECK(error_of(accept_request(f.s, id, f.anna, false)) ==
        "request #" + std::to_string(id) + " is already yours");
  CHECK(error_of(accept_request(f.s, id, f.ole, false)).find("owned by anna: use --force") !=
        std::string::npos);
  REQUIRE(accept_request(f.s, id, f.ole, true).has_value());
  CHECK(f.get(id).owner == "ole");
  REQUIRE(transfer_request(f.s, id, "anna", "Billing question, yours", f.ole).has_value());
  CHECK(f.get(id).owner == "anna");
  CHECK(f.get(id).message_count == 2);  // the transfer note
  CHECK(error_of(transfer_request(f.s, id, "anna", "", f.ole)).find("already owned by anna") !=
        std::string::npos);
  // A colleague who does not exist is refused, naming the known users: before, the request
  // was handed to a new user 'bret' and vanished from every agent's views.
  std::string bret = error_of(transfer_request(f.s, id, "bret", "", f.ole));
  CHECK(bret.find("no user 'bret'; known users: anna, ole") != std::string::npos);
  CHECK(f.get(id).owner == "anna");
  CHECK(error_of(assign_request(f.s, id, "karl", f.anna)).find("no user 'karl'") !=
        std::string::npos);
  REQUIRE(assign_request(f.s, id, "", f.anna).has_value());
  CHECK(f.get(id).owner.empty());
  CHECK(error_of(accept_request(f.s, 999, f.anna, false)) == "there is no request #999");
}

TEST_CASE("close, reopen, postpone, wake") {
  fixture f;
  std::int64_t id = f.new_request();
  REQUIRE(close_request(f.s, id, f.anna).has_value());
  CHECK(f.get(id).status == "closed");
  CHECK(error_of(close_request(f.s, id, f.anna)).find("already closed") != std::string::npos);
  CHECK(error_of(accept_request(f.s, id, f.anna, false)).find("closed: reopen it first") !=
        std::string::npos);
  REQUIRE(reopen_request(f.s, id, f.anna).has_value());
  CHECK(f.get(id).status == "open");
  CHECK(error_of(reopen_request(f.s, id, f.anna)).find("already open") != std::string::npos);
  CHECK(error_of(postpone_request(f.s, id, 1000, f.anna)).find("in the future") !=
        std::string::npos);
  REQUIRE(postpone_request(f.s, id, 5000, f.anna).has_value());
  CHECK(f.get(id).status == "pending");
  CHECK(wake_postponed(f.s, 4999).value() == 0);
  CHECK(wake_postponed(f.s, 5000).value() == 1);
  CHECK(f.get(id).status == "open");
}

TEST_CASE("set, flag, favourite") {
  fixture f;
  std::int64_t id = f.new_request();
  request_changes c;
  c.title = "Printer prints blank pages";
  c.priority = "urgent";
  c.add_tags = {"hardware", "tromsø"};
  REQUIRE(set_request(f.s, id, c, f.anna).has_value());
  CHECK(f.get(id).title == "Printer prints blank pages");
  CHECK(f.get(id).priority == "urgent");
  request_changes bad;
  bad.category = "nope";
  CHECK(error_of(set_request(f.s, id, bad, f.anna)) == "there is no category 'nope'");
  request_changes empty_title;
  empty_title.title = "";
  CHECK_FALSE(set_request(f.s, id, empty_title, f.anna).has_value());
  auto note = add_note(f.s, id, "call back after 14:00", f.anna);
  REQUIRE(note.has_value());
  REQUIRE(flag_message(f.s, *note, true, f.anna).has_value());
  CHECK(error_of(flag_message(f.s, *note, true, f.anna)).find("already flagged") !=
        std::string::npos);
  REQUIRE(flag_message(f.s, *note, false, f.anna).has_value());
  CHECK(error_of(flag_message(f.s, *note, false, f.anna)).find("not flagged") != std::string::npos);
  CHECK(error_of(flag_message(f.s, 999, true, f.anna)) == "there is no message 999");
  CHECK(error_of(add_note(f.s, id, "", f.anna)) == "a note needs text");
  REQUIRE(favourite_request(f.s, id, true, f.anna).has_value());
  CHECK(error_of(favourite_request(f.s, id, true, f.anna)).find("already one of your favourites") !=
        std::string::npos);
  REQUIRE(favourite_request(f.s, id, false, f.anna).has_value());
  CHECK_FALSE(favourite_request(f.s, id, false, f.anna).has_value());
}

TEST_CASE("merge: messages move, the merged request refuses work, mail threads to the master") {
  fixture f;
  std::int64_t master = f.new_request("a@example.com", "Login fails");
  std::int64_t dup = f.new_request("a@example.com", "Cannot log in");
  CHECK(error_of(merge_request(f.s, dup, dup, f.anna)) == "a request cannot be merged into itself");
  REQUIRE(merge_request(f.s, dup, master, f.anna).has_value());
  CHECK(f.get(dup).status == "merged");
  CHECK(f.get(master).message_count == 2);
  CHECK(error_of(close_request(f.s, dup, f.anna))
            .find("was merged into #" + std::to_string(master)) != std::string::npos);
  std::int64_t third = f.new_request("a@example.com", "Third");
  CHECK(error_of(merge_request(f.s, third, dup, f.anna)).find("merge into that one") !=
        std::string::npos);
  // A reply tagged with the merged request's number lands in the master.
  hd::parsed_message reply;
  reply.from = hd::address{"", "a@example.com"};
  reply.subject = "Re: [#" + std::to_string(dup) + "] Cannot log in";
  reply.message_id = "r1@x";
  inbound in;
  in.source.mailbox = "stdin";
  in.raw = "raw";
  in.parsed = &reply;
  in.now = 3000;
  auto got = f.s.ingest(in);
  REQUIRE(got.has_value());
  CHECK(got->request_id == master);
}

TEST_CASE("split: selected messages into a new request") {
  fixture f;
  std::int64_t id = f.new_request();
  auto note = add_note(f.s, id, "Also: the scanner is broken", f.anna);
  REQUIRE(note.has_value());
  CHECK(error_of(split_request(f.s, id, {}, f.anna)) == "split needs at least one message id");
  auto fresh = split_request(f.s, id, {*note}, f.anna);
  REQUIRE_MESSAGE(fresh.has_value(), error_of(fresh));
  CHECK(f.get(*fresh).message_count == 1);
  CHECK(f.get(id).message_count == 1);
  CHECK(f.get(*fresh).person_id == f.get(id).person_id);
  CHECK(error_of(split_request(f.s, id, {*note}, f.anna)).find("leave request") !=
        std::string::npos);
}

TEST_CASE("create: a phoned-in person from a company's subdomain lands under that company") {
  // create_request had its own copy of ingest's person lookup, without the subdomain rule.
  fixture f;
  auto company = add_company(f.s, "BigCorp", "anna", 1000);
  REQUIRE(company.has_value());
  REQUIRE(add_company_domain(f.s, *company, "bigcorp.nl", "anna", 1000).has_value());
  std::int64_t id = f.new_request("piet@sales.bigcorp.nl", "Phone: invoice");
  CHECK(f.get(id).company == "BigCorp");
}
