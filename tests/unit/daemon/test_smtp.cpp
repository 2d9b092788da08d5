// hd/daemon/smtp.hpp: URL, classification, envelope checks; storage outbox verbs it drives.
#include "hd/service/outbox_delivery.hpp"

#include "daemon_test.hpp"

#include <curl/curl.h>
#include <doctest/doctest.h>

using namespace hd;
using namespace hd::daemon;

TEST_CASE("smtp_url carries the EHLO name as its path") {
  smtp_config c;
  c.host = "127.0.0.1";
  c.port = 2525;
  c.tls = tls_mode::starttls;
  c.helo_name = "helpdesk.example.com";
  CHECK(smtp_url(c) == "smtp://127.0.0.1:2525/helpdesk.example.com");
  c.tls = tls_mode::implicit;
  c.host = "::1";
  c.helo_name = "bad name\r\n";
  CHECK(smtp_url(c) == "smtps://[::1]:2525/localhost");
}

TEST_CASE("classify_smtp") {
  struct row {
    const char* name;
    int code;
    long response;
    const char* reply;
    delivery want;
  };
  for (const row& r : {
           row{"accepted", CURLE_OK, 250, "250 2.0.0 OK", delivery::sent},
           row{"451 at DATA", CURLE_WEIRD_SERVER_REPLY, 451, "451 4.3.0 later",
               delivery::temporary},
           row{"550 at RCPT", CURLE_SEND_ERROR, 550, "550 5.1.1 unknown", delivery::permanent},
           row{"554 at DATA", CURLE_WEIRD_SERVER_REPLY, 554, "554 5.7.1 spam", delivery::permanent},
           row{"refused", CURLE_COULDNT_CONNECT, 0, "", delivery::temporary},
           row{"timeout", CURLE_OPERATION_TIMEDOUT, 0, "", delivery::temporary},
           row{"bad cert", CURLE_PEER_FAILED_VERIFICATION, 0, "", delivery::temporary},
           row{"login denied", CURLE_LOGIN_DENIED, 535, "535 5.7.8 bad", delivery::temporary},
       }) {
    SUBCASE(r.name) {
      send_outcome got = classify_smtp(r.code, r.response, r.reply, "");
      CHECK(got.kind == r.want);
      CHECK_FALSE(got.reply.empty());
      if (*r.reply) CHECK(got.reply.starts_with(r.reply));
    }
  }
}

TEST_CASE("smtp_transfer refuses envelopes that could inject SMTP commands") {
  smtp_config c;
  storage::outbox_item it;
  it.id = 1;
  it.mail_from = "support@example.com";
  it.bytes = "Subject: x\r\n\r\nx\r\n";
  for (const char* rcpt : {"a@b.example>\r\nRCPT TO:<v@evil.example", "", "a b@c.example"}) {
    CAPTURE(rcpt);
    it.recipients = {rcpt};
    auto t = transfer_of(c, it);
    REQUIRE_FALSE(t.has_value());
    CHECK(t.error().code == smtp_errc::bad_envelope);
  }
  it.recipients = {"jan@c.example"};
  auto ok = transfer_of(c, it);
  REQUIRE(ok.has_value());
  CHECK(ok->easy_handle() != nullptr);
  CHECK(ok->outbox_id() == 1);
  smtp_transfer moved = std::move(*ok);
  CHECK(moved.easy_handle() != nullptr);
}

TEST_CASE("the SMTP layer's own wall holds without the outbox's addr-spec check") {
  // net/ is handed an envelope by any caller: it must refuse what could bend RCPT TO / MAIL FROM
  // on its own, even when the outbox's is_safe_addr_spec check is bypassed.
  smtp_config c;
  for (const char* bad : {"a@b.example>\r\nRCPT TO:<v@evil.example", "a b@c.example",
                          "a@b.example\nDATA", "<a@b.example>", ""}) {
    CAPTURE(bad);
    auto rcpt = smtp_transfer::make(c, {1, "support@example.com", {bad}, "x\r\n"});
    REQUIRE_FALSE(rcpt.has_value());
    CHECK(rcpt.error().code == smtp_errc::bad_envelope);
    if (*bad == 0) continue;  // an empty sender is the null reverse-path, allowed
    auto from = smtp_transfer::make(c, {1, bad, {"jan@c.example"}, "x\r\n"});
    REQUIRE_FALSE(from.has_value());
    CHECK(from.error().code == smtp_errc::bad_envelope);
  }
  CHECK(smtp_transfer::make(c, {1, "", {"jan@c.example"}, "x\r\n"}).has_value());
}

