// hd/daemon/ack.hpp: when not to auto-reply, bounces, language choice, the hook end to end.
#include "hd/intake/ack.hpp"

#include "daemon_test.hpp"

#include "hd/common/config.hpp"
#include "hd/mailparse/parser.hpp"
#include "hd/storage/requests.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <filesystem>

using namespace hd;
using namespace hd::daemon;

namespace {

config test_config() {
  return daemon_test::config_of(
      "[outgoing]\nfrom_address = \"support@example.com\"\n"
      "message_id_domain = \"helpdesk.example.com\"\n"
      "templates_dir = \"" HD_SOURCE_DIR
      "/etc/templates\"\n"
      "[[mailbox]]\nname = \"support\"\naddress = \"help@example.com\"\n");
}

parsed_message parse(const std::string& raw) { return daemon_test::parse_ok(raw); }

std::string mail(const std::string& from, const std::string& extra,
                 const std::string& body = "Hello, my printer is broken.\n") {
  std::string subject = extra.starts_with("Subject:") ? "" : "Subject: help\n";
  return "From: " + from + "\nTo: support@example.com\n" + subject +
         "Message-ID: <x1@c.example>\n" + extra + "\n" + body;
}

}  // namespace

TEST_CASE("auto_reply_block: robots, lists, loops and people") {
  config cfg = test_config();
  struct row {
    const char* name;
    const char* from;
    const char* extra;
    bool blocked;
  };
  for (const row& r : {
           row{"person", "Jan <jan@c.example>", "", false},
           row{"Auto-Submitted: no", "jan@c.example", "Auto-Submitted: no\n", false},
           row{"auto-replied", "jan@c.example", "Auto-Submitted: auto-replied\n", true},
           row{"auto-generated", "jan@c.example", "Auto-Submitted: Auto-Generated\n", true},
           row{"bulk", "jan@c.example", "Precedence: bulk\n", true},
           row{"junk", "jan@c.example", "Precedence: junk\n", true},
           row{"first-class", "jan@c.example", "Precedence: first-class\n", false},
           row{"List-Id", "jan@c.example", "List-Id: <l.c.example>\n", true},
           row{"List-Unsubscribe", "jan@c.example", "List-Unsubscribe: <mailto:x@c>\n", true},
           row{"XARS OOF", "jan@c.example", "X-Auto-Response-Suppress: DR, OOF\n", true},
           row{"XARS All", "jan@c.example", "X-Auto-Response-Suppress: All\n", true},
           row{"XARS DR only", "jan@c.example", "X-Auto-Response-Suppress: DR\n", false},
           row{"X-Loop us", "jan@c.example", "X-Loop: Support@Example.com\n", true},
           row{"X-Loop mailbox", "jan@c.example", "X-Loop: help@example.com\n", true},
           row{"X-Loop other", "jan@c.example", "X-Loop: other@elsewhere.example\n", false},
           row{"empty Return-Path", "jan@c.example", "Return-Path: <>\n", true},
           row{"Return-Path", "jan@c.example", "Return-Path: <jan@c.example>\n", false},
           row{"mailer-daemon", "MAILER-DAEMON@c.example", "", true},
           row{"postmaster", "postmaster@c.example", "", true},
           row{"noreply", "noreply@c.example", "", true},
           row{"no-reply prefix", "no-reply-billing@c.example", "", true},
           row{"donotreply", "DoNotReply@c.example", "", true},
           row{"list bounces", "users-bounces@lists.c.example", "", true},
           row{"our address", "Support@example.com", "", true},
           row{"our mailbox", "help@example.com", "", true},
           row{"report", "jan@c.example", "Content-Type: multipart/report; boundary=x\n", true},
       }) {
    SUBCASE(r.name) {
      std::string raw = mail(r.from, r.extra);
      auto got = auto_reply_block(parse(raw), raw, cfg);
      CHECK(got.has_value() == r.blocked);
    }
  }
  SUBCASE("our own Message-ID domain") {
    std::string raw =
        "From: a@c.example\nSubject: x\nMessage-ID: <hd.1.2.ab@helpdesk.example.com>\n\nx\n";
    CHECK(auto_reply_block(parse(raw), raw, cfg).has_value());
  }
}

