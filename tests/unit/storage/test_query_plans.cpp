// Views that stay fast as the database grows (issue 22): every statement an agent view runs
// is read back from SQLite's trace and its EXPLAIN QUERY PLAN checked — no full scan of a big
// table, no sort of every open request. Plans do not depend on the table sizes here (no
// ANALYZE statistics), so a small database shows the plan a million requests would get.
#include "hd/storage/directory.hpp"
#include "hd/storage/mailbox_state.hpp"
#include "hd/storage/outbox.hpp"
#include "hd/storage/requests.hpp"
#include "hd/storage/views.hpp"
#include "hd/storage/workflow.hpp"
#include "sql.hpp"
#include "storage_test.hpp"
#include "store_impl.hpp"

#include <doctest/doctest.h>

#include <functional>
#include <regex>

namespace {

using namespace hd::storage;
using storage_test::ingest;
using storage_test::mail;

int collect(unsigned, void* ctx, void* p, void*) {
  const char* text = sqlite3_sql(static_cast<sqlite3_stmt*>(p));
  if (text) static_cast<std::vector<std::string>*>(ctx)->push_back(text);
  return 0;
}

// The plan lines of SQL_TEXT.
std::vector<std::string> plan_of(const sql::connection& db, const std::string& sql_text) {
  sql::statement st(db, "EXPLAIN QUERY PLAN " + sql_text);
  std::vector<std::string> out;
  while (st.step()) out.push_back(st.text(3));
  return out;
}

struct statement_plan {
  std::string sql;
  std::vector<std::string> plan;
};

// Runs VIEW and returns the plan of every statement it ran.
std::vector<statement_plan> plans_of(store& s, const std::function<void()>& view) {
  const sql::connection& db = connection_of(s);
  std::vector<std::string> texts;
  sqlite3_trace_v2(db.get(), SQLITE_TRACE_STMT, collect, &texts);
  view();
  sqlite3_trace_v2(db.get(), 0, nullptr, nullptr);
  std::vector<statement_plan> out;
  for (const std::string& t : texts) {
    // Comments, our own EXPLAINs and DDL (the snippets' temp table: CREATE ... IF NOT EXISTS
    // runs the CREATEs of its shadow tables, which cannot be explained once they exist).
    if (t.starts_with("--") || t.starts_with("EXPLAIN") || t.starts_with("CREATE")) continue;
    out.push_back({std::regex_replace(t, std::regex(R"(\s+)"), " "), plan_of(db, t)});
  }
  return out;
}

// A full scan of a table that grows with the history.
bool full_scan(const std::string& line) {
  static const std::regex scan(
      R"(^SCAN (r|requests|m|messages|fm|raw_messages|outbox|events|message_addresses)(  |$))");
  return std::regex_search(line, scan);
}

// A statement that sorts every request an unbounded index (or a scan) found: a queue or list
// must be read in its order instead. Sorting one request's few rows, a user's favourites or
// the requests waking today is fine.
bool sorts_everything(const std::vector<std::string>& plan) {
  bool sorts = false, unbounded = false;
  for (const std::string& l : plan) {
    sorts |= l.starts_with("USE TEMP B-TREE FOR ORDER BY");
    unbounded |= l == "SCAN r" || l.starts_with("SCAN r ") ||
                 l.starts_with("SEARCH r USING INDEX requests_status") ||
                 l.starts_with("SEARCH r USING INDEX requests_active");
  }
  return sorts && unbounded;
}

void check_plans(const std::string& view, const std::vector<statement_plan>& statements) {
  CAPTURE(view);
  REQUIRE(!statements.empty());
  for (const statement_plan& st : statements) {
    CAPTURE(st.sql);
    for (const std::string& l : st.plan) {
      CAPTURE(l);
      CHECK_FALSE(full_scan(l));
    }
    std::string plan;
    for (const std::string& l : st.plan) plan += l + "; ";
    CAPTURE(plan);
    CHECK_FALSE(sorts_everything(st.plan));
  }
}

store populated() {
  store s = storage_test::open_memory();
  for (int i = 0; i < 30; ++i) {
    auto m = mail("c" + std::to_string(i) + "@example.com", "printer " + std::to_string(i),
                  "m" + std::to_string(i) + "@x", "the printer is broken");
    ingest(s, m, "raw " + std::to_string(i), 1000 + i);
  }
  REQUIRE(apply_deadlines(s, {{"", 8, 40, true}}).has_value());
  REQUIRE(accept_request(s, 3, {"anna", 2000}, false).has_value());
  REQUIRE(favourite_request(s, 4, true, {"anna", 2000}).has_value());
  REQUIRE(close_request(s, 5, {"anna", 2000}).has_value());
  return s;
}

}  // namespace