TEST_CASE("outbox verbs: claim, defer with backoff, give up, recover, retry") {
  auto db = storage::store::open(":memory:");
  REQUIRE(db.has_value());
  daemon_test::ingest_queuing(*db, "From: a@c.example\nSubject: s\nMessage-ID: <1@c>\n\nx\n",
                              "ack");
  storage::retry_policy p;
  CHECK(storage::backoff_seconds(p, 1) == 300);
  CHECK(storage::backoff_seconds(p, 2) == 600);
  CHECK(storage::backoff_seconds(p, 4) == 2400);
  CHECK(storage::backoff_seconds(p, 9) == 3600);

  auto c1 = storage::claim_outbox(*db, 1000, 10);
  REQUIRE(c1.has_value());
  REQUIRE(c1->size() == 1);
  auto again = storage::claim_outbox(*db, 1000, 10);
  REQUIRE(again.has_value());
  CHECK(again->empty());  // never claimed twice
  auto gave_up = storage::mark_deferred(*db, 1, 1000, "451 later", p);
  REQUIRE(gave_up.has_value());
  CHECK_FALSE(*gave_up);
  CHECK(storage::claim_outbox(*db, 1299, 10)->empty());
  CHECK(storage::claim_outbox(*db, 1300, 10)->size() == 1);

  // Interrupted while sending: settled only once stale. An acknowledgement may have reached
  // the customer, so it is not sent again by itself (at most once): failed, with an event.
  CHECK(*storage::recover_stale_sending(*db, 1400, 600) == 0);
  CHECK(*storage::recover_stale_sending(*db, 1901, 600) == 1);
  CHECK(storage::claim_outbox(*db, 1901, 10)->empty());
  auto uncertain = storage::get_outbox_item(*db, 1);
  REQUIRE(uncertain.has_value());
  CHECK(uncertain->status == "failed");
  CHECK(storage::retry_outbox(*db, 1, 1901).value() == 1);  // an agent decides to send it
  auto c3 = storage::claim_outbox(*db, 1901, 10);
  REQUIRE(c3->size() == 1);
  CHECK(c3->front().attempts == 3);

  // Days later a temporary failure gives up.
  auto late = storage::mark_deferred(*db, 1, 1000 + 5 * 86400, "451 still", p);
  REQUIRE(late.has_value());
  CHECK(*late);
  auto item = storage::get_outbox_item(*db, 1);
  REQUIRE(item.has_value());
  CHECK(item->status == "failed");
  CHECK(*storage::retry_outbox(*db, std::nullopt, 500000) == 1);
  CHECK(storage::claim_outbox(*db, 500000, 10)->size() == 1);
  REQUIRE(storage::mark_sent(*db, 1, 500001, "250 ok").has_value());
  CHECK(storage::get_outbox_item(*db, 1)->status == "sent");

  CHECK(*storage::count_auto_replies(*db, "A@c.example", 0) == 0);
  REQUIRE(storage::record_auto_reply(*db, "A@c.example", 1, 10).has_value());
  CHECK(*storage::count_auto_replies(*db, "a@c.example", 0) == 1);
  CHECK(*storage::count_auto_replies(*db, "a@c.example", 11) == 0);
  REQUIRE(storage::suppress_address(*db, "A@c.example", "bounce", 100, 10).has_value());
  CHECK(storage::suppression_of(*db, "a@c.example", 50)->has_value());
  CHECK_FALSE(storage::suppression_of(*db, "a@c.example", 100)->has_value());
}

TEST_CASE("an interrupted reply an agent wrote is sent again (at least once)") {
  auto db = storage::store::open(":memory:");
  REQUIRE(db.has_value());
  daemon_test::ingest_queuing(*db, "From: a@c.example\n\nx\n", "reply");
  REQUIRE(storage::claim_outbox(*db, 1000, 10)->size() == 1);
  CHECK(*storage::recover_stale_sending(*db, 1601, 600) == 1);
  auto again = storage::claim_outbox(*db, 1601, 10);
  REQUIRE(again.has_value());
  CHECK(again->size() == 1);
}