TEST_CASE("hard_bounces: DSN failed 5.x.x only") {
  std::string dsn =
      "From: MAILER-DAEMON@mx.example\nSubject: Undelivered\nMIME-Version: 1.0\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
      "--B\nContent-Type: text/plain\n\nfailed\n\n--B\n"
      "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n"
      "Final-Recipient: rfc822; Jan@C.example\nAction: failed\nStatus: 5.1.1\n"
      "Diagnostic-Code: smtp; 550 no such user\n\n"
      "Final-Recipient: rfc822; later@c.example\nAction: delayed\nStatus: 4.4.1\n\n"
      "Final-Recipient: rfc822; <full@c.example>\nAction: failed\nStatus: 5.2.2\n\n--B--\n";
  auto got = hard_bounces(parse(dsn));
  REQUIRE(got.size() == 2);
  CHECK(got[0].address == "jan@c.example");
  CHECK(got[0].status == "5.1.1");
  CHECK(got[0].diagnostic == "smtp; 550 no such user");
  CHECK(got[1].address == "full@c.example");
  CHECK(hard_bounces(parse(mail("jan@c.example", ""))).empty());
}

TEST_CASE("choose_language: person, Content-Language, detection, default") {
  auto det = language_detector::open({"en", "nl", "no", "sv", "de"}, default_fingerprint_dir);
  REQUIRE(det != nullptr);
  parsed_message nl = parse(mail("a@c.example", "",
                                 "Goedemorgen, de factuur van vorige maand klopt niet. Wij hebben "
                                 "twee keer betaald en willen graag het geld terug.\n"));
  CHECK(choose_language(std::string("sv"), "nl", nl, det.get(), "en").language == "sv");
  language_choice d = choose_language(std::nullopt, "", nl, det.get(), "en");
  CHECK(d.language == "nl");
  CHECK(d.source == "detected");
  CHECK(d.remember);
  std::string cl = mail("a@c.example", "Content-Language: de-AT, en\n");
  CHECK(
      choose_language(std::nullopt, raw_header(cl, "content-language"), parse(cl), det.get(), "en")
          .language == "de-at");
  // Short Norwegian is close to Swedish for n-gram statistics; a real mail is long enough.
  parsed_message no = parse(mail("a@c.example", "Subject: Skriveren virker ikke\n",
                                 "Hei,\n\nSkriveren på kontoret i Tromsø skriver bare ut blanke "
                                 "ark etter\noppdateringen i går. Vi har prøvd å starte den på "
                                 "nytt.\n\nHilsen\nÅsa\n"));
  CHECK(choose_language(std::nullopt, "", no, det.get(), "en").language == "no");
  parsed_message tiny = parse(mail("a@c.example", "", "ok\n"));
  language_choice fb = choose_language(std::nullopt, "", tiny, nullptr, "sv");
  CHECK(fb.language == "sv");
  CHECK_FALSE(fb.remember);
}

TEST_CASE("load_reply_kit reads the shipped templates") {
  reply_kit kit = load_reply_kit(HD_SOURCE_DIR "/etc/templates");
  CHECK(kit.problems.empty());
  CHECK(kit.templates.languages("ack") == std::vector<std::string>{"de", "en", "nl", "no", "sv"});
  CHECK(kit.detector != nullptr);
  reply_kit missing = load_reply_kit("/nonexistent/templates");
  CHECK(missing.problems.size() == 1);
  CHECK(missing.templates.empty());
}

// Mail RAW (parsed as M) from mailbox "support"; daemon_test::ingest_with_ack stores it with
// the acknowledgement as the pipeline's unit of work does.
storage::inbound acked_inbound(const std::string& raw, const parsed_message& m) {
  storage::inbound in;
  in.source.mailbox = "support";
  in.raw = raw;
  in.parsed = &m;
  in.now = 1700000000;
  return in;
}

