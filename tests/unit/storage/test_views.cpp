// Deadlines, the dashboard and `requests next`, on in-memory databases.
#include "hd/storage/views.hpp"
#include "hd/storage/workflow.hpp"

#include "storage/storage_test.hpp"

#include <doctest/doctest.h>

namespace {

using namespace hd::storage;

store open_memory() { return storage_test::open_memory(); }  // SQLite, or HD_TEST_PG_URL

std::int64_t make(store& s, const char* title, const char* priority, std::int64_t at) {
  auto r = create_request(s, {"c@example.com", "", title, "", "", priority}, {"anna", at});
  REQUIRE(r.has_value());
  return *r;
}

const std::vector<hd::priority_config> targets{
    {"normal", 8, 72, true}, {"urgent", 1, 8, false}, {"low", 0, 0, false}};

}  // namespace

TEST_CASE("deadlines follow the priority's targets and are recomputed when it changes") {
  store s = open_memory();
  std::int64_t a = make(s, "normal one", "normal", 0);
  std::int64_t b = make(s, "urgent one", "urgent", 0);
  std::int64_t c = make(s, "low one", "low", 0);
  CHECK(apply_deadlines(s, targets).value() == 3);
  CHECK(apply_deadlines(s, targets).value() == 0);  // nothing left to do
  auto v = dashboard(s, "anna", 2 * 3600);          // two hours later
  REQUIRE(v.has_value());
  REQUIRE(v->overdue.size() == 1);
  CHECK(v->overdue[0].id == b);  // urgent: first response was due after one hour
  CHECK(v->overdue[0].first_response_due == 3600);
  CHECK(v->unassigned.front().id == b);  // nearest deadline first
  CHECK(v->unassigned.back().id == c);   // no deadline last
  REQUIRE(mark_first_response(s, b, 1800).has_value());
  v = dashboard(s, "anna", 2 * 3600);
  CHECK(v->overdue.empty());
  request_changes up;
  up.priority = "urgent";
  REQUIRE(set_request(s, a, up, {"anna", 100}).has_value());
  CHECK(apply_deadlines(s, targets).value() == 1);
  v = dashboard(s, "anna", 2 * 3600);
  REQUIRE(v->overdue.size() == 1);
  CHECK(v->overdue[0].id == a);
}

TEST_CASE("dashboard: mine, waking today, favourites") {
  store s = open_memory();
  std::int64_t a = make(s, "mine", "normal", 0);
  std::int64_t b = make(s, "later", "normal", 0);
  REQUIRE(accept_request(s, a, {"anna", 10}, false).has_value());
  REQUIRE(postpone_request(s, b, 86400 + 3600, {"anna", 10}).has_value());  // tomorrow 01:00
  REQUIRE(favourite_request(s, a, true, {"anna", 10}).has_value());
  auto today = dashboard(s, "anna", 100);
  REQUIRE(today.has_value());
  CHECK(today->mine.size() == 1);
  CHECK(today->mine[0].favourite);
  CHECK(today->favourites.size() == 1);
  CHECK(today->waking.empty());
  auto tomorrow = dashboard(s, "anna", 86400 + 60);
  REQUIRE(tomorrow->waking.size() == 1);
  CHECK(tomorrow->waking[0].id == b);
  CHECK(dashboard(s, "ole", 100)->mine.empty());
}

TEST_CASE("requests next hands out the nearest deadline, once") {
  store s = open_memory();
  make(s, "normal", "normal", 0);
  std::int64_t urgent = make(s, "urgent", "urgent", 0);
  REQUIRE(apply_deadlines(s, targets).has_value());
  auto first = take_next(s, "anna", 50);
  REQUIRE(first.has_value());
  REQUIRE(first->has_value());
  CHECK((*first)->id == urgent);
  CHECK((*first)->owner == "anna");
  auto second = take_next(s, "ole", 60);
  REQUIRE(second->has_value());
  CHECK((*second)->id != urgent);
  CHECK_FALSE(take_next(s, "anna", 70)->has_value());  // the queue is empty
  auto counts = count_open(s);
  REQUIRE(counts.has_value());
  CHECK(counts->by_owner.size() == 2);
}