TEST_CASE("query plans: one request by its primary key" * doctest::test_suite("sqlite")) {
  store s = populated();
  check_plans("show", plans_of(s, [&] { REQUIRE(show_request(s, 7).has_value()); }));
  bool by_key = false;
  for (const statement_plan& st : plans_of(s, [&] { REQUIRE(show_request(s, 7).has_value()); }))
    for (const std::string& l : st.plan)
      by_key |= l.starts_with("SEARCH r USING INTEGER PRIMARY KEY");
  CHECK(by_key);
}

TEST_CASE("query plans: the dashboard's queues come from indexes in their order" *
          doctest::test_suite("sqlite")) {
  store s = populated();
  check_plans("dashboard", plans_of(s, [&] { REQUIRE(dashboard(s, "anna", 999999).has_value()); }));
  check_plans("next", plans_of(s, [&] { REQUIRE(take_next(s, "ole", 999999).has_value()); }));
}

TEST_CASE("query plans: search ranks and limits in SQL, snippets only for the hits" *
          doctest::test_suite("sqlite")) {
  store s = populated();
  std::vector<search_hit> hits;
  auto statements = plans_of(s, [&] {
    auto r = search_requests(s, "printer", {});
    REQUIRE(r.has_value());
    hits = *r;
  });
  check_plans("search", statements);
  CHECK(hits.size() == 30);
  // The full-text index of all mail is asked once (the ranking); the snippets of the hits
  // shown come from a temp table holding only those messages, in one statement. Asked of
  // messages_fts, each snippet of a prefix query merges the doclists of every matching word
  // over the whole mail (issue 22).
  int whole_index = 0, snippet_statements = 0;
  for (const statement_plan& st : statements) {
    CAPTURE(st.sql);
    whole_index += st.sql.find("MATCH") != std::string::npos &&
                   st.sql.find("messages_fts") != std::string::npos;
    if (st.sql.find("snippet(") != std::string::npos) {
      ++snippet_statements;
      CHECK(st.sql.find("messages_fts") == std::string::npos);
    }
  }
  CHECK(whole_index == 1);
  CHECK(snippet_statements == 1);
  // The same snippets as messages_fts gives for each message.
  for (const search_hit& h : hits) {
    CAPTURE(h.message_id);
    sql::statement st(connection_of(s), R"(
        SELECT snippet(messages_fts, -1, '[', ']', '…', 16) FROM messages_fts
         WHERE messages_fts MATCH '"printer"*' AND rowid = ?1)");
    st.bind(1, h.message_id);
    REQUIRE(st.step());
    CHECK(h.snippet == st.text(0));
    CHECK(h.snippet.find("[printer]") != std::string::npos);
  }
  search_options two;
  two.limit = 2;
  CHECK(search_requests(s, "printer", two)->size() == 2);
}

TEST_CASE("query plans: status reads counters" * doctest::test_suite("sqlite")) {
  store s = populated();
  check_plans("status", plans_of(s, [&] {
                REQUIRE(list_mailbox_status(s).has_value());
                REQUIRE(count_outbox(s).has_value());
              }));
}

TEST_CASE("query plans: request lists with a filter use an index" * doctest::test_suite("sqlite")) {
  store s = populated();
  auto list = [&](request_filter f) {
    return plans_of(s, [&] { REQUIRE(s.list_requests(f).has_value()); });
  };
  request_filter active;
  active.status = "active";
  active.descending = true;
  check_plans("list active newest first", list(active));
  request_filter open = active;
  open.status = "open";
  check_plans("list open newest first", list(open));
  request_filter mine;
  mine.owner = "anna";
  check_plans("list --owner", list(mine));
  request_filter overdue;
  overdue.overdue_at = 999999;
  check_plans("list --overdue", list(overdue));
}

