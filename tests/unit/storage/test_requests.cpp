// requests show, attachments, quarantine.
#include "hd/storage/quarantine.hpp"
#include "hd/storage/requests.hpp"

#include "storage/storage_test.hpp"

using namespace storage_test;
namespace st = hd::storage;

namespace {

hd::attachment att(std::string name, std::string data, std::string sha) {
  return {std::move(name), "application/pdf", "attachment",
          std::nullopt,    std::move(sha),    std::move(data)};
}

}  // namespace

TEST_CASE("show_request returns everything an agent needs") {
  auto s = open_memory();
  hd::parsed_message m = mail("asa@example.no", "SV: Faktura", "1@x", "Hei, fakturaen mangler.");
  m.from->name = "Åsa";
  m.to = {{"Support", "Support@Example.com"}};
  m.cc = {{"", "boss@example.no"}};
  m.html = "<p>Hei</p>";
  m.date = 1700000000;
  m.attachments = {att("faktura.pdf", "%PDF-1", "aa"), att("same.pdf", "%PDF-1", "aa")};
  m.defects = {"subject: undeclared 8-bit text read as windows-1252",
               "unsafe attachment filename repaired: '../x' -> 'x'"};
  auto in = inbound_of(m, "raw", 1000);
  in.route.tags = {"billing", "vip"};
  auto r = s.ingest(in);
  REQUIRE(r.has_value());

  auto d = st::show_request(s, r->request_id);
  REQUIRE(d.has_value());
  CHECK(d->summary.title == "Faktura");
  CHECK(d->summary.status == "open");
  CHECK(d->summary.person_name == "Åsa");
  CHECK(d->person_addresses == std::vector<std::string>{"asa@example.no"});
  CHECK(d->tags == std::vector<std::string>{"billing", "vip"});
  REQUIRE(d->messages.size() == 1);
  const st::message_detail& msg = d->messages[0];
  CHECK(msg.direction == "in");
  CHECK(msg.message_id == "1@x");
  CHECK(msg.body_text == "Hei, fakturaen mangler.");
  CHECK(msg.body_html == "<p>Hei</p>");
  CHECK(msg.defects == m.defects);  // kept in the parser's order
  CHECK(msg.sent_at == 1700000000);
  REQUIRE(msg.to.size() == 1);
  CHECK(msg.to[0].addr == "support@example.com");
  REQUIRE(msg.cc.size() == 1);
  CHECK(msg.cc[0].addr == "boss@example.no");
  REQUIRE(msg.attachments.size() == 2);
  CHECK(msg.attachments[1].filename == "same.pdf");
  CHECK(msg.attachments[1].size == 6);
  REQUIRE(d->events.size() == 1);
  CHECK(d->events[0].kind == "created");
  CHECK(st::show_request(s, 999).error().code == st::errc::not_found);

  auto files = st::request_attachments(s, r->request_id);
  REQUIRE(files.has_value());
  REQUIRE(files->size() == 2);
  CHECK((*files)[0].bytes == "%PDF-1");
  auto counts = st::row_counts(s);
  REQUIRE(counts.has_value());
  for (const auto& [table, n] : *counts) {
    if (table == "attachments") CHECK(n == 1);  // stored once by SHA-256
  }
  CHECK(st::request_attachments(s, r->request_id, r->message_id)->size() == 2);
  CHECK(st::request_attachments(s, r->request_id, 12345).error().code == st::errc::not_found);
  CHECK(st::request_attachments(s, 999).error().code == st::errc::not_found);
}

TEST_CASE("quarantine: list, show, resolve, drop keeps an audit record, purge erases bytes") {
  auto s = open_memory();
  auto q1 = s.quarantine({"support", "INBOX", 7, 42}, "garbage bytes", "no headers", 100);
  auto q2 = s.quarantine({"stdin", {}, {}, {}}, "more garbage", "no sender", 101);
  REQUIRE(q1.has_value());
  REQUIRE(q2.has_value());
  auto list = st::list_quarantine(s, false);
  REQUIRE(list.has_value());
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].reason == "no headers");
  CHECK((*list)[0].source.uid == 42);
  CHECK((*list)[0].size == 13);
  CHECK(st::quarantine_raw(s, *q1).value() == "garbage bytes");

  auto r = st::resolve_quarantine(s, *q1, "reprocessed: request 5", "agent", std::nullopt, 200);
  REQUIRE(r.has_value());
  CHECK(r->resolved_at == 200);
  CHECK(st::resolve_quarantine(s, *q1, "again", "agent", std::nullopt, 201).error().code ==
        st::errc::invalid);
  CHECK(st::drop_quarantine(s, *q1, "agent", "", false, 201).error().code == st::errc::invalid);

  auto d = st::drop_quarantine(s, *q2, "agent", "spam", false, 300);
  REQUIRE(d.has_value());
  CHECK(d->resolution == "dropped: spam");
  CHECK_FALSE(d->purged);
  CHECK(st::quarantine_raw(s, *q2).value() == "more garbage");
  auto p = st::drop_quarantine(s, *q2, "agent", "", true, 301);
  REQUIRE(p.has_value());
  CHECK(p->purged);
  CHECK(p->size == 12);
  CHECK(st::quarantine_raw(s, *q2).value().empty());

  CHECK(st::list_quarantine(s, false)->empty());
  CHECK(st::list_quarantine(s, true)->size() == 2);  // nothing is deleted
  CHECK(st::show_quarantine(s, 77).error().code == st::errc::not_found);
}

TEST_CASE("quarantined bytes are not a duplicate of the same mail ingested later") {
  auto s = open_memory();
  REQUIRE(s.quarantine({"stdin", {}, {}, {}}, "same bytes", "parse timeout", 1).has_value());
  auto r = ingest(s, mail("a@b.c", "x"), "same bytes");  // no Message-ID: hash comparison
  CHECK(r.kind == st::ingest_kind::created);
  CHECK(ingest(s, mail("a@b.c", "x"), "same bytes").kind == st::ingest_kind::duplicate);
}
