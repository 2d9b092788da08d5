// Full-text search (FTS5) and request details.
#include "hd/storage/requests.hpp"

#include "sql.hpp"
#include "storage/storage_test.hpp"
#include "store_impl.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

using namespace storage_test;
namespace st = hd::storage;

namespace {

std::vector<std::int64_t> found(st::store& s, std::string_view q, bool literal = false) {
  auto r = st::search_requests(s, q, {50, literal});
  REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().message));
  std::vector<std::int64_t> ids;
  for (const auto& h : *r) ids.push_back(h.request.id);
  return ids;
}

}  // namespace

TEST_CASE("search finds Nordic, German and French words, ignoring case and accents") {
  auto s = open_memory();
  auto no = ingest(
      s, mail("a@x.no", "Søknad om refusjon", "1@x", "Kvitteringen for høsten er vedlagt."), "r1");
  auto sv = ingest(s,
                   mail("b@x.se", "Skrivaren på kontoret", "2@x",
                        "Den skriver inte ut, väldigt irriterande. Göteborg."),
                   "r2");
  auto de =
      ingest(s, mail("c@x.de", "Drucker", "3@x", "Der Drucker ist kaputt, schöne Grüße"), "r3");
  auto fr = ingest(s, mail("d@x.fr", "Facture", "4@x", "Le café est froid"), "r4");
  auto da = ingest(s, mail("e@x.dk", "Æbler", "5@x", "Ærlig talt, blåbærsyltetøj"), "r5");
  using v = std::vector<std::int64_t>;
  CHECK(found(s, "søknad") == v{no.request_id});
  CHECK(found(s, "SØKNAD") == v{no.request_id});
  CHECK(found(s, "høsten") == v{no.request_id});
  CHECK(found(s, "hosten") == v{no.request_id});  // ø folded to o (hd_fold)
  CHECK(found(s, "väldigt") == v{sv.request_id});
  CHECK(found(s, "valdigt") == v{sv.request_id});  // diacritics removed
  CHECK(found(s, "goteborg") == v{sv.request_id});
  CHECK(found(s, "på") == v{sv.request_id});
  CHECK(found(s, "grüße") == v{de.request_id});
  CHECK(found(s, "cafe") == v{fr.request_id});
  CHECK(found(s, "CAFÉ") == v{fr.request_id});
  CHECK(found(s, "ærlig") == v{da.request_id});
  CHECK(found(s, "ÆRLIG") == v{da.request_id});
  CHECK(found(s, "blåbærsyltetøj") == v{da.request_id});
  CHECK(found(s, "blåbær*") == v{da.request_id});
  CHECK(found(s, "drucker AND kaputt") == v{de.request_id});
  CHECK(found(s, "subject:drucker") == v{de.request_id});
  CHECK(found(s, "nothinghere").empty());
}

TEST_CASE("search ranks subject matches first and returns one hit per request") {
  auto s = open_memory();
  auto body =
      ingest(s, mail("a@x", "Question", "1@x", "the invoice is wrong, invoice invoice"), "r1");
  auto subj = ingest(s, mail("b@x", "Invoice missing", "2@x", "see subject"), "r2");
  hd::parsed_message reply = mail("b@x", "Re: Invoice missing", "3@x", "still no invoice");
  reply.in_reply_to = "2@x";
  ingest(s, reply, "r3");
  auto r = st::search_requests(s, "invoice");
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 2);
  CHECK((*r)[0].request.id == subj.request_id);
  CHECK((*r)[1].request.id == body.request_id);
  CHECK((*r)[0].snippet.find("[Invoice]") != std::string::npos);
}

TEST_CASE("search ranks the newest [database] search_candidates matches; a search may ask more") {
  st::open_options opt;
  opt.search_candidates = 2;
  auto s = open_memory(opt);
  // The oldest match would rank first (its subject has the word); it is not a candidate.
  auto oldest = ingest(s, mail("a@x", "Zebra printer", "1@x", "zebra zebra zebra"), "r1");
  auto middle = ingest(s, mail("b@x", "Question", "2@x", "a zebra"), "r2");
  auto newest = ingest(s, mail("c@x", "Question", "3@x", "the zebra"), "r3");
  std::vector<std::int64_t> two = found(s, "zebra");
  REQUIRE(two.size() == 2);
  CHECK(std::find(two.begin(), two.end(), oldest.request_id) == two.end());
  CHECK(std::find(two.begin(), two.end(), middle.request_id) != two.end());
  CHECK(std::find(two.begin(), two.end(), newest.request_id) != two.end());
  st::search_options more;
  more.candidates = 10;
  auto all = st::search_requests(s, "zebra", more);
  REQUIRE(all.has_value());
  REQUIRE(all->size() == 3);
  CHECK(all->front().request.id == oldest.request_id);
}

TEST_CASE("bad and hostile queries are clear errors, literal mode takes anything") {
  auto s = open_memory();
  auto a = ingest(s, mail("a@x", "can't log-in", "1@x", "\"quoted\" AND NOT stuff"), "r1");
  for (const char* q : {"", "   ", "\"unterminated", "AND", "foo:bar", "(", "can't", "x NEAR("}) {
    CAPTURE(q);
    auto r = st::search_requests(s, q);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code == st::errc::invalid);
  }
  using v = std::vector<std::int64_t>;
  CHECK(found(s, "can't log-in", true) == v{a.request_id});
  CHECK(found(s, "\"quoted\" AND", true) == v{a.request_id});
  CHECK(found(s, "'; DROP TABLE messages; --", true).empty());
  CHECK(found(s, "log") == v{a.request_id});
}

