// The PostgreSQL schema (storage/src/schema_pg.cpp) against a real PostgreSQL 15, beside
// SQLite's: migrating, the same tables and columns on both, and the triggers and search
// column doing what SQLite's do. Run by tests/integration/test_pg_connection.sh (HD_PG_URL).
#include "hd/storage/leases.hpp"
#include "hd/storage/mailbox_state.hpp"
#include "hd/storage/outbox.hpp"
#include "hd/storage/requests.hpp"
#include "hd/storage/store.hpp"
#include "pg.hpp"
#include "schema_pg.hpp"
#include "sql.hpp"
#include "storage/pg_test.hpp"
#include "storage/storage_test.hpp"
#include "store_impl.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace pg = hd::storage::pg;
namespace sql = hd::storage::sql;

namespace {

pg::connection open_empty() {
  pg::connection c = pg_test::open_test_db();
  c.exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public");
  return c;
}

// table -> column -> NOT NULL
using columns = std::map<std::string, std::map<std::string, bool>>;

columns sqlite_columns() {
  auto s = hd::storage::store::open(":memory:");
  REQUIRE(s.has_value());
  const sql::connection& db = hd::storage::connection_of(*s);
  columns out;
  sql::statement tables(db, R"(SELECT name FROM sqlite_master WHERE type = 'table'
                                 AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'messages_fts%')");
  while (tables.step()) {
    std::string t = tables.text(0);
    sql::statement cols(db, "SELECT name, \"notnull\", pk FROM pragma_table_xinfo(?1)");
    cols.bind(1, t);
    // A primary key column is NOT NULL on PostgreSQL; SQLite reports only what was declared.
    while (cols.step()) out[t][cols.text(0)] = cols.integer(1) != 0 || cols.integer(2) != 0;
  }
  return out;
}

columns pg_columns(const pg::connection& c) {
  columns out;
  pg::statement cols(c, R"(
      SELECT c.table_name, c.column_name, c.is_nullable = 'NO'
        FROM information_schema.columns c
        JOIN information_schema.tables t
          ON t.table_schema = c.table_schema AND t.table_name = c.table_name
       WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE')");
  while (cols.step()) out[cols.text(0)][cols.text(1)] = cols.text(2) == "t";
  return out;
}

std::int64_t one(const pg::connection& c, const std::string& q) {
  pg::statement s(c, q);
  REQUIRE(s.step());
  return s.integer(0);
}

std::string text(const pg::connection& c, const std::string& q) {
  pg::statement s(c, q);
  REQUIRE(s.step());
  return s.text(0);
}

// The lines of an EXPLAIN statement's plan, one string.
std::string plan_of(const pg::connection& c, const std::string& explain) {
  std::string plan;
  pg::statement ex(c, explain);
  while (ex.step()) plan += ex.text(0) + "\n";
  return plan;
}

// Rows read from messages so far, from the table's statistics. A store's session reports its
// own before it answers a `SELECT pg_stat_force_next_flush()`, so a test runs that on the
// store's connection after the verb it measures.
std::int64_t message_rows_read(const pg::connection& c) {
  return one(c, R"(SELECT COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0)
                     FROM pg_stat_user_tables WHERE relname = 'messages')");
}

// Two daemons' stores on the emptied test database.
std::pair<std::optional<hd::storage::store>, std::optional<hd::storage::store>> two_stores() {
  open_empty();
  const char* url = std::getenv("HD_PG_URL");
  auto a = hd::storage::store::open(url);
  auto b = hd::storage::store::open(url);
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  return {std::move(*a), std::move(*b)};
}

}  // namespace

TEST_CASE("PostgreSQL: an empty database is migrated to SQLite's schema version, once") {
  pg::connection c = open_empty();
  CHECK(pg::version_of(c) == 0);
  CHECK(pg::migrate(c) == 0);
  CHECK(pg::version_of(c) == pg::schema_version());
  CHECK(pg::schema_version() == hd::storage::schema_version());
  // Again: nothing to do, nothing fails (every daemon migrates when it starts).
  CHECK(pg::migrate(c) == pg::schema_version());
  CHECK(one(c, "SELECT count(*) FROM schema_version") == 1);
}

TEST_CASE("PostgreSQL: a database of every earlier version is upgraded with its data") {
  for (const pg::migration& from : pg::migrations()) {
    if (from.version == pg::schema_version()) break;
    CAPTURE(from.version);
    pg::connection c = open_empty();
    pg::migrate(c, from.version);
    REQUIRE(pg::version_of(c) == from.version);
    // What the baseline's tables hold, written as that version's SQL: a request with its
    // raw mail, message and queued acknowledgement.
    c.exec(R"(
      INSERT INTO persons (name, created_at) VALUES ('Åsa', 100);
      INSERT INTO person_addresses (address, person_id) VALUES ('asa@example.no', 1);
      INSERT INTO requests (title, person_id, created_at, updated_at)
        VALUES ('Skrivaren', 1, 100, 100);
      INSERT INTO raw_messages (sha256, size, bytes, received_at, mailbox)
        VALUES ('ab', 3, '\x00ff01', 100, 'support');
      INSERT INTO messages (request_id, direction, raw_id, message_id, subject, body_text,
                            created_at)
        VALUES (1, 'in', 1, 'm1@example.no', 'Skrivaren skriv ikkje',
                'Printeren på kontoret skriv berre tomme sider.', 100);
      INSERT INTO outbox (request_id, message_id, kind, mail_from, recipients, bytes,
                          next_attempt_at, created_at)
        VALUES (1, 1, 'ack', 'support@example.com', 'asa@example.no', 'mail', 0, 100);
    )");
    CHECK(pg::migrate(c) == from.version);
    CHECK(pg::version_of(c) == pg::schema_version());

    auto s = hd::storage::store::open(std::getenv("HD_PG_URL"));
    REQUIRE(s.has_value());
    auto shown = hd::storage::show_request(*s, 1);
    REQUIRE(shown.has_value());
    REQUIRE(shown->messages.size() == 1);
    CHECK(shown->messages[0].body_text == "Printeren på kontoret skriv berre tomme sider.");
    CHECK(text(c, "SELECT encode(bytes, 'hex') FROM raw_messages WHERE id = 1") == "00ff01");
    auto hits = hd::storage::search_requests(*s, "printeren");
    REQUIRE(hits.has_value());
    REQUIRE(hits->size() == 1);
    CHECK(hits->front().request.id == 1);
    auto counts = hd::storage::count_outbox(*s);
    REQUIRE(counts.has_value());
    CHECK(counts->queued == 1);
    // Written after the upgrade: the ids go on from the old rows.
    c.exec(R"(INSERT INTO messages (request_id, direction, subject, body_text, created_at)
                VALUES (1, 'out', 'Re: Skrivaren', 'Prøv å starte han på nytt.', 200))");
    CHECK(one(c, "SELECT MAX(id) FROM messages") == 2);
    auto again = hd::storage::search_requests(*s, "starte");
    REQUIRE(again.has_value());
    CHECK(again->size() == 1);
  }
}

TEST_CASE("PostgreSQL: a database newer than the build is refused, and left as it is") {
  pg::connection c = open_empty();
  pg::migrate(c);
  c.exec("UPDATE schema_version SET version = version + 1");
  CHECK_THROWS_WITH_AS(pg::migrate(c), doctest::Contains("newer than this build"),
                       std::runtime_error);
  CHECK(pg::version_of(c) == pg::schema_version() + 1);
}

TEST_CASE("PostgreSQL and SQLite have the same tables and columns, but for the listed ones") {
  pg::connection c = open_empty();
  pg::migrate(c);
  columns lite = sqlite_columns(), post = pg_columns(c);
  // Listed in schema_pg.cpp's header: what only one backend has.
  const std::set<std::string> only_sqlite_tables = {"fts_queue", "fts_windows"};
  const std::set<std::string> only_pg_tables = {"schema_version", "daemons", "mailbox_leases",
                                                "daemon_mailboxes", "search_windows"};
  const std::set<std::pair<std::string, std::string>> only_pg_columns = {
      {"messages", "search"}, {"person_addresses", "rowid"}};
  REQUIRE(lite.size() > 30);
  for (const auto& [table, cols] : lite) {
    CAPTURE(table);
    if (only_sqlite_tables.count(table)) {
      CHECK(post.count(table) == 0);
      continue;
    }
    REQUIRE_MESSAGE(post.count(table) == 1, "table missing on PostgreSQL");
    for (const auto& [col, not_null] : cols) {
      CAPTURE(col);
      REQUIRE_MESSAGE(post[table].count(col) == 1, "column missing on PostgreSQL");
      CHECK(post[table][col] == not_null);
    }
    for (const auto& [col, not_null] : post[table]) {
      CAPTURE(col);
      if (only_pg_columns.count({table, col})) continue;
      CHECK_MESSAGE(cols.count(col) == 1, "column only on PostgreSQL");
    }
  }
  for (const auto& [table, cols] : post) {
    CAPTURE(table);
    if (only_pg_tables.count(table)) continue;
    CHECK_MESSAGE(lite.count(table) == 1, "table only on PostgreSQL");
  }
}

TEST_CASE("PostgreSQL: counters, request versions and webhooks come from triggers, as in SQLite") {
  pg::connection c = open_empty();
  pg::migrate(c);
  c.exec(R"(
    INSERT INTO users (login) VALUES ('anna');
    INSERT INTO persons (name, created_at) VALUES ('Åsa', 100);
    INSERT INTO person_addresses (address, person_id) VALUES ('asa@example.no', 1);
    INSERT INTO person_addresses (address, person_id) VALUES ('a@example.no', 1);
    INSERT INTO webhook_subscriptions VALUES ('https://hooks', 'request.created'),
                                             ('https://hooks', 'request.assigned'),
                                             ('https://hooks', 'message.sent');
    INSERT INTO requests (title, person_id, created_at, updated_at)
      VALUES ('Printer', 1, 1733400000, 1733400000);
    INSERT INTO raw_messages (sha256, size, bytes, received_at, mailbox)
      VALUES ('x', 3, '\x00ff01', 1, 'support');
    INSERT INTO messages (request_id, direction, subject, body_text, created_at)
      VALUES (1, 'out', 'Re: Printer', 'Thanks', 2);
    INSERT INTO outbox (request_id, message_id, kind, mail_from, recipients, bytes,
                        next_attempt_at, created_at)
      VALUES (1, 1, 'ack', 'support@example.com', 'asa@example.no', 'mail', 0, 5);
  )");
  CHECK(one(c, "SELECT SUM(n) FROM outbox_counts WHERE status = 'queued'") == 1);
  CHECK(one(c, "SELECT stored FROM mailbox_counts WHERE mailbox = 'support'") == 1);
  CHECK(text(c, "SELECT encode(bytes, 'hex') FROM raw_messages") == "00ff01");

  c.exec("UPDATE outbox SET status = 'sent', sent_at = 9 WHERE id = 1");
  CHECK(one(c, "SELECT SUM(n) FROM outbox_counts WHERE status = 'queued'") == 0);
  CHECK(one(c, "SELECT SUM(n) FROM outbox_counts WHERE status = 'sent'") == 1);

  CHECK(one(c, "SELECT version FROM requests WHERE id = 1") == 1);
  c.exec("UPDATE requests SET owner_id = 1, updated_at = 1733400060 WHERE id = 1");
  CHECK(one(c, "SELECT version FROM requests WHERE id = 1") == 2);
  c.exec("UPDATE requests SET version = 7 WHERE id = 1");  // set on purpose: kept
  CHECK(one(c, "SELECT version FROM requests WHERE id = 1") == 7);

  // One delivery per subscribed event, in order, with SQLite's payload fields, written as
  // SQLite writes them (no spaces around the colons).
  pg::statement d(c,
                  "SELECT event, payload, length(delivery_id) FROM webhook_deliveries ORDER BY id");
  REQUIRE(d.step());
  CHECK(d.text(0) == "request.created");
  std::string created = d.text(1);
  CHECK(created.find(R"("occurred_at":"2024-12-05T12:00:00Z")") != std::string::npos);
  CHECK(created.find(R"("address":"asa@example.no")") != std::string::npos);  // the first one
  CHECK(d.integer(2) == 32);
  REQUIRE(d.step());
  CHECK(d.text(0) == "message.sent");
  CHECK(d.text(1).find(R"("outbox_id":1)") != std::string::npos);
  CHECK(d.text(1).find(R"("subject":"Re: Printer")") != std::string::npos);
  REQUIRE(d.step());
  CHECK(d.text(0) == "request.assigned");
  CHECK(d.text(1).find(R"("owner":"anna")") != std::string::npos);
  CHECK(d.text(1).find(R"("previous_owner":null)") != std::string::npos);
  CHECK_FALSE(d.step());
  // The payload is JSON PostgreSQL can read back.
  CHECK(one(c,
            "SELECT count(*) FROM webhook_deliveries WHERE (payload::json ->> 'event') IS NOT "
            "NULL") == 3);
}

TEST_CASE("PostgreSQL: the search column ignores case and diacritics, as SQLite's hd_fold") {
  pg::connection c = open_empty();
  pg::migrate(c);
  c.exec(R"(
    INSERT INTO requests (title, created_at, updated_at) VALUES ('x', 1, 1);
    INSERT INTO messages (request_id, direction, subject, body_text, created_at)
      VALUES (1, 'in', 'Café au lait', 'Der Großhändler liefert nicht', 1),
             (1, 'in', 'Printers', 'nothing here', 2);
  )");
  auto found = [&](const std::string& query) {
    pg::statement s(c, R"(SELECT string_agg(id::text, ',' ORDER BY id) FROM messages
                           WHERE search @@ to_tsquery('hd_fold', ?1))");
    s.bind(1, query);
    REQUIRE(s.step());
    return s.is_null(0) ? std::string() : s.text(0);
  };
  CHECK(found("cafe") == "1");
  CHECK(found("CAFÉ") == "1");
  CHECK(found("grosshandler") == "1");
  CHECK(found("printer:*") == "2");
  CHECK(found("printer") == "");  // no stemming, as SQLite
  // The index (the window of these ids, schema 22) is used when the configuration is named;
  // among 2,000 other messages, so that it is cheaper than reading them by id.
  c.exec(R"(INSERT INTO messages (request_id, direction, subject, body_text, created_at)
              SELECT 1, 'in', 'Other ' || n, 'words ' || n, 3 FROM generate_series(1, 2000) n;
            ANALYZE messages)");
  c.exec("SET enable_seqscan = off");
  std::string plan = plan_of(c, R"(EXPLAIN SELECT id FROM messages
      WHERE search @@ to_tsquery('hd_fold', 'cafe') AND id >= 0 AND id < 250000)");
  CAPTURE(plan);
  CHECK(plan.find("messages_search_0") != std::string::npos);
}

TEST_CASE("PostgreSQL: schema 22 gives every message a window of the search index, and one ahead") {
  pg::connection c = open_empty();
  pg::migrate(c, 21);
  c.exec(R"(
    INSERT INTO requests (title, created_at, updated_at) VALUES ('x', 1, 1);
    INSERT INTO messages (id, request_id, direction, subject, body_text, created_at)
      VALUES (7, 1, 'in', 'Printer', 'jammed', 1), (600000, 1, 'in', 'Scanner', 'jammed', 1);
  )");
  pg::migrate(c);
  // Windows of 250,000 ids up to one past the largest id plus a window (850,000).
  CHECK(text(c, "SELECT string_agg(lo || '-' || hi, ' ' ORDER BY lo) FROM search_windows") ==
        "0-250000 250000-500000 500000-750000 750000-1000000");
  // Each is a valid partial index of its range; the one index over everything is gone.
  CHECK(one(c, R"(SELECT count(*) FROM search_windows w
                    JOIN pg_class i ON i.relname = w.name JOIN pg_index x ON x.indexrelid = i.oid
                   WHERE x.indisvalid AND pg_get_expr(x.indpred, x.indrelid) =
                         format('((id >= %s) AND (id < %s))', w.lo, w.hi))") == 4);
  CHECK(one(c, "SELECT count(*) FROM pg_class WHERE relname = 'messages_search'") == 0);
  // And each window indexes the subject's own words, over the same range.
  CHECK(one(c, R"(SELECT count(*) FROM search_windows w
                    JOIN pg_class i ON i.relname = 'messages_subject_' || w.lo
                    JOIN pg_index x ON x.indexrelid = i.oid
                   WHERE x.indisvalid AND pg_get_expr(x.indpred, x.indrelid) =
                         format('((id >= %s) AND (id < %s))', w.lo, w.hi))") == 4);
  // Both messages are found through their windows.
  CHECK(one(c, R"(SELECT count(*) FROM messages
                   WHERE search @@ to_tsquery('hd_fold', 'jammed') AND id >= 0 AND id < 250000)") ==
        1);
  CHECK(one(c, R"(SELECT count(*) FROM messages WHERE search @@ to_tsquery('hd_fold', 'jammed')
                    AND id >= 500000 AND id < 750000)") == 1);
}

TEST_CASE("PostgreSQL: schema 23 indexes the bytes' hash only for mail without a Message-ID") {
  pg::connection c = open_empty();
  pg::migrate(c, 22);
  c.exec(R"(INSERT INTO raw_messages (sha256, size, bytes, received_at, mailbox)
              VALUES ('aa', 1, 'x', 1, 'support'))");
  pg::migrate(c);
  CHECK(text(c, R"(SELECT pg_get_expr(x.indpred, x.indrelid) FROM pg_class i
                     JOIN pg_index x ON x.indexrelid = i.oid
                    WHERE i.relname = 'raw_messages_sha256' AND x.indisvalid)") ==
        "(by_message_id = 0)");
  CHECK(one(c, "SELECT by_message_id FROM raw_messages") == 0);  // rows from before stay in it
  CHECK(one(c, "SELECT count(*) FROM pg_class WHERE relname = 'quarantine_raw'") == 1);
  auto s = hd::storage::store::open(std::getenv("HD_PG_URL"));
  REQUIRE(s.has_value());
  storage_test::ingest(*s, storage_test::mail("a@example.com", "Printer", "id1@x", "jammed"),
                       "with an id");
  auto no_id = storage_test::mail("b@example.com", "Toner", std::nullopt, "empty");
  auto first = storage_test::ingest(*s, no_id, "without an id");
  CHECK(one(c, "SELECT by_message_id FROM raw_messages WHERE size = 10") == 1);
  CHECK(one(c, "SELECT by_message_id FROM raw_messages WHERE size = 13") == 0);
  // The same bytes again, found by the hash.
  auto again = storage_test::ingest(*s, no_id, "without an id");
  CHECK(again.kind == hd::storage::ingest_kind::duplicate);
  CHECK(again.request_id == first.request_id);
}

TEST_CASE("PostgreSQL: search reads the windows newest first, and the ids past the last one") {
  pg::connection c = open_empty();
  hd::storage::open_options opt;
  opt.search_window_messages = 10;
  auto s = hd::storage::store::open(std::getenv("HD_PG_URL"), opt);
  REQUIRE(s.has_value());
  // The migration made windows of 250,000 (0 and 250,000); messages near the top of the
  // second, each in a request of its own.
  auto add = [&](std::int64_t id) {
    pg::statement st(c, R"(WITH r AS (INSERT INTO requests (title, created_at, updated_at)
                                      VALUES ('Printer', 1, 1) RETURNING id)
                           INSERT INTO messages (id, request_id, direction, subject, body_text,
                                                 created_at)
                           SELECT ?1, r.id, 'in', 'Printer', 'The printer is jammed', 1 FROM r)");
    st.bind(1, id).run();
  };
  for (std::int64_t id = 499990; id < 500000; ++id) add(id);
  add(100);  // in the oldest window
  // Within a window (here 10 ids) of the last window's end: the next is made, one only.
  auto made = hd::storage::keep_search_windows(*s);
  REQUIRE(made.has_value());
  CHECK(*made == 1);
  CHECK(hd::storage::keep_search_windows(*s).value() == 0);
  add(500003);
  CHECK(hd::storage::keep_search_windows(*s).value() == 1);
  CHECK(text(c, "SELECT string_agg(lo || '-' || hi, ' ' ORDER BY lo) FROM search_windows") ==
        "0-250000 250000-500000 500000-500010 500010-500020");
  // Past every window (no lease round yet): found all the same, without an index.
  add(500025);

  hd::storage::search_options o;
  o.limit = 10;
  o.candidates = 3;
  auto hits = hd::storage::search_requests(*s, "printer", o);
  REQUIRE(hits.has_value());
  std::set<std::int64_t> ids;
  for (const auto& h : *hits) ids.insert(h.message_id);
  // The newest three: past the windows, in 500,000-500,010, and the newest of 250,000-500,000;
  // the search stops there (the oldest window's message 100 is not a candidate).
  CHECK(ids == std::set<std::int64_t>{500025, 500003, 499999});
  // Asked for more, search goes on to the oldest window and finds message 100 there.
  o.candidates = 100;
  hits = hd::storage::search_requests(*s, "printer", o);
  REQUIRE(hits.has_value());
  CHECK(hits->size() == 10);
  o.limit = 20;
  hits = hd::storage::search_requests(*s, "printer", o);
  REQUIRE(hits.has_value());
  CHECK(hits->size() == 13);
  bool found_oldest = false;
  for (const auto& h : *hits) found_oldest = found_oldest || h.message_id == 100;
  CHECK(found_oldest);
}

TEST_CASE("PostgreSQL: a window's build left half-done is made again, and overrun ids get one") {
  pg::connection c = open_empty();
  hd::storage::open_options opt;
  opt.search_window_messages = 10;
  auto s = hd::storage::store::open(std::getenv("HD_PG_URL"), opt);
  REQUIRE(s.has_value());
  // Two claimed windows without an index: one two hours ago (its daemon died), one just now
  // (another daemon is building it).
  c.exec(R"(INSERT INTO search_windows (lo, hi, name, building_since) VALUES
              (500000, 500010, 'messages_search_500000',
               CAST(EXTRACT(EPOCH FROM now()) AS BIGINT) - 7200),
              (500010, 500020, 'messages_search_500010', CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)))");
  auto valid_index = [&](const std::string& name) {
    return one(c,
               "SELECT count(*) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
               "WHERE x.indisvalid AND i.relname = '" +
                   name + "'");
  };
  auto made = hd::storage::keep_search_windows(*s);
  REQUIRE_MESSAGE(made.has_value(), (made ? "" : made.error().message));
  CHECK(*made == 1);
  CHECK(valid_index("messages_search_500000") == 1);
  CHECK(
      one(c, "SELECT count(*) FROM search_windows WHERE lo = 500000 AND building_since IS NULL") ==
      1);
  CHECK(valid_index("messages_search_500010") == 0);
  CHECK(
      one(c, "SELECT count(*) FROM search_windows WHERE lo = 500010 AND building_since IS NULL") ==
      0);
  // A message past every window: the next store opened makes its window (and not one ahead).
  c.exec(R"(INSERT INTO requests (title, created_at, updated_at) VALUES ('x', 1, 1);
            INSERT INTO messages (id, request_id, direction, subject, body_text, created_at)
              VALUES (500050, 1, 'in', 'Printer', 'jammed', 1))");
  opt.search_window_messages = 100;
  auto again = hd::storage::store::open(std::getenv("HD_PG_URL"), opt);
  REQUIRE(again.has_value());
  CHECK(text(c,
             "SELECT string_agg(lo || '-' || hi, ' ' ORDER BY lo) FROM search_windows "
             "WHERE lo >= 500000") == "500000-500010 500010-500020 500020-500120");
  CHECK(valid_index("messages_search_500020") == 1);
  // A window that cannot be made (here a constraint refuses its row) does not stop the open:
  // only speed is at stake.
  c.exec(R"(INSERT INTO messages (id, request_id, direction, subject, body_text, created_at)
              VALUES (500150, 1, 'in', 'Printer', 'jammed', 1);
            ALTER TABLE search_windows ADD CONSTRAINT no_more CHECK (lo < 500120) NOT VALID)");
  auto third = hd::storage::store::open(std::getenv("HD_PG_URL"), opt);
  REQUIRE_MESSAGE(third.has_value(), (third ? "" : third.error().message));
  CHECK(one(c, "SELECT MAX(hi) FROM search_windows") == 500120);
}

TEST_CASE("PostgreSQL: a search reads only the message rows, not TOAST (schema 21)") {
  pg::connection c = open_empty();
  pg::migrate(c);
  // 200 messages of ~800 bytes of words that do not repeat: the search vector (~1.7 KB) and
  // the body do not both fit under the 2 KB TOAST threshold. Before schema 21 the toaster
  // moved the vector out, and the scan below read two TOAST pages per row (424 buffers for
  // 24 heap pages); now it compresses the body and the scan reads the heap alone.
  c.exec(R"(
    INSERT INTO requests (title, created_at, updated_at) VALUES ('x', 1, 1);
    INSERT INTO messages (request_id, direction, subject, body_text, created_at)
      SELECT 1, 'in', 'Printer on floor ' || n,
             (SELECT string_agg(substr(md5((i * 7 + n)::text), 1, 4 + i % 6), ' ')
                FROM generate_series(1, 110) i), n
        FROM generate_series(1, 200) n;
  )");
  std::int64_t heap_pages = one(c, "SELECT pg_relation_size('messages') / 8192");
  CHECK(one(c, "SELECT MIN(pg_column_size(search)) FROM messages") > 1500);
  c.exec("SET enable_indexscan = off; SET enable_bitmapscan = off");
  std::string plan = plan_of(c, R"(EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF)
      SELECT count(*) FROM messages WHERE search @@ to_tsquery('hd_fold', 'printer'))");
  CAPTURE(plan);
  CAPTURE(heap_pages);
  // "Buffers: shared hit=H read=R": every block the scan touched.
  auto blocks = [&](const std::string& what) -> std::int64_t {
    auto at = plan.find(what + "=");
    return at == std::string::npos ? 0 : std::stoll(plan.substr(at + what.size() + 1));
  };
  CHECK(plan.find("rows=200") != std::string::npos);
  CHECK(blocks("hit") + blocks("read") <= heap_pages + 2);
}

TEST_CASE("PostgreSQL: a search for a word in every message reads only its newest candidates") {
  pg::connection c = open_empty();
  auto s = hd::storage::store::open(std::getenv("HD_PG_URL"));
  REQUIRE(s.has_value());
  c.exec(R"(
    INSERT INTO requests (title, created_at, updated_at)
      SELECT 'Printer ' || n, n, n FROM generate_series(1, 2000) n;
    INSERT INTO messages (request_id, direction, subject, body_text, created_at)
      SELECT n, 'in', 'Printer ' || n, 'The printer on floor ' || n || ' is jammed', n
        FROM generate_series(1, 2000) n;
    ANALYZE messages;
  )");
  auto rows_read = [&] { return message_rows_read(c); };
  const sql::connection& db = hd::storage::connection_of(*s);
  db.exec("SELECT pg_stat_force_next_flush()");
  std::int64_t before = rows_read();
  hd::storage::search_options o;
  o.limit = 5;
  o.candidates = 40;
  // More than five times: a prepared statement may switch to a generic plan after five.
  for (int i = 0; i < 7; ++i) {
    db.exec("SELECT pg_stat_force_next_flush()");
    auto hits = hd::storage::search_requests(*s, "printer", o);
    REQUIRE(hits.has_value());
    REQUIRE(hits->size() == 5);
    CHECK(hits->front().snippet.find("[Printer]") != std::string::npos);
  }
  std::int64_t read = rows_read() - before;
  // Each search: its 40 candidates, newest first, and the 5 snippets. Before, the query was
  // planned for any word (PostgreSQL guessed 10 matches of 2,000), and every search read and
  // ranked all 2,000 messages.
  CAPTURE(read);
  CHECK(read <= 7 * 100);
  MESSAGE("rows read by 7 searches: " << read);
}

TEST_CASE("PostgreSQL: a query only about subjects is answered from the subjects' index") {
  pg::connection c = open_empty();
  auto s = hd::storage::store::open(std::getenv("HD_PG_URL"));
  REQUIRE(s.has_value());
  // 2,000 messages with "printer" in the body only, the oldest five with it in the subject.
  c.exec(R"(
    INSERT INTO requests (title, created_at, updated_at)
      SELECT 'Request ' || n, n, n FROM generate_series(1, 2000) n;
    INSERT INTO messages (request_id, direction, subject, body_text, created_at)
      SELECT n, 'in', CASE WHEN n <= 5 THEN 'Printer ' || n ELSE 'Question ' || n END,
             'The printer on floor ' || n || ' is jammed', n
        FROM generate_series(1, 2000) n;
    UPDATE messages SET subject = subject || ' toner' WHERE id = 3;
    ANALYZE messages;
  )");
  auto rows_read = [&] { return message_rows_read(c); };
  const sql::connection& db = hd::storage::connection_of(*s);
  db.exec("SELECT pg_stat_force_next_flush()");
  std::int64_t before = rows_read();
  hd::storage::search_options o;
  o.candidates = 40;
  auto hits = hd::storage::search_requests(*s, "subject:printer", o);
  db.exec("SELECT pg_stat_force_next_flush()");
  REQUIRE(hits.has_value());
  std::set<std::int64_t> ids;
  for (const auto& h : *hits) ids.insert(h.message_id);
  CHECK(ids == std::set<std::int64_t>{1, 2, 3, 4, 5});
  // The five, their snippets and request rows. Before, the search vector's index could not
  // tell a subject match from a body one, and the search read all 2,000 messages by id.
  std::int64_t read = rows_read() - before;
  CAPTURE(read);
  CHECK(read <= 100);
  // The same rules as FTS5: NOT, and a word in the body is not a subject match.
  hits = hd::storage::search_requests(*s, "subject:printer NOT subject:toner", o);
  REQUIRE(hits.has_value());
  ids.clear();
  for (const auto& h : *hits) ids.insert(h.message_id);
  CHECK(ids == std::set<std::int64_t>{1, 2, 4, 5});
  hits = hd::storage::search_requests(*s, "subject:jammed", o);
  REQUIRE(hits.has_value());
  CHECK(hits->empty());
  // A query about subjects and bodies keeps the search vector (weights A and B).
  hits = hd::storage::search_requests(*s, "subject:printer AND floor", o);
  REQUIRE(hits.has_value());
  CHECK(hits->size() == 5);
}

TEST_CASE("a store on PostgreSQL: a lost connection is errc::busy, and the next verb reconnects") {
  open_empty();
  const char* url = std::getenv("HD_PG_URL");
  auto s = hd::storage::store::open(url);
  REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().message));
  CHECK(s->version().value() == pg::schema_version());
  auto before = hd::storage::row_counts(*s);
  REQUIRE(before.has_value());
  // Cut the store's connection from outside, as a server restart or a network fault would.
  pg::connection killer = pg_test::open_test_db();
  killer.exec(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
      "WHERE application_name = 'helpdeskd' AND pid <> pg_backend_pid()");
  auto lost = hd::storage::row_counts(*s);
  REQUIRE_FALSE(lost.has_value());
  CHECK(lost.error().code == hd::storage::errc::busy);
  auto again = hd::storage::row_counts(*s);
  REQUIRE_MESSAGE(again.has_value(), (again ? "" : again.error().message));
  CHECK(*again == *before);
}

