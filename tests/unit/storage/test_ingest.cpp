#include "hd/storage/store.hpp"

#include "hd/storage/outbox.hpp"
#include "storage/storage_test.hpp"

#include <doctest/doctest.h>

namespace {

hd::parsed_message mail(std::string from, std::string subject,
                        std::optional<std::string> id = std::nullopt) {
  hd::parsed_message m;
  m.from = hd::address{"", std::move(from)};
  m.subject = std::move(subject);
  m.message_id = std::move(id);
  m.text = "body";
  return m;
}

hd::storage::store open_memory() { return storage_test::open_memory(); }  // or HD_TEST_PG_URL

hd::storage::ingest_outcome ingest(hd::storage::store& s, const hd::parsed_message& m,
                                   std::string_view raw, std::int64_t now = 1000) {
  hd::storage::inbound in;
  in.source.mailbox = "stdin";
  in.raw = raw;
  in.parsed = &m;
  in.now = now;
  auto r = s.ingest(in);
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
  return *r;
}

}  // namespace

TEST_CASE("a new database is at the current schema version") {
  auto s = open_memory();
  CHECK(s.version().value() == hd::storage::schema_version());
}

TEST_CASE("two mails from one sender: two requests, one person") {
  auto s = open_memory();
  auto a = ingest(s, mail("Asa@Example.no", "printer", "1@x"), "raw1");
  auto b = ingest(s, mail("asa@example.no", "login", "2@x"), "raw2");
  CHECK(a.kind == hd::storage::ingest_kind::created);
  CHECK(b.kind == hd::storage::ingest_kind::created);
  CHECK(a.request_id != b.request_id);
  CHECK(a.person_id == b.person_id);  // addresses compare case-insensitively
  CHECK(a.person_created);
  CHECK_FALSE(b.person_created);
  auto list = s.list_requests({});
  REQUIRE(list.has_value());
  CHECK(list->size() == 2);
  CHECK((*list)[0].person_address == "asa@example.no");
}

TEST_CASE("the same mail twice is stored once") {
  struct row {
    const char* name;
    std::optional<std::string> id;
    std::string raw1, raw2;
  };
  const row rows[] = {
      {"same Message-ID", "m@x", "raw", "raw with other trace headers"},
      {"no Message-ID, same bytes", std::nullopt, "identical", "identical"},
  };
  for (const row& r : rows) {
    SUBCASE(r.name) {
      auto s = open_memory();
      auto first = ingest(s, mail("a@b.c", "x", r.id), r.raw1);
      auto second = ingest(s, mail("a@b.c", "x", r.id), r.raw2);
      CHECK(second.kind == hd::storage::ingest_kind::duplicate);
      CHECK(second.request_id == first.request_id);
      CHECK(s.list_requests({})->size() == 1);
    }
  }
}

TEST_CASE("the same Message-ID from a different sender is not a duplicate") {
  auto s = open_memory();
  ingest(s, mail("a@b.c", "x", "m@x"), "r1");
  auto other = ingest(s, mail("evil@b.c", "x", "m@x"), "r2");
  CHECK(other.kind == hd::storage::ingest_kind::created);
}

TEST_CASE("replies thread by In-Reply-To and by the subject tag") {
  auto s = open_memory();
  auto first = ingest(s, mail("a@b.c", "help", "1@x"), "r1");
  hd::parsed_message reply = mail("a@b.c", "Re: help", "2@x");
  reply.in_reply_to = "1@x";
  CHECK(ingest(s, reply, "r2").request_id == first.request_id);
  hd::parsed_message tagged =
      mail("a@b.c", "SV: [#" + std::to_string(first.request_id) + "] help", "3@x");
  auto t = ingest(s, tagged, "r3");
  CHECK(t.kind == hd::storage::ingest_kind::appended);
  CHECK(t.request_id == first.request_id);
}

TEST_CASE("a stranger quoting someone else's tag gets a request of their own") {
  auto s = open_memory();
  auto first = ingest(s, mail("a@b.c", "help", "1@x"), "r1");
  auto t = ingest(
      s, mail("stranger@evil.example", "[#" + std::to_string(first.request_id) + "]", "9@x"), "r9");
  CHECK(t.kind == hd::storage::ingest_kind::created);
  CHECK(t.request_id != first.request_id);
}

TEST_CASE("quarantine keeps the raw mail") {
  auto s = open_memory();
  auto q = s.quarantine({"stdin", {}, {}, {}}, "garbage", "no mail headers could be read", 5);
  REQUIRE(q.has_value());
  CHECK(*q > 0);
}

TEST_CASE("the same bytes quarantined again after a UIDVALIDITY change keep one entry") {
  auto s = open_memory();
  auto first = s.quarantine({"support", "INBOX", 7, 3}, "huge header", "too large", 5);
  REQUIRE(first.has_value());
  auto rescan = s.quarantine({"support", "INBOX", 8, 1}, "huge header", "too large", 6);
  REQUIRE(rescan.has_value());
  CHECK(*rescan == *first);
  auto other_bytes = s.quarantine({"support", "INBOX", 8, 2}, "other header", "too large", 6);
  REQUIRE(other_bytes.has_value());
  CHECK(*other_bytes != *first);
  auto other_mailbox = s.quarantine({"sales", "INBOX", 8, 1}, "huge header", "too large", 6);
  REQUIRE(other_mailbox.has_value());
  CHECK(*other_mailbox != *first);
  // Without a UID (pipe mode, reprocessing) every quarantine is an entry of its own.
  auto piped = s.quarantine({"support", {}, {}, {}}, "huge header", "too large", 7);
  REQUIRE(piped.has_value());
  CHECK(*piped != *first);
}

TEST_CASE("outgoing mail is queued in the same transaction as the request") {
  auto s = open_memory();
  hd::parsed_message m = mail("a@b.c", "help", "1@x");
  hd::storage::inbound in;
  in.source.mailbox = "stdin";
  in.raw = "raw";
  in.parsed = &m;
  in.now = 1000;
  auto r = storage_test::ingest_with_mails(s, in,
                                           {{"ack",
                                             "support@example.com",
                                             {"a@b.c"},
                                             "Subject: ack\r\n\r\nhi\r\n",
                                             "ack1@helpdesk",
                                             "ack",
                                             "hi"}});
  REQUIRE(r.has_value());
  auto queued = hd::storage::list_outbox(s, {});
  REQUIRE(queued.has_value());
  REQUIRE(queued->size() == 1);
  CHECK(queued->front().request_id == r->request_id);
  // A reply to our acknowledgement threads into the request.
  hd::parsed_message reply = mail("a@b.c", "Re: ack", "2@x");
  reply.in_reply_to = "ack1@helpdesk";
  CHECK(ingest(s, reply, "raw2").request_id == r->request_id);
}
