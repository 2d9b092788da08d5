// What an automatic reply may say about a request (reply_facts_of), and the acknowledgement's
// reading of the same facts right after the ingest (ack_facts_of), which takes the newest mail
// from the ingest instead of reading it back. On both backends (test_pg_storage.sh).
#include "hd/storage/outbox.hpp"
#include "storage_test.hpp"

#include <doctest/doctest.h>

namespace {

using namespace hd::storage;
using storage_test::ingest;
using storage_test::mail;
using storage_test::tag;

reply_facts facts_of(store& s, std::int64_t request) {
  auto f = reply_facts_of(s, request);
  REQUIRE_MESSAGE(f.has_value(), (f ? "" : f.error().message));
  return *f;
}

reply_facts ack_facts(store& s, const ingest_outcome& o, const hd::parsed_message& m) {
  auto f = ack_facts_of(s, o, m);
  REQUIRE_MESSAGE(f.has_value(), (f ? "" : f.error().message));
  return *f;
}

// Every fact but the address, which the two read differently on purpose.
void check_same(const reply_facts& a, const reply_facts& b) {
  CHECK(a.request_id == b.request_id);
  CHECK(a.title == b.title);
  CHECK(a.category == b.category);
  CHECK(a.priority == b.priority);
  CHECK(a.owner == b.owner);
  CHECK(a.mailbox == b.mailbox);
  CHECK(a.person_id == b.person_id);
  CHECK(a.person_name == b.person_name);
  CHECK(a.person_language == b.person_language);
  CHECK(a.company == b.company);
  CHECK(a.last_message_id == b.last_message_id);
  CHECK(a.last_subject == b.last_subject);
  CHECK(a.last_text == b.last_text);
}

}  // namespace

TEST_CASE("an acknowledgement's facts are the request's, with the newest mail from the ingest") {
  store s = storage_test::open_memory();
  hd::parsed_message first = mail("anna@customer.no", "Printer jams", "1@x", "It jams. Grüße");
  first.from->name = "Anna Berg";
  first.cc = {{"Ola", "ola@customer.no"}};
  auto o1 = ingest(s, first, "r1", 1000);
  REQUIRE(o1.kind == ingest_kind::created);

  SUBCASE("a new request: the same facts, addressed to the sender") {
    reply_facts a = ack_facts(s, o1, first);
    reply_facts r = facts_of(s, o1.request_id);
    check_same(a, r);
    CHECK(a.person_name == "Anna Berg");
    CHECK(a.last_message_id == "1@x");
    CHECK(a.last_subject == "Printer jams");
    CHECK(a.last_text == "It jams. Grüße");
    CHECK(a.person_address == "anna@customer.no");
  }

  std::string subject = "Re: " + tag(o1.request_id) + " Printer jams";
  SUBCASE("a follow-up from the request's person: it is the newest mail") {
    hd::parsed_message m = mail("anna@customer.no", subject, "2@x", "Still jams.");
    auto o2 = ingest(s, m, "r2", 1001);
    REQUIRE(o2.kind == ingest_kind::appended);
    reply_facts a = ack_facts(s, o2, m);
    check_same(a, facts_of(s, o1.request_id));
    CHECK(a.last_message_id == "2@x");
    CHECK(a.last_text == "Still jams.");
  }

  SUBCASE("a follow-up from someone else who takes part: still the person's own newest mail") {
    hd::parsed_message m = mail("Ola@Customer.no", subject, "3@x", "Me too.");
    auto o2 = ingest(s, m, "r3", 1001);
    REQUIRE(o2.kind == ingest_kind::appended);
    reply_facts a = ack_facts(s, o2, m);
    check_same(a, facts_of(s, o1.request_id));
    CHECK(a.last_message_id == "1@x");
    CHECK(a.last_text == "It jams. Grüße");
    CHECK(a.person_name == "Anna Berg");
    CHECK(a.person_address == "ola@customer.no");
  }

  SUBCASE("no request: not found") {
    ingest_outcome none = o1;
    none.request_id = o1.request_id + 100;
    auto a = ack_facts_of(s, none, first);
    REQUIRE_FALSE(a.has_value());
    CHECK(a.error().code == errc::not_found);
  }
}