TEST_CASE("a PostgreSQL URL that cannot be reached is errc::busy and names no password") {
  auto s = hd::storage::store::open("postgresql://helpdesk:sekrit@127.0.0.1:1/helpdesk");
  REQUIRE_FALSE(s.has_value());
  CHECK(s.error().code == hd::storage::errc::busy);
  CHECK(s.error().message.find("sekrit") == std::string::npos);
}

TEST_CASE("two daemons claiming the outbox at once never claim one mail twice") {
  auto stores = two_stores();
  auto& a = stores.first;
  auto& b = stores.second;
  constexpr int n = 300;
  std::vector<hd::storage::outgoing_mail> mails;
  for (int i = 0; i < n; ++i) {
    mails.push_back({"ack",
                     "support@example.com",
                     {"kari@example.no"},
                     "bytes",
                     "m" + std::to_string(i) + "@x",
                     "s",
                     "t"});
  }
  REQUIRE(hd::storage::queue_mails(*a, 0, mails, 1000).has_value());
  // Each "daemon" claims one mail at a time on its own connection until none is left.
  auto drain = [](hd::storage::store& s, std::vector<std::int64_t>& got, int& errors) {
    for (;;) {
      auto c = hd::storage::claim_outbox(s, 2000, 1);
      if (!c) {
        ++errors;
        continue;
      }
      if (c->empty()) return;
      for (const auto& it : *c) got.push_back(it.id);
    }
  };
  std::vector<std::int64_t> got_a, got_b;
  int errors_a = 0, errors_b = 0;
  std::thread ta([&] { drain(*a, got_a, errors_a); });
  std::thread tb([&] { drain(*b, got_b, errors_b); });
  ta.join();
  tb.join();
  CHECK(errors_a == 0);
  CHECK(errors_b == 0);
  std::set<std::int64_t> all(got_a.begin(), got_a.end());
  all.insert(got_b.begin(), got_b.end());
  CHECK(got_a.size() + got_b.size() == static_cast<std::size_t>(n));  // none twice
  CHECK(all.size() == static_cast<std::size_t>(n));                   // none missed
  CHECK_FALSE(got_a.empty());  // both took part (each claim is a round trip: they interleave)
  CHECK_FALSE(got_b.empty());
}