TEST_CASE("search follows messages as they are stored") {
  auto s = open_memory();
  CHECK(found(s, "zebra").empty());
  auto a = ingest(s, mail("a@x", "animals", "1@x", "a zebra"), "r1");
  CHECK(found(s, "zebra") == std::vector<std::int64_t>{a.request_id});
}

TEST_CASE("search finds what agents type: folded letters and word prefixes (issue 19)") {
  auto s = open_memory();
  auto de = ingest(s, mail("c@x.de", "Großhändler", "1@x", "Die Straße ist gesperrt"), "r1");
  auto en = ingest(s, mail("a@x.uk", "Broken widgets", "2@x", "All widgets are bent"), "r2");
  auto no = ingest(s, mail("e@x.no", "Bøker", "3@x", "Æble og œuvre, Łódź"), "r3");
  using v = std::vector<std::int64_t>;
  for (const char* q : {"grosshandler", "großhändler", "GROSSHÄNDLER", "Grosshändler"}) {
    CAPTURE(q);
    CHECK(found(s, q) == v{de.request_id});
  }
  CHECK(found(s, "strasse") == v{de.request_id});
  CHECK(found(s, "boker") == v{no.request_id});
  CHECK(found(s, "aeble") == v{no.request_id});
  CHECK(found(s, "oeuvre") == v{no.request_id});
  CHECK(found(s, "lodz") == v{no.request_id});
  // Plain words are prefixes from three characters on, in both query modes.
  CHECK(found(s, "widget") == v{en.request_id});
  CHECK(found(s, "widget", true) == v{en.request_id});
  CHECK(found(s, "gross") == v{de.request_id});
  CHECK(found(s, "wi").empty());          // too short to be a prefix
  CHECK(found(s, "\"widget\"").empty());  // quoted FTS5 syntax: that word only
  CHECK(found(s, "widgets bent") == v{en.request_id});
  // The snippet shows the text as written, the match marked.
  auto r = st::search_requests(s, "grosshandler");
  REQUIRE(r.has_value());
  REQUIRE(r->size() == 1);
  CHECK((*r)[0].snippet.find("[Großhändler]") != std::string::npos);
}

TEST_CASE("the search index of an older database is made again with folding" *
          doctest::test_suite("sqlite")) {
  hd::storage::open_options opt;
  opt.migrate = false;
  auto opened = st::store::open(":memory:", opt);
  REQUIRE(opened.has_value());
  st::store s = std::move(*opened);
  // Schema 16 brought hd_fold: stop just before it, index a message there with unicode61.
  REQUIRE(s.migrate_to(15).has_value());
  {
    // Written as schema 15 stored it (ingest writes columns of later schemas), indexed at the
    // commit.
    const hd::storage::sql::connection& db = hd::storage::connection_of(s);
    hd::storage::sql::transaction tx(db);
    db.exec("INSERT INTO requests (id, title, created_at, updated_at) VALUES (7, 'x', 1, 1)");
    db.exec(
        "INSERT INTO messages (id, request_id, direction, subject, body_text, created_at) "
        "VALUES (1, 7, 'in', 'Großhändler', 'Lieferung', 1)");
    tx.commit();
  }
  REQUIRE(s.migrate().value() == st::schema_version());
  CHECK(found(s, "grosshandler") == std::vector<std::int64_t>{7});
  CHECK(found(s, "lieferung") == std::vector<std::int64_t>{7});
}

TEST_CASE("search with snippets works on a store opened read-only, again and again" *
          doctest::test_suite("sqlite")) {
  // Snippets are built in a temp table (search.cpp): it must work where the main database
  // cannot be written, and leave nothing behind for the next search.
  auto dir =
      std::filesystem::temp_directory_path() / ("hd_search_ro_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "hd.db").string();
  std::int64_t a = 0, b = 0;
  {
    auto s = st::store::open(path);
    REQUIRE(s.has_value());
    a = ingest(*s, mail("a@x", "printer", "1@x", "the printer jams"), "r1").request_id;
    b = ingest(*s, mail("b@x", "scanner", "2@x", "the scanner works"), "r2").request_id;
  }
  st::open_options ro;
  ro.read_only = true;
  auto s = st::store::open(path, ro);
  REQUIRE(s.has_value());
  for (int round = 0; round < 2; ++round) {
    CAPTURE(round);
    auto printer = st::search_requests(*s, "printer");
    REQUIRE_MESSAGE(printer.has_value(), (printer ? "" : printer.error().message));
    REQUIRE(printer->size() == 1);
    CHECK(printer->front().request.id == a);
    CHECK(printer->front().snippet.find("[printer]") != std::string::npos);
    auto scanner = st::search_requests(*s, "scanner");
    REQUIRE(scanner.has_value());
    REQUIRE(scanner->size() == 1);
    CHECK(scanner->front().request.id == b);
    CHECK(scanner->front().snippet.find("[scanner]") != std::string::npos);
  }
  std::filesystem::remove_all(dir);
}
