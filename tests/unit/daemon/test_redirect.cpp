// redirect.hpp: the redirected copy's bytes, when a redirect is refused, and the hooks that
// queue copies in the ingest transaction (rate limit, events, discarded mail).
#include "hd/intake/redirect.hpp"

#include "daemon_test.hpp"

#include "hd/common/config.hpp"
#include "hd/mailparse/parser.hpp"
#include "hd/storage/directory.hpp"
#include "hd/storage/outbox.hpp"

#include <doctest/doctest.h>

using namespace hd;
using namespace hd::daemon;

namespace {

config test_config() {
  return daemon_test::config_of(
      "[outgoing]\nfrom_address = \"support@example.com\"\n"
      "[ack]\nenabled = false\nrate_limit_count = 2\n"
      "[[mailbox]]\nname = \"support\"\naddress = \"help@example.com\"\n");
}

parsed_message parse(const std::string& raw) { return daemon_test::parse_ok(raw); }

const std::string original =
    "From jan@c.example Mon Jan  1 00:00:00 2026\n"
    "Return-Path: <jan@c.example>\n"
    "X-Sieve: Pigeonhole\n"
    "X-Sieve-Redirected-From: someone@elsewhere.example\n"
    "From: Jan <jan@c.example>\n"
    "To: help@example.com\n"
    "Subject: =?UTF-8?Q?Factuur_klopt_niet?=\n"
    " (folded)\n"
    "Message-ID: <r1@c.example>\n"
    "\n"
    "Return-Path: this line is body, kept\n"
    ".a dot line\n";

}  // namespace

TEST_CASE("redirect_copy: the original, unchanged but for Pigeonhole's fields, CRLF") {
  std::string got = redirect_copy(original, "help@example.com");
  std::string want =
      "X-Sieve: helpdeskd\r\n"
      "X-Sieve-Redirected-From: help@example.com\r\n"
      "From: Jan <jan@c.example>\r\n"
      "To: help@example.com\r\n"
      "Subject: =?UTF-8?Q?Factuur_klopt_niet?=\r\n"
      " (folded)\r\n"
      "Message-ID: <r1@c.example>\r\n"
      "\r\n"
      "Return-Path: this line is body, kept\r\n"
      ".a dot line\r\n";
  CHECK(got == want);
  SUBCASE("CRLF input stays CRLF, no line is doubled") {
    std::string crlf;
    for (char c : original) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    CHECK(redirect_copy(crlf, "help@example.com") == want);
  }
  SUBCASE("an unsafe address of ours is never written into the header") {
    CHECK(redirect_copy("A: b\n\nx", "x\r\nBcc: y@z")
              .starts_with("X-Sieve: helpdeskd\r\nX-Sieve-Redirected-From: \r\nA: b\r\n"));
  }
}

TEST_CASE("redirect_block: own addresses, the sender, loops, bad addresses") {
  config cfg = test_config();
  struct row {
    const char* name;
    const char* extra;
    const char* target;
    bool blocked;
  };
  for (const row& r : {
           row{"a colleague", "", "sales@company.example", false},
           row{"our from_address", "", "Support@Example.com", true},
           row{"our mailbox", "", "help@example.com", true},
           row{"the sender", "", "JAN@c.example", true},
           row{"the envelope sender", "Return-Path: <bounce@c.example>\n", "bounce@c.example",
               true},
           row{"redirected by us before", "X-Sieve-Redirected-From: help@example.com\n",
               "sales@company.example", true},
           row{"redirected by someone else", "X-Sieve-Redirected-From: a@b.example\n",
               "sales@company.example", false},
           row{"X-Loop us", "X-Loop: support@example.com\n", "sales@company.example", true},
           row{"CRLF injection", "", "a@b.example\r\nRCPT TO:<c@d.example>", true},
           row{"not an address", "", "sales", true},
       }) {
    SUBCASE(r.name) {
      parsed_message m =
          parse(std::string("From: Jan <jan@c.example>\nSubject: x\n") + r.extra + "\nbody\n");
      rules::envelope env;
      if (const header_field* rp = m.header("Return-Path")) env.from = rp->value;
      CHECK(redirect_block(cfg, m, env, r.target).has_value() == r.blocked);
    }
  }
}

