// Deadlines, the dashboard and `requests next`, on in-memory databases.
#include "hd/storage/views.hpp"
#include "hd/storage/workflow.hpp"

#include "storage/storage_test.hpp"

#include <doctest/doctest.h>

#include <map>

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

TEST_CASE("deadlines: requests set one at a time or together get the same due times") {
  // apply_deadlines as the intake calls it (one waiting request) and after many waited
  // (a migration): every request must get the same due times. One store (on PostgreSQL the
  // tests share one database): 40 requests each set as it comes, then 40 alike set together.
  const char* priorities[] = {"normal", "urgent", "low", "unknown"};
  store s = open_memory();
  for (int i = 0; i < 40; ++i) {
    make(s, ("each " + std::to_string(i)).c_str(), priorities[i % 4], i * 60);
    CHECK(apply_deadlines(s, targets).value() == (i % 4 == 3 ? 0 : 1));
  }
  for (int i = 0; i < 40; ++i)
    make(s, ("bulk " + std::to_string(i)).c_str(), priorities[i % 4], i * 60);
  CHECK(apply_deadlines(s, targets).value() == 30);  // 40 waiting, 30 with targets
  CHECK(apply_deadlines(s, targets).value() == 0);
  auto v = dashboard(s, "anna", 0);
  REQUIRE(v.has_value());
  REQUIRE(v->unassigned.size() == 80);
  std::map<std::string, queue_item> by_title;
  for (const queue_item& q : v->unassigned) by_title[q.title] = q;
  int urgent = 0;
  for (int i = 0; i < 40; ++i) {
    const queue_item& x = by_title.at("each " + std::to_string(i));
    const queue_item& y = by_title.at("bulk " + std::to_string(i));
    CAPTURE(i);
    CHECK(x.first_response_due == y.first_response_due);
    CHECK(x.resolution_due == y.resolution_due);
    if (x.priority == "urgent") {
      ++urgent;
      CHECK(x.first_response_due == x.created_at + 3600);
      CHECK(x.resolution_due == x.created_at + 8 * 3600);
    } else if (x.priority != "normal") {
      CHECK_FALSE(x.first_response_due.has_value());  // low: no targets; unknown: none set
    }
  }
  CHECK(urgent == 10);
}

TEST_CASE("deadlines: a request ingested with the targets has its due times as it is written") {
  store s = open_memory();
  auto mail = storage_test::mail("c@example.com", "printer", std::nullopt, "text");
  auto ingest = [&](const char* priority, bool with_targets, std::int64_t now) {
    std::string raw = std::string("Subject: ") + priority + std::to_string(now) + "\r\n\r\nx";
    inbound in = storage_test::inbound_of(mail, raw, now);
    in.route.priority = priority;
    if (with_targets) in.targets = &targets;
    auto r = s.ingest(in);
    REQUIRE(r.has_value());
    return r->request_id;
  };
  std::int64_t urgent = ingest("urgent", true, 1000);
  std::int64_t low = ingest("low", true, 2000);
  std::int64_t other = ingest("unknown", true, 3000);
  CHECK(apply_deadlines(s, targets).value() == 0);     // nothing waits
  std::int64_t later = ingest("urgent", false, 4000);  // without the targets: it waits
  CHECK(apply_deadlines(s, targets).value() == 1);
  auto v = dashboard(s, "anna", 0);
  REQUIRE(v.has_value());
  std::map<std::int64_t, queue_item> by_id;
  for (const queue_item& q : v->unassigned) by_id[q.id] = q;
  REQUIRE(by_id.size() == 4);
  CHECK(by_id.at(urgent).first_response_due == 1000 + 3600);
  CHECK(by_id.at(urgent).resolution_due == 1000 + 8 * 3600);
  CHECK(by_id.at(later).first_response_due == 4000 + 3600);
  CHECK_FALSE(by_id.at(low).first_response_due.has_value());
  CHECK_FALSE(by_id.at(other).resolution_due.has_value());
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