TEST_CASE("two daemons recovering interrupted sends at once: each mail once, no waiting") {
  auto stores = two_stores();
  auto& a = stores.first;
  auto& b = stores.second;
  std::vector<hd::storage::outgoing_mail> mails = {
      {"ack", "support@example.com", {"kari@example.no"}, "bytes", "m1@x", "s", "t"},
      {"ack", "support@example.com", {"ola@example.no"}, "bytes", "m2@x", "s", "t"}};
  REQUIRE(hd::storage::queue_mails(*a, 0, mails, 1000).has_value());
  REQUIRE(hd::storage::claim_outbox(*a, 1000, 10).value().size() == 2);  // then both killed
  const sql::connection& da = hd::storage::connection_of(*a);
  const sql::connection& dbb = hd::storage::connection_of(*b);
  dbb.exec("SET lock_timeout = '50ms'");
  const std::vector<std::string> resend = {"ack"};
  int by_a = 0;
  {
    // A's recovery is in progress (its transaction open) when B's runs: B skips A's rows
    // instead of waiting for them (or, after A's commit, requeueing them a second time).
    sql::transaction ta(da);
    by_a = hd::storage::recover_stale_sending(*a, 2000, 600, resend).value();
    auto by_b = hd::storage::recover_stale_sending(*b, 2000, 600, resend);
    CHECK_MESSAGE(by_b.has_value(), (by_b ? "" : by_b.error().message));
    if (by_b) CHECK(*by_b == 0);
    ta.commit();
  }
  CHECK(by_a == 2);
  CHECK(hd::storage::count_outbox(*b).value().queued == 2);
  CHECK(hd::storage::recover_stale_sending(*b, 2001, 600, resend).value() == 0);
}