TEST_CASE("redirect_mails: queued in the mail's unit of work, with events and a rate limit") {
  config cfg = test_config();
  auto db = storage::store::open(":memory:");
  REQUIRE(db.has_value());
  std::string raw = "From: Jan <jan@c.example>\nTo: help@example.com\nSubject: order\n\nhi\n";
  parsed_message m = parse(raw);
  auto ingest = [&](std::int64_t now, std::vector<std::string> targets, std::string uid) {
    std::string r = raw + uid;  // different bytes: not a duplicate
    storage::inbound in;
    in.source.mailbox = "support";
    in.raw = r;
    in.parsed = &m;
    in.now = now;
    auto unit = storage::write_batch::begin(*db);
    REQUIRE(unit.has_value());
    auto o = db->ingest(in);
    REQUIRE(o.has_value());
    auto copies = redirect_mails(redirect_input{cfg, *db, m, r, "support", {}, targets, now}, *o);
    REQUIRE(copies.has_value());
    REQUIRE(storage::queue_mails(*db, o->request_id, *copies, now).has_value());
    REQUIRE(unit->commit().has_value());
    return o->request_id;
  };
  std::int64_t r1 = ingest(1000, {"sales@company.example", "Sales@Company.example"}, "1");
  auto items = storage::list_outbox(*db, {});
  REQUIRE(items.has_value());
  REQUIRE(items->size() == 1);  // the same address twice is one copy (as Pigeonhole)
  CHECK(items->front().kind == "redirect");
  CHECK(items->front().mail_from == "help@example.com");
  CHECK(items->front().recipients == std::vector<std::string>{"sales@company.example"});
  CHECK(items->front().request_id == r1);
  ingest(1001, {"sales@company.example"}, "2");
  ingest(1002, {"sales@company.example"}, "3");  // the third within the window: suppressed
  items = storage::list_outbox(*db, {});
  CHECK(items->size() == 2);
  ingest(1002 + cfg.ack.rate_limit_window_s, {"sales@company.example"}, "4");
  items = storage::list_outbox(*db, {});
  CHECK(items->size() == 3);
  auto suppressed = storage::count_redirects(*db, "jan@c.example", "sales@company.example", 0);
  CHECK(*suppressed == 3);
}

TEST_CASE("redirect_discarded: queued without a request, the reason says so") {
  config cfg = test_config();
  auto db = storage::store::open(":memory:");
  REQUIRE(db.has_value());
  std::string raw = "From: jan@c.example\nReturn-Path: <>\nSubject: bounce\n\nx\n";
  parsed_message m = parse(raw);
  rules::envelope env;  // empty envelope sender, known from Return-Path: <>
  redirect_input in{cfg, *db, m, raw, "support", env, {"ops@company.example", "help@example.com"},
                    5000};
  in.null_sender = true;
  storage::mail_source src{"support", std::nullopt, std::nullopt, std::nullopt};
  std::string reason = "redirected by r.sieve:3 without keep";
  auto copies = redirect_discarded(in, reason);
  REQUIRE(copies.has_value());
  auto kept = storage::keep_discarded(*db, src, raw, reason, 5000);
  REQUIRE(kept.has_value());
  REQUIRE(storage::queue_mails(*db, 0, *copies, 5000).has_value());
  auto items = storage::list_outbox(*db, {});
  REQUIRE(items.has_value());
  REQUIRE(items->size() == 1);
  CHECK(!items->front().request_id.has_value());
  CHECK(items->front().mail_from.empty());  // a redirected bounce keeps the null sender
  auto full = storage::get_outbox_item(*db, items->front().id);
  REQUIRE(full.has_value());
  CHECK(full->bytes.starts_with("X-Sieve: helpdeskd\r\n"));
  CHECK(full->bytes.find("Return-Path") == std::string::npos);
}
