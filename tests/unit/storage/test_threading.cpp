// Threading: subject prefixes, the request tag, and who may use a tag.
#include "hd/storage/threading.hpp"

#include "hd/storage/directory.hpp"
#include "hd/storage/requests.hpp"
#include "hd/storage/workflow.hpp"
#include "storage/storage_test.hpp"

using namespace storage_test;
using hd::storage::ingest_kind;

TEST_CASE("reply and forward prefixes in many languages are stripped") {
  struct row {
    const char* got_subject;
    const char* want;
  };
  const row rows[] = {
      {"Re: printer", "printer"},
      {"RE: printer", "printer"},
      {"AW: printer", "printer"},
      {"SV: Re: AW: printer", "printer"},
      {"VS: printer", "printer"},
      {"Antw: printer", "printer"},
      {"Antwort: printer", "printer"},
      {"Fwd: FW: WG: printer", "printer"},
      {"TR: RV: RES: Enc: printer", "printer"},
      {"Re : printer", "printer"},
      {"Re[2]: printer", "printer"},
      {"Re^3: printer", "printer"},
      {"Re(4): printer", "printer"},
      {"Odp: YNT: Vast: printer", "printer"},
      {"回复：打印机", "打印机"},
      {"返信: プリンター", "プリンター"},
      {"Отв: принтер", "принтер"},
      {"ΑΠ: εκτυπωτής", "εκτυπωτής"},
      {"  re:re:Re:  printer ", "printer"},
      {"Return policy", "Return policy"},
      {"Svar mangler på faktura", "Svar mangler på faktura"},
      {"Re:", ""},
      {"Refund: please", "Refund: please"},
  };
  for (const row& r : rows) {
    CAPTURE(r.got_subject);
    CHECK(hd::storage::strip_reply_prefixes(r.got_subject) == r.want);
  }
}

TEST_CASE("the request tag is found behind any prefixes and tolerates spacing") {
  struct row {
    const char* text;
    const char* prefix;
    std::optional<std::int64_t> want;
  };
  const row rows[] = {
      {"[#12] printer", "#", 12},      {"AW: SV: Re: [#12] printer", "#", 12},
      {"Re: printer [#12]", "#", 12},  {"Re: [ #12 ] printer", "#", 12},
      {"[Ticket#7] x", "ticket#", 7},  {"[#] x", "#", std::nullopt},
      {"[#12x] x", "#", std::nullopt}, {"[#1234567890123456] x", "#", std::nullopt},
      {"[abc] [#5]", "#", 5},          {"no tag", "#", std::nullopt},
  };
  for (const row& r : rows) {
    CAPTURE(r.text);
    CHECK(hd::storage::find_request_tag(r.text, r.prefix) == r.want);
  }
}

TEST_CASE("titles lose prefixes and our tags") {
  CHECK(hd::storage::request_title("Re: [#12] AW: printer", "#") == "printer");
  CHECK(hd::storage::request_title("SV: [#3] skrivaren är trasig [#3]", "#") ==
        "skrivaren är trasig");
  CHECK(hd::storage::request_title("", "#") == "(no subject)");
  CHECK(hd::storage::request_title("Re: [#4]", "#") == "(no subject)");
}

TEST_CASE("a tag after a foreign-language prefix threads into the request") {
  const char* prefixes[] = {"Re: ", "AW: ", "SV: ", "VS: ", "Antw: ", "RE: ", "Fwd: ", "回复: "};
  auto s = open_memory();
  auto first = ingest(s, mail("a@b.c", "help", "1@x"), "r0");
  int n = 0;
  for (const char* p : prefixes) {
    CAPTURE(p);
    std::string subject = std::string(p) + tag(first.request_id) + " help";
    auto r = ingest(s, mail("a@b.c", subject, "p" + std::to_string(++n) + "@x"), subject);
    CHECK(r.kind == ingest_kind::appended);
    CHECK(r.request_id == first.request_id);
  }
}

