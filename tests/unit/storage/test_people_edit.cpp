// Editing and merging persons and companies.
#include "hd/storage/people.hpp"
#include "hd/storage/requests.hpp"
#include "storage/storage_test.hpp"

using namespace storage_test;
namespace st = hd::storage;

namespace {

std::int64_t count(st::store& s, const st::request_filter& f = {}) {
  return static_cast<std::int64_t>(s.list_requests(f).value().size());
}

}  // namespace

TEST_CASE("companies add with domains is one transaction") {
  auto s = open_memory();
  auto jan = ingest(s, mail("jan@bigcorp.nl", "x", "1@x"), "r1");
  auto taken = st::add_company(s, "Taken", "admin", 5, {"taken.nl"});
  REQUIRE(taken.has_value());
  // The second domain is another company's: nothing is created, not even the first domain.
  auto bad = st::add_company(s, "BigCorp", "admin", 10, {"bigcorp.nl", "taken.nl"});
  REQUIRE_FALSE(bad.has_value());
  CHECK(bad.error().code == st::errc::invalid);
  CHECK(st::find_company(s, "BigCorp").error().code == st::errc::not_found);
  CHECK(st::show_person(s, jan.person_id)->person.company.empty());
  CHECK(st::add_company(s, "Bad", "admin", 10, {"not a domain"}).error().code == st::errc::invalid);

  auto ok = st::add_company(s, "BigCorp", "admin", 10, {"bigcorp.nl", "bigcorp.be"});
  REQUIRE(ok.has_value());
  CHECK(st::show_company(s, *ok)->company.domains ==
        std::vector<std::string>{"bigcorp.be", "bigcorp.nl"});
  CHECK(st::show_person(s, jan.person_id)->person.company_id == *ok);
}

TEST_CASE("companies edit: name, category, industry, domains") {
  auto s = open_memory();
  auto id = st::add_company(s, "BigCorp", "admin", 10).value();
  auto other = st::add_company(s, "Other", "admin", 10, {"other.nl"}).value();
  auto piet = ingest(s, mail("piet@bigcorp.nl", "x", "1@x"), "r1");

  st::company_changes c;
  c.name = "BigCorp BV";
  c.category = "customer";
  c.industry = "energy";
  c.add_domains = {"BigCorp.nl"};
  REQUIRE(st::edit_company(s, id, c, "admin", 20).has_value());
  auto shown = st::show_company(s, id).value();
  CHECK(shown.company.name == "BigCorp BV");
  CHECK(shown.company.category == "customer");
  CHECK(shown.company.industry == "energy");
  CHECK(shown.company.domains == std::vector<std::string>{"bigcorp.nl"});
  CHECK(st::show_person(s, piet.person_id)->person.company_id == id);

  SUBCASE("bad changes are refused and change nothing") {
    st::company_changes bad;
    bad.category = "partner";
    bad.name = "Other";  // taken
    CHECK(st::edit_company(s, id, bad, "admin", 30).error().code == st::errc::invalid);
    CHECK(st::show_company(s, id)->company.category == "customer");
    st::company_changes steal;
    steal.add_domains = {"other.nl"};
    CHECK(st::edit_company(s, id, steal, "admin", 30).error().code == st::errc::invalid);
    st::company_changes not_mine;
    not_mine.remove_domains = {"other.nl"};
    CHECK(st::edit_company(s, id, not_mine, "admin", 30).error().code == st::errc::invalid);
    CHECK(st::edit_company(s, 999, c, "admin", 30).error().code == st::errc::not_found);
  }
  SUBCASE("remove a domain; clear the category") {
    st::company_changes r;
    r.remove_domains = {"bigcorp.nl"};
    r.category = "";
    REQUIRE(st::edit_company(s, id, r, "admin", 30).has_value());
    CHECK(st::show_company(s, id)->company.domains.empty());
    CHECK(st::show_company(s, id)->company.category.empty());
    CHECK(st::show_person(s, piet.person_id)->person.company_id == id);  // persons stay
  }
  SUBCASE("merge: persons and domains move, the master keeps its lists") {
    st::company_changes o;
    o.category = "partner";
    REQUIRE(st::edit_company(s, other, o, "admin", 30).has_value());
    auto kees = ingest(s, mail("kees@other.nl", "y", "2@x"), "r2");
    REQUIRE(st::merge_companies(s, other, id, "admin", 40).has_value());
    CHECK(st::show_company(s, other).error().code == st::errc::not_found);
    auto m = st::show_company(s, id).value();
    CHECK(m.company.domains == std::vector<std::string>{"bigcorp.nl", "other.nl"});
    CHECK(m.company.category == "customer");
    CHECK(st::show_person(s, kees.person_id)->person.company_id == id);
    CHECK(m.requests.size() == 2);
    CHECK(st::merge_companies(s, id, id, "admin", 40).error().code == st::errc::invalid);
    CHECK(st::merge_companies(s, 999, id, "admin", 40).error().code == st::errc::not_found);
  }
}