TEST_CASE("the unit of work queues one acknowledgement in the ingest transaction") {
  config cfg = test_config();
  auto db = storage::store::open(":memory:");
  REQUIRE(db.has_value());
  reply_kit kit = load_reply_kit(HD_SOURCE_DIR "/etc/templates");
  std::string raw = mail("\"Jan de Vries\" <jan@c.example>", "Content-Language: nl\n");
  parsed_message m = parse(raw);
  storage::inbound in = acked_inbound(raw, m);
  auto out = daemon_test::ingest_with_ack(cfg, *db, kit, in);
  REQUIRE(out.has_value());
  auto items = storage::claim_outbox(*db, in.now, 10);
  REQUIRE(items.has_value());
  REQUIRE(items->size() == 1);
  const storage::outbox_item& it = items->front();
  CHECK(it.kind == "ack");
  CHECK(it.mail_from == "help@example.com");
  CHECK(it.recipients == std::vector<std::string>{"jan@c.example"});
  CHECK(it.bytes.find("Content-Language: nl\r\n") != std::string::npos);
  CHECK(it.bytes.find("In-Reply-To: <x1@c.example>\r\n") != std::string::npos);
  auto facts = storage::reply_facts_of(*db, out->request_id);
  REQUIRE(facts.has_value());
  CHECK(facts->person_language == "nl");

  SUBCASE("noack from the rules: nothing queued, an event says why") {
    std::string raw2 = mail("jan2@c.example", "");
    parsed_message m2 = parse(raw2);
    in.raw = raw2;
    in.parsed = &m2;
    auto out2 =
        daemon_test::ingest_with_ack(cfg, *db, kit, in, {false, "noack by rules.sieve:3", ""});
    REQUIRE(out2.has_value());
    auto more = storage::claim_outbox(*db, in.now, 10);
    REQUIRE(more.has_value());
    CHECK(more->empty());
  }
}

TEST_CASE("loop protection fails closed: a suppression list that cannot be read blocks the ack") {
  // Before: a database error while reading suppressions or counting auto-replies read as "not
  // blocked", and the acknowledgement went out.
  config cfg = test_config();
  std::string path =
      (std::filesystem::temp_directory_path() / "hd-test-ack-fail-closed.db").string();
  std::filesystem::remove(path);
  auto db = storage::store::open(path);
  REQUIRE(db.has_value());
  std::string table;
  SUBCASE("suppressions unreadable") { table = "suppressions"; }
  SUBCASE("auto-reply log unreadable") { table = "auto_replies"; }
  {
    // Damage the one table from outside, as a broken or foreign schema would.
    sqlite3* raw_db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &raw_db) == SQLITE_OK);
    std::string sql = "ALTER TABLE " + table + " RENAME TO gone_" + table;
    CHECK(sqlite3_exec(raw_db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw_db);
  }
  reply_kit kit = load_reply_kit(HD_SOURCE_DIR "/etc/templates");
  std::string raw = mail("jan@c.example", "");
  parsed_message m = parse(raw);
  storage::inbound in = acked_inbound(raw, m);
  auto out = daemon_test::ingest_with_ack(cfg, *db, kit, in);
  REQUIRE(out.has_value());
  auto items = storage::claim_outbox(*db, in.now, 10);
  REQUIRE(items.has_value());
  CHECK(items->empty());
  auto detail = storage::show_request(*db, out->request_id);
  REQUIRE(detail.has_value());
  bool said_why = false;
  for (const auto& e : detail->events) {
    if (e.kind == "ack_suppressed" && e.detail.find("could not") != std::string::npos)
      said_why = true;
  }
  CHECK(said_why);
  std::filesystem::remove(path);
}