TEST_CASE("who may use a request tag") {
  auto s = open_memory();
  hd::parsed_message m = mail("owner@customer.no", "help", "1@x");
  m.to = {{"Support", "support@example.com"}};
  m.cc = {{"Colleague", "Colleague@Customer.no"}};
  auto first = ingest(s, m, "r1");
  std::string subject = "Re: " + tag(first.request_id) + " help";

  SUBCASE("the request's person, from another of their addresses: no (a new person)") {
    auto r = ingest(s, mail("owner@other.no", subject, "2@x"), "r2");
    CHECK(r.kind == ingest_kind::created);
  }
  SUBCASE("an address that was Cc'd: yes") {
    auto r = ingest(s, mail("colleague@customer.no", subject, "2@x"), "r2");
    CHECK(r.kind == ingest_kind::appended);
    CHECK(r.request_id == first.request_id);
    CHECK(r.ignored_tag == 0);
  }
  SUBCASE("a stranger: a new request of their own, and the refusal is recorded") {
    auto r = ingest(s, mail("stranger@evil.example", subject, "2@x"), "r2");
    CHECK(r.kind == ingest_kind::created);
    CHECK(r.ignored_tag == first.request_id);
    auto d = hd::storage::show_request(s, r.request_id);
    REQUIRE(d.has_value());
    CHECK(d->events.front().detail.find("takes no part") != std::string::npos);
    CHECK(d->summary.title == "help");
  }
  SUBCASE("a stranger who got our reply by mail (outbox recipient): yes") {
    hd::parsed_message m2 = mail("owner@customer.no", "Re: help", "3@x");
    m2.in_reply_to = "1@x";
    REQUIRE(ingest_with_mails(s, inbound_of(m2, "r3", 1001),
                              {{"reply",
                                "support@example.com",
                                {"owner@customer.no", "Boss@Customer.no"},
                                "x",
                                "o@h",
                                "s",
                                "t"}})
                .has_value());
    auto r = ingest(s, mail("boss@customer.no", subject, "4@x"), "r4");
    CHECK(r.kind == ingest_kind::appended);
  }
  SUBCASE("a Cc'd colleague replying by In-Reply-To to the customer's mail: yes") {
    hd::parsed_message m2 = mail("colleague@customer.no", "Re: help", "2@x");
    m2.in_reply_to = "1@x";
    auto r = ingest(s, m2, "r2");
    CHECK(r.kind == ingest_kind::appended);
    CHECK(r.ignored_reference == 0);
  }
}

// Issue 17.8: a customer's Message-ID is known to everyone they copied, and often guessable;
// only an id helpdeskd generated (random, sent only to the request's people) threads anyone.
TEST_CASE("a stranger naming the customer's Message-ID gets a new, linked request") {
  auto s = open_memory();
  hd::parsed_message m = mail("owner@customer.no", "help", "1@customer.no");
  auto first = ingest_with_mails(
      s, inbound_of(m, "r1", 1000),
      {{"ack", "support@example.com", {"owner@customer.no"}, "x", "ack1@helpdesk", "s", "t"}});
  REQUIRE(first.has_value());

  SUBCASE("In-Reply-To") {
    hd::parsed_message m2 = mail("stranger@evil.example", "Re: help", "2@evil.example");
    m2.in_reply_to = "1@customer.no";
    auto r = ingest(s, m2, "r2");
    CHECK(r.kind == ingest_kind::created);
    CHECK(r.request_id != first->request_id);
    CHECK(r.ignored_reference == first->request_id);
    auto d = hd::storage::show_request(s, r.request_id);
    REQUIRE(d.has_value());
    CHECK(d->linked_to == first->request_id);
    CHECK(d->events.front().detail.find("takes no part") != std::string::npos);
    // ... and the stranger does not take part in the customer's request afterwards.
    auto again = ingest(
        s,
        mail("stranger@evil.example", "Re: " + tag(first->request_id) + " help", "3@evil.example"),
        "r3");
    CHECK(again.kind == ingest_kind::created);
  }
  SUBCASE("References only") {
    hd::parsed_message m2 = mail("stranger@evil.example", "Re: help", "2@evil.example");
    m2.references = {"1@customer.no"};
    auto r = ingest(s, m2, "r2");
    CHECK(r.kind == ingest_kind::created);
    CHECK(r.ignored_reference == first->request_id);
  }
  SUBCASE("an id helpdeskd generated threads anyone (a forwarded acknowledgement)") {
    hd::parsed_message m2 = mail("boss@customer.no", "Re: help", "2@customer.no");
    m2.in_reply_to = "ack1@helpdesk";
    m2.references = {"1@customer.no", "ack1@helpdesk"};
    auto r = ingest(s, m2, "r2");
    CHECK(r.kind == ingest_kind::appended);
    CHECK(r.request_id == first->request_id);
    CHECK(r.ignored_reference == 0);
  }
  SUBCASE("the customer themself threads by their own Message-ID") {
    hd::parsed_message m2 = mail("owner@customer.no", "more", "2@customer.no");
    m2.references = {"1@customer.no"};
    CHECK(ingest(s, m2, "r2").kind == ingest_kind::appended);
  }
  SUBCASE("thread_target agrees with ingest") {
    hd::parsed_message m2 = mail("stranger@evil.example", "Re: help", "2@evil.example");
    m2.in_reply_to = "1@customer.no";
    auto t = hd::storage::thread_target(s, m2, 1001);
    REQUIRE(t.has_value());
    CHECK_FALSE(t->has_value());
  }
}

TEST_CASE("the tag in the body threads only when configured") {
  for (bool in_body : {false, true}) {
    CAPTURE(in_body);
    hd::storage::open_options opt;
    opt.tag_in_body = in_body;
    auto s = open_memory(opt);
    auto first = ingest(s, mail("a@b.c", "help", "1@x"), "r1");
    auto r = ingest(s, mail("a@b.c", "other words", "2@x", "see " + tag(first.request_id)), "r2");
    CHECK((r.kind == ingest_kind::appended) == in_body);
  }
}