TEST_CASE("two daemons queueing mail at once do not wait for each other's commit") {
  auto stores = two_stores();
  auto& a = stores.first;
  auto& b = stores.second;
  auto mail = [](const std::string& id) {
    return std::vector<hd::storage::outgoing_mail>{
        {"ack", "support@example.com", {"kari@example.no"}, "bytes", id, "s", "t"}};
  };
  const sql::connection& da = hd::storage::connection_of(*a);
  const sql::connection& dbb = hd::storage::connection_of(*b);
  // B gives up at once instead of waiting for a lock: with one counter row per status
  // (schema 19) its insert waited for A's commit, and this failed with lock_not_available.
  dbb.exec("SET lock_timeout = '50ms'");
  {
    sql::transaction ta(da);
    REQUIRE(hd::storage::queue_mails(*a, 0, mail("a1@x"), 1000).has_value());
    sql::transaction tb(dbb);
    auto queued = hd::storage::queue_mails(*b, 0, mail("b1@x"), 1000);
    CHECK_MESSAGE(queued.has_value(), (queued ? "" : queued.error().message));
    tb.commit();
    ta.commit();
  }
  auto claimed = hd::storage::claim_outbox(*a, 2000, 1);
  REQUIRE(claimed.has_value());
  REQUIRE(claimed->size() == 1);
  REQUIRE(hd::storage::mark_sent(*a, claimed->front().id, 2001, "250 ok").has_value());
  auto counts = hd::storage::count_outbox(*a).value();
  CHECK(counts.queued == 1);
  CHECK(counts.sent == 1);
  CHECK(counts.sending == 0);
  // The fold leaves one row per status with the same sums.
  std::int64_t rows_before = one(pg_test::open_test_db(), "SELECT COUNT(*) FROM outbox_counts");
  CHECK(rows_before > 3);
  REQUIRE(hd::storage::fold_outbox_counts(*b).has_value());
  auto c = pg_test::open_test_db();
  CHECK(one(c, "SELECT COUNT(*) FROM outbox_counts") ==
        one(c, "SELECT COUNT(DISTINCT status) FROM outbox_counts"));
  auto folded = hd::storage::count_outbox(*a).value();
  CHECK(folded.queued == 1);
  CHECK(folded.sent == 1);
  CHECK(folded.sending == 0);
  // On SQLite there is nothing to fold.
  auto lite = hd::storage::store::open(":memory:");
  REQUIRE(lite.has_value());
  CHECK(hd::storage::fold_outbox_counts(*lite).has_value());
}

