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
  // SERVER: a temporary failure of the server (every mail would fail alike), which the
  // sender backs off as a whole, rather than of this mail (its own backoff).
  struct row {
    const char* name;
    int code;
    long response;
    const char* reply;
    delivery want;
    bool server;
  };
  for (const row& r : {
           row{"accepted", CURLE_OK, 250, "250 2.0.0 OK", delivery::sent, false},
           row{"451 at DATA", CURLE_WEIRD_SERVER_REPLY, 451, "451 4.3.0 later", delivery::temporary,
               false},
           row{"452 at RCPT, no code from curl", CURLE_SEND_ERROR, 0, "452 4.2.2 full",
               delivery::temporary, false},
           row{"421 closing", CURLE_WEIRD_SERVER_REPLY, 421, "421 4.3.2 shutting down",
               delivery::temporary, true},
           row{"550 at RCPT", CURLE_SEND_ERROR, 550, "550 5.1.1 unknown", delivery::permanent,
               false},
           row{"554 at DATA", CURLE_WEIRD_SERVER_REPLY, 554, "554 5.7.1 spam", delivery::permanent,
               false},
           row{"refused", CURLE_COULDNT_CONNECT, 0, "", delivery::temporary, true},
           row{"timeout", CURLE_OPERATION_TIMEDOUT, 0, "", delivery::temporary, true},
           row{"bad cert", CURLE_PEER_FAILED_VERIFICATION, 0, "", delivery::temporary, true},
           row{"login denied", CURLE_LOGIN_DENIED, 535, "535 5.7.8 bad", delivery::temporary, true},
       }) {
    SUBCASE(r.name) {
      send_outcome got = classify_smtp(r.code, r.response, r.reply, "");
      CHECK(got.kind == r.want);
      CHECK_FALSE(got.reply.empty());
      if (*r.reply) CHECK(got.reply.starts_with(r.reply));
      if (got.kind == delivery::temporary) CHECK(got.server == r.server);
    }
  }
}

TEST_CASE("a server failure puts the mail back without counting it; its own backoff stays") {
  auto db = storage::store::open(":memory:");
  REQUIRE(db.has_value());
  daemon_test::ingest_queuing(*db, "From: a@c.example\nSubject: s\nMessage-ID: <1@c>\n\nx\n",
                              "ack");
  storage::retry_policy p;
  REQUIRE(storage::claim_outbox(*db, 1000, 10)->size() == 1);
  // The mail's own failure: attempt 1 counted, due after min_backoff_s.
  REQUIRE_FALSE(*storage::mark_deferred(*db, 1, 1000, "451 later", p));
  CHECK(storage::get_outbox_item(*db, 1)->attempts == 1);
  CHECK(storage::claim_outbox(*db, 1299, 10)->empty());
  // The server then is down at each try: not counted, due again at the time given.
  for (std::int64_t t : {1300, 1310, 1330}) {
    REQUIRE(storage::claim_outbox(*db, t, 10)->size() == 1);
    REQUIRE_FALSE(*storage::mark_server_deferred(*db, 1, t, t + 5, "connection refused", p));
    auto it = storage::get_outbox_item(*db, 1);
    REQUIRE(it.has_value());
    CHECK(it->status == "queued");
    CHECK(it->attempts == 1);
    CHECK(it->last_error == "connection refused");
    CHECK(storage::claim_outbox(*db, t + 4, 10)->empty());
  }
  // A mail older than give_up_after_s is failed even so.
  REQUIRE(storage::claim_outbox(*db, 1335, 10)->size() == 1);
  CHECK(*storage::mark_server_deferred(*db, 1, 1000 + p.give_up_after_s, 1000 + p.give_up_after_s,
                                       "connection refused", p));
  CHECK(storage::get_outbox_item(*db, 1)->status == "failed");
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

  // Interrupted while sending: settled only once stale. With acknowledgements not in
  // [smtp] resend_in_doubt, one that may have reached the customer is not sent again by
  // itself (at most once): failed, with an event.
  const std::vector<std::string> agents_only{"reply", "forward"};
  CHECK(*storage::recover_stale_sending(*db, 1400, 600, agents_only) == 0);
  CHECK(*storage::recover_stale_sending(*db, 1901, 600, agents_only) == 1);
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

TEST_CASE("mail in doubt is sent again with the same bytes when its kind is in resend_in_doubt") {
  // The default [smtp] resend_in_doubt: acknowledgements and agents' mail at least once.
  const std::vector<std::string> resend = smtp_config{}.resend_in_doubt;
  CHECK(resend == std::vector<std::string>{"ack", "reply", "forward"});
  for (const char* kind : {"ack", "reply", "forward", "redirect"}) {
    CAPTURE(kind);
    auto db = storage::store::open(":memory:");
    REQUIRE(db.has_value());
    daemon_test::ingest_queuing(*db, "From: a@c.example\n\nx\n", kind);
    auto first = storage::claim_outbox(*db, 1000, 10);
    REQUIRE(first->size() == 1);
    CHECK(*storage::recover_stale_sending(*db, 1599, 600, resend) == 0);  // not settled yet
    CHECK(*storage::recover_stale_sending(*db, 1601, 600, resend) == 1);
    auto again = storage::claim_outbox(*db, 1601, 10);
    REQUIRE(again.has_value());
    if (std::string_view(kind) == "redirect") {
      CHECK(again->empty());  // at most once: failed, for an agent to retry
      CHECK(storage::get_outbox_item(*db, 1)->status == "failed");
      continue;
    }
    REQUIRE(again->size() == 1);
    // The same bytes, so the same Message-ID: a second copy is recognisably the same mail.
    CHECK(again->front().bytes == first->front().bytes);
    CHECK_FALSE(again->front().bytes.empty());
  }
}

TEST_CASE("each pass over the outbox prunes the auto-reply log to its horizon") {
  // The horizon: the longest look-back that reads the log ([ack] rate_limit_window_s, or a day
  // for "already acknowledged today") and a day more.
  CHECK(auto_reply_keep_s(daemon_test::config_of("")) == 2 * 86400);
  hd::config cfg = daemon_test::config_of("[ack]\nrate_limit_window_s = 172800\n");
  CHECK(auto_reply_keep_s(cfg) == 3 * 86400);
  auto db = storage::store::open(":memory:");
  REQUIRE(db.has_value());
  const std::int64_t now = 30 * 86400, horizon = now - 3 * 86400;
  REQUIRE(storage::record_redirect(*db, "a@c.example", "t@c.example", 0, horizon - 1).has_value());
  REQUIRE(storage::record_redirect(*db, "a@c.example", "t@c.example", 0, horizon).has_value());
  REQUIRE(storage::record_redirect(*db, "a@c.example", "t@c.example", 0, now - 60).has_value());
  hd::logger log(hd::log_level::error);
  // No [smtp] section: nothing is sent, and the log is pruned all the same.
  drain_stats st = drain_outbox(cfg, *db, log, now);
  CHECK(st.pruned == 1);
  CHECK(st.attempted == 0);
  CHECK(*storage::count_redirects(*db, "a@c.example", "t@c.example", 0) == 2);
  CHECK(*storage::count_redirects(*db, "a@c.example", "t@c.example", horizon) == 2);
  CHECK(drain_outbox(cfg, *db, log, now).pruned == 0);
}