TEST_CASE("replies to closed requests reopen them, unless closed too long ago") {
  hd::storage::open_options opt;
  opt.reopen_within_days = 10;
  auto s = open_memory(opt);
  auto first = ingest(s, mail("a@b.c", "help", "1@x"), "r1", 1000);
  REQUIRE(hd::storage::close_request(s, first.request_id, {"agent", 2000}).has_value());

  hd::parsed_message reply = mail("a@b.c", "Re: help", "2@x");
  reply.in_reply_to = "1@x";
  auto r = ingest(s, reply, "r2", 2000 + 86400);
  CHECK(r.kind == ingest_kind::appended);
  CHECK(s.list_requests({})->front().status == "open");

  REQUIRE(hd::storage::close_request(s, first.request_id, {"agent", 5000}).has_value());
  hd::parsed_message late = mail("a@b.c", "Re: " + tag(first.request_id) + " help", "3@x");
  auto l = ingest(s, late, "r3", 5000 + 11 * 86400);
  CHECK(l.kind == ingest_kind::created);
  auto d = hd::storage::show_request(s, l.request_id);
  REQUIRE(d.has_value());
  CHECK(d->linked_to == first.request_id);
  CHECK(d->summary.title == "help");
  CHECK(hd::storage::show_request(s, first.request_id)->follow_ups ==
        std::vector<std::int64_t>{l.request_id});
}

namespace {

bool has_event(const hd::storage::request_detail& d, std::string_view kind) {
  for (const auto& e : d.events)
    if (e.kind == kind) return true;
  return false;
}

}  // namespace

TEST_CASE("automatic mail joins its request without reopening it, however old") {
  hd::storage::open_options opt;
  opt.reopen_within_days = 10;
  auto s = open_memory(opt);
  auto first = ingest(s, mail("a@b.c", "help", "1@x"), "r1", 1000);
  REQUIRE(hd::storage::close_request(s, first.request_id, {"agent", 2000}).has_value());

  hd::parsed_message ooo = mail("a@b.c", "Automatic reply: help", "2@x");
  ooo.in_reply_to = "1@x";
  ooo.robot.auto_submitted = ooo.robot.out_of_office = true;
  ooo.robot.reason = "Auto-Submitted: auto-replied";
  // Closed 30 days ago, beyond reopen_within_days: a person's reply would open a new request.
  auto r = ingest(s, ooo, "r2", 2000 + 30 * 86400);
  CHECK(r.kind == ingest_kind::appended);
  CHECK(r.request_id == first.request_id);
  auto d = hd::storage::show_request(s, first.request_id);
  REQUIRE(d.has_value());
  CHECK(d->summary.status == "closed");
  CHECK(has_event(*d, "auto_reply"));
  CHECK_FALSE(has_event(*d, "reopened"));
  CHECK(s.list_requests({})->size() == 1);  // no new request either
}

TEST_CASE("a bounce threads by the Message-ID in its report when it is ours") {
  auto s = open_memory();
  // The customer's mail and our acknowledgement, queued in the same transaction as the
  // outbox does: an outbound message with our own Message-ID.
  hd::parsed_message help = mail("a@b.c", "help", "1@x");
  hd::storage::outgoing_mail ack{"ack",   "support@example",          {"a@b.c"},
                                 "x\r\n", "hd.1.2.3@support.example", "Re: help",
                                 "thanks"};
  auto first = ingest_with_mails(s, inbound_of(help, "r1", 1000), {ack});
  REQUIRE(first.has_value());

  hd::parsed_message dsn = mail("MAILER-DAEMON@mx.example", "Undelivered Mail Returned", "9@mx");
  dsn.robot.auto_submitted = dsn.robot.delivery_status = true;
  dsn.robot.reason = "a delivery-status notification";
  dsn.robot.original_message_id = "hd.1.2.3@support.example";
  auto r = ingest(s, dsn, "r2", 3000);
  CHECK(r.kind == ingest_kind::appended);
  CHECK(r.request_id == first->request_id);
  auto d = hd::storage::show_request(s, first->request_id);
  REQUIRE(d.has_value());
  CHECK(has_event(*d, "delivery_report"));
  CHECK(d->summary.status == "open");
}

TEST_CASE("automatic mail that refers to no request is closed at once and tagged") {
  auto s = open_memory();
  hd::parsed_message ooo = mail("x@y.z", "Out of office", "5@y");
  ooo.robot.auto_submitted = ooo.robot.out_of_office = true;
  auto r = ingest(s, ooo, "r1", 1000);
  CHECK(r.kind == ingest_kind::created);
  auto d = hd::storage::show_request(s, r.request_id);
  REQUIRE(d.has_value());
  CHECK(d->summary.status == "closed");
  CHECK(d->tags == std::vector<std::string>{std::string(hd::storage::k_automatic_tag)});
  hd::storage::request_filter open;
  open.status = "open";
  CHECK(s.list_requests(open)->empty());

  // List mail alone is not automatic: people write through lists.
  hd::parsed_message list = mail("p@y.z", "question", "6@y");
  list.robot.bulk = true;
  auto l = ingest(s, list, "r2", 1000);
  CHECK(hd::storage::show_request(s, l.request_id)->summary.status == "open");
}
