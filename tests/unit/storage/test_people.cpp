// Persons and companies.
#include "hd/storage/people.hpp"

#include "storage/storage_test.hpp"

using namespace storage_test;
namespace st = hd::storage;

TEST_CASE("companies: add, add-domain, new persons land under them, existing ones move") {
  auto s = open_memory();
  auto early = ingest(s, mail("jan@bigcorp.nl", "x", "1@x"), "r1");
  auto id = st::add_company(s, "BigCorp", "admin", 10);
  REQUIRE(id.has_value());
  CHECK(st::add_company(s, " BigCorp ", "admin", 10).error().code == st::errc::invalid);
  CHECK(st::add_company(s, "  ", "admin", 10).error().code == st::errc::invalid);

  auto moved = st::add_company_domain(s, *id, "@BigCorp.NL", "admin", 11);
  REQUIRE(moved.has_value());
  CHECK(*moved == 1);  // jan, who wrote before the domain was known
  CHECK(st::add_company_domain(s, *id, "bigcorp.nl", "admin", 11).value() == 0);
  CHECK(st::add_company_domain(s, *id, "not a domain", "admin", 11).error().code ==
        st::errc::invalid);
  CHECK(st::add_company_domain(s, 999, "x.nl", "admin", 11).error().code == st::errc::not_found);
  auto other = st::add_company(s, "Other", "admin", 12);
  CHECK(st::add_company_domain(s, *other, "bigcorp.nl", "admin", 12).error().code ==
        st::errc::invalid);

  auto a = ingest(s, mail("Piet@BigCorp.nl", "y", "2@x"), "r2");
  auto b = ingest(s, mail("kees@support.bigcorp.nl", "z", "3@x"), "r3");
  auto c = ingest(s, mail("anna@notbigcorp.nl", "w", "4@x"), "r4");
  CHECK(st::show_person(s, a.person_id)->person.company == "BigCorp");
  CHECK(st::show_person(s, b.person_id)->person.company == "BigCorp");
  CHECK(st::show_person(s, c.person_id)->person.company.empty());
  CHECK(st::show_person(s, early.person_id)->person.company_id == *id);

  CHECK(st::find_company(s, "BigCorp").value() == *id);
  CHECK(st::find_company(s, std::to_string(*id)).value() == *id);
  CHECK(st::find_company(s, "Nope").error().code == st::errc::not_found);

  auto shown = st::show_company(s, *id);
  REQUIRE(shown.has_value());
  CHECK(shown->company.domains == std::vector<std::string>{"bigcorp.nl"});
  CHECK(shown->persons.size() == 3);
  CHECK(shown->requests.size() == 3);
  CHECK(shown->company.request_count == 3);
  auto all = st::list_companies(s);
  REQUIRE(all.has_value());
  CHECK(all->size() == 2);
  CHECK(all->front().name == "BigCorp");
}

TEST_CASE("persons: list, show, find by address") {
  auto s = open_memory();
  hd::parsed_message m = mail("Åsa.Berg@Example.no", "skriver", "1@x");
  m.from->name = "Åsa Berg";
  auto a = ingest(s, m, "r1");
  ingest(s, mail("ÅSA.BERG@EXAMPLE.NO", "igjen", "2@x"), "r2");  // ASCII case folds
  auto list = st::list_persons(s);
  REQUIRE(list.has_value());
  REQUIRE(list->size() == 1);
  CHECK(list->front().name == "Åsa Berg");
  CHECK(list->front().request_count == 2);
  CHECK(st::find_person(s, " ÅSA.Berg@EXAMPLE.no").value() == a.person_id);
  CHECK(st::find_person(s, "nobody@example.no").error().code == st::errc::not_found);
  auto p = st::show_person(s, a.person_id);
  REQUIRE(p.has_value());
  CHECK(p->requests.size() == 2);
  CHECK(p->person.addresses.size() == 1);
  CHECK(st::show_person(s, 42).error().code == st::errc::not_found);
}