TEST_CASE("mailbox leases: one holder at a time, taken over after the expiry or a release") {
  namespace st = hd::storage;
  auto stores = two_stores();
  auto& a = stores.first;
  auto& b = stores.second;
  st::daemon_info da{"host-a:1:x", "host-a", 1, 1000, 0}, db{"host-b:2:y", "host-b", 2, 1000, 0};
  const std::vector<std::string> boxes = {"sales", "support"};
  using set = std::set<std::string>;
  auto held = [](auto r) { return r.value().held; };
  // A starts alone and takes both; B, started a second later, finds them held.
  CHECK(held(st::take_leases(*a, da, boxes, 1000, 30)) == set{"sales", "support"});
  CHECK(held(st::take_leases(*b, db, boxes, 1001, 30)).empty());
  // A's renewal sees B: it keeps one (the first by name) and hands the other over, which B
  // takes at its next round.
  auto ra = st::take_leases(*a, da, boxes, 1010, 30).value();
  CHECK(ra.held == set{"sales"});
  CHECK(ra.handed_over == set{"support"});
  CHECK(held(st::take_leases(*b, db, boxes, 1011, 30)) == set{"support"});
  CHECK(held(st::take_leases(*a, da, boxes, 1020, 30)) == set{"sales"});    // renewed to 1050
  CHECK(held(st::take_leases(*b, db, boxes, 1039, 30)) == set{"support"});  // renewed to 1069
  // A stops renewing (killed): once its heartbeat is a lease time old and its lease expired,
  // B takes sales too; A, back, gets nothing and gives nothing.
  CHECK(held(st::take_leases(*b, db, boxes, 1049, 30)) == set{"support"});  // not yet
  CHECK(held(st::take_leases(*b, db, boxes, 1050, 30)) == set{"sales", "support"});
  auto back = st::take_leases(*a, da, boxes, 1051, 30).value();
  CHECK(back.held.empty());
  CHECK(back.handed_over.empty());
  auto leases = st::list_leases(*a).value();
  REQUIRE(leases.size() == 2);
  CHECK(leases[0].holder == db.id);
  CHECK(leases[0].expires_at == 1080);
  CHECK(st::list_daemons(*a).value().size() == 2);
  // B's next round sees A alive again and hands it its share back.
  auto rb = st::take_leases(*b, db, boxes, 1052, 30).value();
  CHECK(rb.held.size() == 1);
  CHECK(rb.handed_over.size() == 1);
  CHECK(held(st::take_leases(*a, da, boxes, 1053, 30)) == rb.handed_over);
  // A clean stop gives them up at once.
  REQUIRE(st::release_leases(*b, db.id).has_value());
  CHECK(held(st::take_leases(*a, da, boxes, 1054, 30)) == set{"sales", "support"});
  CHECK(st::list_daemons(*a).value().size() == 1);
  // A daemon silent for ten lease times is forgotten by the next renewal of another.
  CHECK(st::take_leases(*b, db, {}, 1055, 30).has_value());
  CHECK(st::list_daemons(*a).value().size() == 2);
  CHECK(held(st::take_leases(*a, da, {"support"}, 1055 + 301, 30)) == set{"support"});
  auto left = st::list_daemons(*a).value();
  REQUIRE(left.size() == 1);
  CHECK(left[0].id == da.id);
  // On SQLite one daemon holds everything (the file lock), and nothing is stored.
  auto lite = st::store::open(":memory:");
  REQUIRE(lite.has_value());
  CHECK(held(st::take_leases(*lite, da, boxes, 1000, 30)) == set{"sales", "support"});
  CHECK(st::list_leases(*lite).value().empty());
}