TEST_CASE("status counters follow the outbox and raw mail" * doctest::test_suite("sqlite")) {
  store s = storage_test::open_memory();
  auto m = mail("a@example.com", "hello", "a@x");
  hd::storage::inbound in = storage_test::inbound_of(m, "raw", 1000);
  outgoing_mail o;
  o.kind = "ack";
  o.mail_from = "support@example.com";
  o.recipients = {"a@example.com"};
  o.bytes = "Subject: ack\r\n\r\nthanks";
  REQUIRE(storage_test::ingest_with_mails(s, in, {o}).has_value());
  auto c = count_outbox(s);
  CHECK(c->queued == 1);
  auto claimed = claim_outbox(s, 2000, 10);
  REQUIRE(claimed->size() == 1);
  CHECK(count_outbox(s)->sending == 1);
  REQUIRE(mark_sent(s, claimed->front().id, 2001, "250 ok").has_value());
  c = count_outbox(s);
  CHECK(c->queued == 0);
  CHECK(c->sending == 0);
  CHECK(c->sent == 1);
  // Sent acknowledgements are kept once: as the request's outbound message.
  CHECK(get_outbox_item(s, claimed->front().id)->bytes.empty());
  auto list = list_mailbox_status(s);
  REQUIRE(list.has_value());
}

TEST_CASE("hd_rank orders as bm25 does, and equals it for queries of several phrases" *
          doctest::test_suite("sqlite")) {
  store s = storage_test::open_memory();
  // Varied lengths and counts, so bm25's length and frequency terms differ row to row.
  const char* bodies[] = {
      "printer",
      "printer printer printer broken",
      "the printer on the second floor is broken and the toner is low",
      "printers everywhere, printer here, printing there",
      "a long message about many things that mentions a printer once only at the end",
      "broken broken broken printer"};
  for (int i = 0; i < 6; ++i) {
    ingest(s,
           mail("r" + std::to_string(i) + "@example.com", i % 2 ? "printer" : "hello",
                "k" + std::to_string(i) + "@x", bodies[i]),
           "raw k" + std::to_string(i), 1000 + i);
  }
  auto scores = [&](const std::string& fn, const std::string& match) {
    sql::statement st(connection_of(s),
                      "SELECT rowid, " + fn +
                          "(messages_fts, 4.0, 1.0) FROM messages_fts WHERE messages_fts MATCH ?1 "
                          "ORDER BY 2, 1");
    st.bind(1, match);
    std::vector<std::pair<std::int64_t, double>> out;
    while (st.step()) out.emplace_back(st.integer(0), st.real(1));
    return out;
  };
  for (std::string one : {R"("printer"*)", R"("printer")", R"("broken")"}) {
    CAPTURE(one);
    auto bm25 = scores("bm25", one), mine = scores("hd_rank", one);
    REQUIRE(bm25.size() >= 2);
    REQUIRE(bm25.size() == mine.size());
    for (std::size_t i = 0; i < bm25.size(); ++i) CHECK(bm25[i].first == mine[i].first);
  }
  for (std::string several : {R"("printer"* "broken"*)", R"("printer" OR "toner")"}) {
    CAPTURE(several);
    auto bm25 = scores("bm25", several), mine = scores("hd_rank", several);
    REQUIRE(bm25.size() >= 2);
    REQUIRE(bm25.size() == mine.size());
    for (std::size_t i = 0; i < bm25.size(); ++i) {
      CHECK(bm25[i].first == mine[i].first);
      CHECK(bm25[i].second == doctest::Approx(mine[i].second));
    }
  }
}

TEST_CASE("query plans: a mail seen again (same UID, or same bytes) is found by index" *
          doctest::test_suite("sqlite")) {
  store s = populated();
  auto by_uid = mail("kari@example.com", "scanner", "uid1@x", "the scanner is broken");
  hd::storage::inbound in = storage_test::inbound_of(by_uid, "raw uid1", 3000);
  in.source.mailbox = "support";
  in.source.uidvalidity = 7;
  in.source.uid = 41;
  REQUIRE(s.ingest(in).has_value());
  auto no_id = mail("ola@example.com", "toner", std::nullopt, "no toner");
  REQUIRE(s.ingest(storage_test::inbound_of(no_id, "raw without id", 3001)).has_value());
  // Seen again: fetched once more after a crash (the UID), or the same bytes piped twice.
  // The duplicate's request is read through messages.raw_id: without an index on it, each
  // check scanned every message (190 ms at 100,000 requests; schema 20 adds the index).
  std::vector<hd::storage::ingest_outcome> again;
  auto statements = plans_of(s, [&] {
    again.push_back(s.ingest(in).value());
    again.push_back(s.ingest(storage_test::inbound_of(no_id, "raw without id", 3002)).value());
  });
  REQUIRE(again.size() == 2);
  CHECK(again[0].kind == hd::storage::ingest_kind::duplicate);
  CHECK(again[1].kind == hd::storage::ingest_kind::duplicate);
  int raw_lookups = 0;
  for (const statement_plan& st : statements) {
    if (st.sql.find("raw_id") == std::string::npos) continue;
    ++raw_lookups;
    CAPTURE(st.sql);
    for (const std::string& l : st.plan) {
      CAPTURE(l);
      CHECK_FALSE(full_scan(l));
    }
  }
  CHECK(raw_lookups >= 2);
}

