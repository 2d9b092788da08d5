// `requests list`: the flagged, favourite and overdue filters and the sort orders.
#include "hd/storage/directory.hpp"
#include "hd/storage/requests.hpp"
#include "hd/storage/views.hpp"
#include "hd/storage/workflow.hpp"
#include "storage_test.hpp"

#include <doctest/doctest.h>

namespace {

using namespace hd::storage;

std::int64_t make(store& s, const char* title, const char* priority, std::int64_t at) {
  auto r = create_request(s, {"c@example.com", "", title, "", "", priority}, {"anna", at});
  REQUIRE(r.has_value());
  return *r;
}

std::vector<std::int64_t> ids(store& s, const request_filter& f) {
  auto rows = s.list_requests(f);
  REQUIRE(rows.has_value());
  std::vector<std::int64_t> out;
  for (const request_summary& r : *rows) out.push_back(r.id);
  return out;
}

// Three requests: #1 normal at t=0, #2 urgent at t=100, #3 low (no targets) at t=50;
// priorities and deadlines as a configured daemon has them.
store three_requests() {
  store s = storage_test::open_memory();
  hd::config cfg;
  cfg.priorities = {{"normal", 8, 72, true}, {"urgent", 1, 8, false}, {"low", 0, 0, false}};
  REQUIRE(sync_directory(s, cfg).has_value());
  make(s, "normal", "normal", 0);
  make(s, "urgent", "urgent", 100);
  make(s, "low", "low", 50);
  REQUIRE(apply_deadlines(s, cfg.priorities).has_value());
  return s;
}

}  // namespace

TEST_CASE("requests list filters: flagged, favourite, overdue") {
  store s = three_requests();
  request_filter f;
  CHECK(ids(s, f) == std::vector<std::int64_t>{1, 2, 3});

  SUBCASE("flagged: a request with a flagged message") {
    f.flagged = true;
    CHECK(ids(s, f).empty());
    auto d = show_request(s, 2);
    REQUIRE(d.has_value());
    REQUIRE(flag_message(s, d->messages.front().id, true, {"anna", 200}).has_value());
    CHECK(ids(s, f) == std::vector<std::int64_t>{2});
    REQUIRE(flag_message(s, d->messages.front().id, false, {"anna", 300}).has_value());
    CHECK(ids(s, f).empty());
  }
  SUBCASE("favourite: only the named agent's") {
    REQUIRE(favourite_request(s, 3, true, {"anna", 200}).has_value());
    REQUIRE(favourite_request(s, 1, true, {"ole", 200}).has_value());
    f.favourite_of = "anna";
    CHECK(ids(s, f) == std::vector<std::int64_t>{3});
    f.favourite_of = "ole";
    CHECK(ids(s, f) == std::vector<std::int64_t>{1});
    f.favourite_of = "nobody";
    CHECK(ids(s, f).empty());
  }
  SUBCASE("overdue: open and past a due time") {
    f.overdue_at = 3600;  // nothing due yet (urgent's first response is due at 3700)
    CHECK(ids(s, f).empty());
    f.overdue_at = 2 * 3600;
    CHECK(ids(s, f) == std::vector<std::int64_t>{2});
    REQUIRE(mark_first_response(s, 2, 1000).has_value());
    CHECK(ids(s, f).empty());  // answered in time; resolution due at 8 h
    f.overdue_at = 9 * 3600;
    CHECK(ids(s, f) == std::vector<std::int64_t>{1, 2});  // normal's first response (8 h) too
    REQUIRE(close_request(s, 2, {"anna", 9 * 3600}).has_value());
    CHECK(ids(s, f) == std::vector<std::int64_t>{1});  // closed is never overdue
  }
  SUBCASE("filters combine with the existing ones") {
    REQUIRE(favourite_request(s, 2, true, {"anna", 200}).has_value());
    REQUIRE(accept_request(s, 2, {"anna", 200}, false).has_value());
    f.favourite_of = "anna";
    f.unassigned = true;
    CHECK(ids(s, f).empty());
    f.unassigned = false;
    f.owner = "anna";
    CHECK(ids(s, f) == std::vector<std::int64_t>{2});
  }
}

TEST_CASE("requests list sort orders") {
  store s = three_requests();
  struct row {
    request_sort sort;
    bool desc;
    std::vector<std::int64_t> want;
  };
  const row table[] = {
      {request_sort::id, false, {1, 2, 3}},
      {request_sort::id, true, {3, 2, 1}},
      {request_sort::created, false, {1, 3, 2}},
      {request_sort::created, true, {2, 3, 1}},
      {request_sort::priority, false, {2, 1, 3}},  // urgent, normal, low (no targets)
      {request_sort::priority, true, {3, 1, 2}},
      {request_sort::deadline, false, {2, 1, 3}},  // #3 has no due time: last
      {request_sort::deadline, true, {1, 2, 3}},   // ... in both directions
  };
  for (const row& r : table) {
    CAPTURE(static_cast<int>(r.sort));
    CAPTURE(r.desc);
    request_filter f;
    f.sort = r.sort;
    f.descending = r.desc;
    CHECK(ids(s, f) == r.want);
  }
  SUBCASE("updated: the last touched first when descending") {
    REQUIRE(add_note(s, 1, "a note", {"anna", 5000}).has_value());
    request_filter f;
    f.sort = request_sort::updated;
    f.descending = true;
    CHECK(ids(s, f).front() == 1);
  }
}