TEST_CASE("mailbox leases: of many daemons taking one expired lease at once, one wins") {
  namespace st = hd::storage;
  open_empty();
  const char* url = std::getenv("HD_PG_URL");
  constexpr int daemons = 4;
  std::vector<st::store> stores;
  for (int i = 0; i < daemons; ++i) {
    auto s = st::store::open(url);
    REQUIRE(s.has_value());
    stores.push_back(std::move(*s));
  }
  // Round after round every daemon tries for the same mailboxes at the same moment, each
  // round past the last one's expiry: each mailbox has at most one holder per round (they
  // may disagree on the spread while they race). Then each daemon has one more round, one
  // after another: every mailbox is held, by one daemon, and none holds two (3 over 4).
  const std::vector<std::string> boxes = {"m1", "m2", "m3"};
  for (int round = 0; round < 20; ++round) {
    const std::int64_t t = 1000 + round * 100;
    std::vector<std::set<std::string>> won(daemons);
    std::vector<std::thread> threads;
    for (int i = 0; i < daemons; ++i) {
      threads.emplace_back([&, i] {
        st::daemon_info d{"d" + std::to_string(i), "h", i, 0, 0};
        auto r = st::take_leases(stores[static_cast<std::size_t>(i)], d, boxes, t, 30);
        if (r) won[static_cast<std::size_t>(i)] = r->held;
      });
    }
    for (auto& th : threads) th.join();
    CAPTURE(round);
    for (const std::string& m : boxes) {
      int holders = 0;
      for (const auto& w : won) holders += w.contains(m) ? 1 : 0;
      CAPTURE(m);
      CHECK(holders <= 1);
    }
    for (int settle = 1; settle <= 2; ++settle) {
      for (int i = 0; i < daemons; ++i) {
        st::daemon_info d{"d" + std::to_string(i), "h", i, 0, 0};
        auto r = st::take_leases(stores[static_cast<std::size_t>(i)], d, boxes, t + settle, 30);
        REQUIRE(r.has_value());
        won[static_cast<std::size_t>(i)] = r->held;
      }
    }
    for (const std::string& m : boxes) {
      int holders = 0;
      for (const auto& w : won) holders += w.contains(m) ? 1 : 0;
      CAPTURE(m);
      CHECK(holders == 1);
    }
    for (const auto& w : won) CHECK(w.size() <= 1);
  }
}