TEST_CASE("persons edit: name, language, company, addresses") {
  auto s = open_memory();
  auto a = ingest(s, mail("asa@example.no", "x", "1@x"), "r1");
  auto b = ingest(s, mail("ole@example.no", "y", "2@x"), "r2");
  auto co = st::add_company(s, "Fjordkraft", "admin", 10).value();

  st::person_changes c;
  c.name = "Åsa Berg";
  c.language = "no";
  c.company_id = co;
  c.add_addresses = {"Asa.Berg@Home.NO"};
  REQUIRE(st::edit_person(s, a.person_id, c, "anna", 20).has_value());
  auto p = st::show_person(s, a.person_id).value();
  CHECK(p.person.name == "Åsa Berg");
  CHECK(p.language == "no");
  CHECK(p.person.company_id == co);
  CHECK(p.person.addresses == std::vector<std::string>{"asa@example.no", "asa.berg@home.no"});
  CHECK(st::find_person(s, "asa.berg@home.no").value() == a.person_id);

  struct row {
    const char* what;
    st::person_changes change;
    st::errc want;
  };
  st::person_changes taken, bad, not_theirs, last, no_company;
  taken.add_addresses = {"ole@example.no"};
  bad.add_addresses = {"not an address"};
  not_theirs.remove_addresses = {"ole@example.no"};
  last.remove_addresses = {"asa@example.no", "asa.berg@home.no"};
  no_company.company_id = 999;
  const row table[] = {
      {"another person's address", taken, st::errc::invalid},
      {"a malformed address", bad, st::errc::invalid},
      {"removing an address they lack", not_theirs, st::errc::invalid},
      {"removing the last address", last, st::errc::invalid},
      {"an unknown company", no_company, st::errc::not_found},
  };
  for (const row& r : table) {
    CAPTURE(r.what);
    auto got = st::edit_person(s, a.person_id, r.change, "anna", 30);
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().code == r.want);
  }
  CHECK(st::show_person(s, a.person_id)->person.addresses.size() == 2);  // nothing changed
  CHECK(st::edit_person(s, 999, c, "anna", 30).error().code == st::errc::not_found);

  st::person_changes forget;
  forget.language = "";
  forget.clear_company = true;
  REQUIRE(st::edit_person(s, b.person_id, forget, "anna", 40).has_value());
  CHECK_FALSE(st::show_person(s, b.person_id)->language.has_value());
}

TEST_CASE("persons merge: addresses, requests and messages move; events recorded") {
  auto s = open_memory();
  hd::parsed_message m = mail("asa@home.no", "privat", "1@x");
  m.from->name = "Åsa";
  auto dup = ingest(s, m, "r1");
  auto keep = ingest(s, mail("asa@work.no", "jobb", "2@x"), "r2");
  REQUIRE(st::merge_persons(s, dup.person_id, keep.person_id, "anna", 50).has_value());
  CHECK(st::show_person(s, dup.person_id).error().code == st::errc::not_found);
  auto p = st::show_person(s, keep.person_id).value();
  CHECK(p.person.name == "Åsa");  // taken over: the master had none
  CHECK(p.person.addresses == std::vector<std::string>{"asa@home.no", "asa@work.no"});
  CHECK(p.requests.size() == 2);
  CHECK(count(s) == 2);
  auto d = st::show_request(s, dup.request_id).value();
  CHECK(d.summary.person_id == keep.person_id);
  CHECK(d.events.back().kind == "person_merged");
  // Later mail from the merged address threads as the master person.
  auto again =
      ingest(s, mail("asa@home.no", "Re: " + tag(dup.request_id) + " privat", "3@x"), "r3");
  CHECK(again.person_id == keep.person_id);
  CHECK(st::merge_persons(s, keep.person_id, keep.person_id, "anna", 60).error().code ==
        st::errc::invalid);
  CHECK(st::merge_persons(s, 999, keep.person_id, "anna", 60).error().code == st::errc::not_found);
}