TEST_CASE("the acknowledgement rate limit: count and window boundaries") {
  // rate_limit_count = 3 within rate_limit_window_s = 600: an automatic mail exactly 600 s
  // old still counts, one 601 s old does not; the third mail in the window is the last.
  config cfg = daemon_test::config_of(
      "[outgoing]\nfrom_address = \"support@example.com\"\n"
      "templates_dir = \"" HD_SOURCE_DIR
      "/etc/templates\"\n"
      "[ack]\nrate_limit_count = 3\nrate_limit_window_s = 600\n"
      "[[mailbox]]\nname = \"support\"\naddress = \"help@example.com\"\n");
  auto db = storage::store::open(":memory:");
  REQUIRE(db.has_value());
  reply_kit kit = load_reply_kit(HD_SOURCE_DIR "/etc/templates");
  const std::int64_t now = 1700000000;
  // Request 1 (another customer, its queued mail taken) for the log entries to point at.
  daemon_test::ingest_queuing(*db, "From: a@c.example\n\nx\n", "ack");
  REQUIRE(storage::claim_outbox(*db, now, 10)->size() == 1);
  auto logged = [&](const char* to, std::int64_t at) {
    REQUIRE(storage::record_auto_reply(*db, to, 1, at).has_value());
  };
  for (int i = 0; i < 5; ++i) logged("jan@c.example", now - 601);
  logged("Jan@C.example", now - 600);
  logged("jan@c.example", now - 300);
  logged("other@c.example", now);

  // Each mail a new request (its own Message-ID and subject); returns the acks queued for it.
  int n = 0;
  auto arrive = [&]() {
    ++n;
    std::string raw = "From: jan@c.example\nTo: support@example.com\nSubject: problem " +
                      std::to_string(n) + "\nMessage-ID: <r" + std::to_string(n) +
                      "@c.example>\n\nHello, my printer is broken.\n";
    parsed_message m = parse(raw);
    storage::inbound in;
    in.source.mailbox = "support";
    in.raw = raw;
    in.parsed = &m;
    in.now = now;
    auto out = daemon_test::ingest_with_ack(cfg, *db, kit, in);
    REQUIRE(out.has_value());
    REQUIRE(out->kind == storage::ingest_kind::created);
    auto items = storage::claim_outbox(*db, now, 10);
    REQUIRE(items.has_value());
    auto detail = storage::show_request(*db, out->request_id);
    REQUIRE(detail.has_value());
    std::string why;
    for (const auto& e : detail->events)
      if (e.kind == "ack_suppressed") why = e.detail;
    return std::pair<std::size_t, std::string>(items->size(), why);
  };
  // Two in the window (the one at exactly now - 600 counts), below the limit of 3.
  auto [first, first_why] = arrive();
  CHECK(first == 1);
  CHECK(first_why.empty());
  // Now three in the window: the limit is reached, this one is held back and says why.
  auto [second, second_why] = arrive();
  CHECK(second == 0);
  CHECK(second_why.find("rate limit: 3 automatic mails to jan@c.example in the last 600 s") !=
        std::string::npos);
}

TEST_CASE("choose_language: a language detected ahead (on the parser thread) is used as is") {
  parsed_message nl = parse(mail("a@c.example", "",
                                 "Goedemorgen, de factuur van vorige maand klopt niet. Wij hebben "
                                 "twee keer betaald en willen graag het geld terug.\n"));
  // Done ahead: no detector is asked (there is none here), its answer is taken.
  language_choice d = choose_language(std::nullopt, "", nl, nullptr, "en", {true, "nl"});
  CHECK(d.language == "nl");
  CHECK(d.source == "detected");
  CHECK(d.remember);
  // Tried ahead and found nothing: the default, without asking again.
  auto det = language_detector::open({"en", "nl"}, default_fingerprint_dir);
  REQUIRE(det != nullptr);
  language_choice none = choose_language(std::nullopt, "", nl, det.get(), "en", {true, {}});
  CHECK(none.language == "en");
  CHECK(none.source == "default");
  // The person's language and Content-Language still come first.
  CHECK(choose_language(std::string("sv"), "", nl, nullptr, "en", {true, "nl"}).language == "sv");
  CHECK(choose_language(std::nullopt, "de", nl, nullptr, "en", {true, "nl"}).language == "de");
}

TEST_CASE("a reply kit says how to build another detector that answers as its own") {
  reply_kit kit =
      load_reply_kit(std::string(HD_SOURCE_DIR) + "/etc/templates", default_fingerprint_dir);
  REQUIRE(kit.detector != nullptr);
  CHECK(kit.fingerprint_dir == default_fingerprint_dir);
  REQUIRE(!kit.detector_languages.empty());
  auto twin = language_detector::open(kit.detector_languages, kit.fingerprint_dir);
  REQUIRE(twin != nullptr);
  for (const char* text :
       {"Goedemorgen, de factuur van vorige maand klopt niet. Wij hebben twee keer betaald.",
        "Skriveren på kontoret i Tromsø skriver bare ut blanke ark etter oppdateringen i går.",
        "The export to CSV stopped working after the last update, please have a look."}) {
    CAPTURE(text);
    CHECK(twin->detect(text) == kit.detector->detect(text));
    CHECK(twin->detect(text).has_value());
  }
}