TEST_CASE("the bytes' hash is indexed only for mail its Message-ID cannot find (schema 23)" *
          doctest::test_suite("sqlite")) {
  // Every mail added its SHA-256 to raw_messages_sha256, a key at a random place in an index
  // as big as the history: 40 % of the pages a checkpoint wrote at 100,000 requests. Only a
  // mail without a Message-ID, and the quarantine, look mail up by it.
  store s = populated();  // 30 mails, each with a Message-ID
  auto no_id = mail("ola@example.com", "toner", std::nullopt, "no toner");
  REQUIRE(s.ingest(storage_test::inbound_of(no_id, "raw without id", 3001)).has_value());
  const sql::connection& db = connection_of(s);
  auto count = [&](const char* where) {
    sql::statement st(db, std::string("SELECT COUNT(*) FROM raw_messages WHERE ") + where);
    REQUIRE(st.step());
    return st.integer(0);
  };
  CHECK(count("by_message_id = 1") == 30);
  CHECK(count("by_message_id = 0") == 1);
  sql::statement partial(db,
                         "SELECT partial FROM pragma_index_list('raw_messages') "
                         "WHERE name = 'raw_messages_sha256'");
  REQUIRE(partial.step());
  CHECK(partial.integer(0) == 1);

  // The quarantine's lookups of the same bytes (fetched again after a UIDVALIDITY change;
  // piped twice and discarded again) read that index, not every raw mail.
  mail_source imap{"support", "INBOX", 7, 41};
  auto held = s.quarantine(imap, "bad bytes", "parse timeout", 3002);
  REQUIRE(held.has_value());
  auto dropped = keep_discarded(s, {"stdin", {}, {}, {}}, "spam bytes", "rule", 3003);
  REQUIRE(dropped.has_value());
  CHECK(count("by_message_id = 0") == 3);
  std::vector<std::int64_t> again;
  auto statements = plans_of(s, [&] {
    again.push_back(
        s.quarantine({"support", "INBOX", 8, 3}, "bad bytes", "parse timeout", 3004).value());
    again.push_back(
        keep_discarded(s, {"stdin", {}, {}, {}}, "spam bytes", "rule", 3005).value().id);
  });
  CHECK(again == std::vector<std::int64_t>{*held, dropped->id});
  int by_hash = 0;
  for (const statement_plan& st : statements) {
    if (st.sql.find("sha256 = ?1") == std::string::npos) continue;
    ++by_hash;
    CAPTURE(st.sql);
    std::string plan;
    for (const std::string& l : st.plan) plan += l + "; ";
    CAPTURE(plan);
    CHECK(plan.find("raw_messages_sha256") != std::string::npos);
    for (const std::string& l : st.plan) CHECK_FALSE(full_scan(l));
  }
  CHECK(by_hash == 2);
}

namespace {

// The plan of SQL_TEXT as one line, its steps joined by "; ".
std::string plan_line(const sql::connection& db, const std::string& sql_text) {
  std::string plan;
  for (const std::string& l : plan_of(db, sql_text)) plan += l + "; ";
  return plan;
}

}  // namespace

TEST_CASE("schema 24: one index serves the lookups of a request's messages" *
          doctest::test_suite("sqlite")) {
  // messages_request (request_id) repeated the first column of messages_request_from, and
  // each message stored went into both. The request's messages, their count and the newest
  // are read through the one left.
  store s = populated();
  const sql::connection& db = connection_of(s);
  std::vector<std::string> indexes;
  sql::statement list(db, "SELECT name FROM pragma_index_list('messages') ORDER BY name");
  while (list.step()) indexes.push_back(list.text(0));
  CHECK(std::find(indexes.begin(), indexes.end(), "messages_request") == indexes.end());
  CHECK(std::find(indexes.begin(), indexes.end(), "messages_request_from") != indexes.end());
  for (const char* q : {"SELECT id FROM messages WHERE request_id = 7 ORDER BY id",
                        "SELECT COUNT(*) FROM messages WHERE request_id = 7",
                        "SELECT max(id) FROM messages WHERE request_id = 7"}) {
    CAPTURE(q);
    std::string plan = plan_line(db, q);
    CAPTURE(plan);
    CHECK(plan.find("messages_request_from") != std::string::npos);
  }
}

namespace {

// Pages each statement fetched from SQLite's page cache, by SQL text.
int count_pages(unsigned, void* ctx, void* p, void*) {
  auto* stmt = static_cast<sqlite3_stmt*>(p);
  int hit = 0, miss = 0, high = 0;
  sqlite3_db_status(sqlite3_db_handle(stmt), SQLITE_DBSTATUS_CACHE_HIT, &hit, &high, 1);
  sqlite3_db_status(sqlite3_db_handle(stmt), SQLITE_DBSTATUS_CACHE_MISS, &miss, &high, 1);
  const char* text = sqlite3_sql(stmt);
  (*static_cast<std::map<std::string, int>*>(ctx))[text ? text : ""] += hit + miss;
  return 0;
}

}  // namespace

TEST_CASE("a reply's sender check stops at the first test that holds" *
          doctest::test_suite("sqlite")) {
  // A reply that refers to a customer's Message-ID threads only for a sender who takes part
  // in the request: its person, an address in its messages, or one we mailed. Written as an
  // OR, all three subqueries ran even when the first test held, as for nearly every reply
  // (from the request's own person): 21 pages a reply at 1.6M requests against 3.
  store s = populated();
  auto first = mail("kari@example.com", "scanner", "first@x", "the scanner is broken");
  auto created = ingest(s, first, "raw first", 3000);
  // Mail sent about the request to others: the last subquery reads each of these rows.
  std::vector<hd::storage::outgoing_mail> sent;
  for (int i = 0; i < 40; ++i) {
    hd::storage::outgoing_mail m;
    m.kind = "forward";
    m.mail_from = "support@example.com";
    m.recipients = {"colleague" + std::to_string(i) + "@example.org"};
    m.bytes = std::string(3000, 'x');
    m.message_id = "fwd" + std::to_string(i) + "@x";
    m.subject = "Fwd: scanner";
    m.text = "see below";
    sent.push_back(m);
  }
  REQUIRE(hd::storage::queue_mails(s, created.request_id, sent, 3001).has_value());

  auto reply = mail("kari@example.com", "Re: scanner", "reply@x", "still broken");
  reply.in_reply_to = "first@x";
  const sql::connection& db = connection_of(s);
  std::map<std::string, int> pages;
  sqlite3_trace_v2(db.get(), SQLITE_TRACE_PROFILE, count_pages, &pages);
  auto threaded = ingest(s, reply, "raw reply", 3002);
  sqlite3_trace_v2(db.get(), 0, nullptr, nullptr);
  CHECK(threaded.request_id == created.request_id);
  int checks = 0;
  for (const auto& [text, n] : pages) {
    if (text.find("FROM requests r WHERE r.id = ?1") == std::string::npos) continue;
    ++checks;
    CAPTURE(text);
    // The request's row: its table's root and leaf, and the row's overflow at most.
    CHECK(n <= 4);
  }
  CHECK(checks == 1);
}

TEST_CASE("schema 25: messages without raw mail stay out of the raw-mail index" *
          doctest::test_suite("sqlite")) {
  // messages_raw held every message; the acknowledgements, replies and notes have no raw mail,
  // and nothing looks them up by it. "a mail seen again ... is found by index" above checks
  // that the lookups by raw_id still use it.
  store s = populated();
  const sql::connection& db = connection_of(s);
  sql::statement partial(db,
                         "SELECT partial FROM pragma_index_list('messages') "
                         "WHERE name = 'messages_raw'");
  REQUIRE(partial.step());
  CHECK(partial.integer(0) == 1);
  sql::statement text(db, "SELECT sql FROM sqlite_master WHERE name = 'messages_raw'");
  REQUIRE(text.step());
  CHECK(text.text(0).find("WHERE raw_id IS NOT NULL") != std::string::npos);
  std::string plan = plan_line(db, "SELECT request_id FROM messages WHERE raw_id = 3");
  CAPTURE(plan);
  CHECK(plan.find("USING INDEX messages_raw") != std::string::npos);
}
