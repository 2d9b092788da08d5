// assign_mailboxes: how several daemons on one PostgreSQL spread the mailboxes (issue 18,
// docs/scale-out.md). A pure function; take_leases against a real server is tested in
// test_pg_schema.cpp.
#include "hd/storage/leases.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

namespace st = hd::storage;

namespace {

using served = std::map<std::string, std::vector<std::string>>;
using holders = std::map<std::string, std::string>;

served all_serve(int mailboxes, const std::vector<std::string>& daemons) {
  served s;
  for (int i = 0; i < mailboxes; ++i) {
    s[(i < 10 ? "m0" : "m") + std::to_string(i)] = daemons;
  }
  return s;
}

std::map<std::string, int> load_of(const std::map<std::string, std::string>& plan) {
  std::map<std::string, int> load;
  for (const auto& [m, d] : plan) ++load[d];
  return load;
}

}  // namespace

TEST_CASE("assign_mailboxes: every mailbox goes to one daemon, evenly") {
  for (int daemons = 1; daemons <= 4; ++daemons) {
    std::vector<std::string> ds;
    for (int i = 0; i < daemons; ++i) ds.push_back("d" + std::to_string(i));
    for (int boxes : {1, 3, 4, 20, 21}) {
      CAPTURE(daemons);
      CAPTURE(boxes);
      auto plan = st::assign_mailboxes(all_serve(boxes, ds), {});
      CHECK(plan.size() == static_cast<std::size_t>(boxes));
      int most = 0, least = boxes;
      auto load = load_of(plan);
      for (const std::string& d : ds) {
        most = std::max(most, load[d]);
        least = std::min(least, load[d]);
      }
      CHECK(most - least <= 1);  // 20 over 3: 7, 7, 6
    }
  }
}

TEST_CASE("assign_mailboxes: a holder keeps its share, a newcomer gets the rest") {
  served s = all_serve(20, {"a", "b"});
  holders h;
  for (const auto& [m, d] : s) h[m] = "a";  // a started first and took everything
  auto plan = st::assign_mailboxes(s, h);
  auto load = load_of(plan);
  CHECK(load["a"] == 10);
  CHECK(load["b"] == 10);
  for (const auto& [m, d] : plan) {
    if (d == "a") CHECK(h.at(m) == "a");
  }
  // Once b holds its half, the spread is what is held: nothing moves any more.
  holders settled(plan.begin(), plan.end());
  CHECK(st::assign_mailboxes(s, settled) == plan);
  // A third daemon: each of the two gives up what is over its share (7), nothing more.
  served three = all_serve(20, {"a", "b", "c"});
  auto plan3 = st::assign_mailboxes(three, settled);
  auto load3 = load_of(plan3);
  CHECK(load3["a"] == 7);
  CHECK(load3["b"] == 7);
  CHECK(load3["c"] == 6);
  int moved = 0;
  for (const auto& [m, d] : plan3) moved += d != settled.at(m) ? 1 : 0;
  CHECK(moved == 6);
}

TEST_CASE("assign_mailboxes: a daemon gone, its mailboxes go to those left") {
  holders h;
  served both = all_serve(6, {"a", "b"});
  auto plan = st::assign_mailboxes(both, {});
  holders held(plan.begin(), plan.end());
  // b stopped heartbeating: it is no longer a candidate, and its leases expired.
  served only_a = all_serve(6, {"a"});
  for (auto it = held.begin(); it != held.end();) {
    it = it->second == "b" ? held.erase(it) : std::next(it);
  }
  auto after = st::assign_mailboxes(only_a, held);
  CHECK(load_of(after)["a"] == 6);
}

TEST_CASE("assign_mailboxes: daemons that serve different lists") {
  // b serves only m1 and m2; a serves all four. The mailboxes with one candidate are placed
  // first, so a's share is not used up before m3 and m4 come.
  served s = {{"m1", {"a", "b"}}, {"m2", {"a", "b"}}, {"m3", {"a"}}, {"m4", {"a"}}};
  auto plan = st::assign_mailboxes(s, {});
  CHECK(plan.at("m3") == "a");
  CHECK(plan.at("m4") == "a");
  CHECK(plan.at("m1") == "b");
  CHECK(plan.at("m2") == "b");
  // A mailbox only one daemon serves goes to it even past its share.
  served lone = {{"x1", {"a"}}, {"x2", {"a"}}, {"x3", {"a"}}, {"y", {"b"}}};
  auto p2 = st::assign_mailboxes(lone, {{"x1", "b"}});  // a holder that does not serve it
  CHECK(load_of(p2)["a"] == 3);
  CHECK(p2.at("y") == "b");
  // A holder that no longer serves a mailbox (its configuration changed) does not keep it.
  CHECK(st::assign_mailboxes({{"m", {"a"}}}, {{"m", "b"}}).at("m") == "a");
  CHECK(st::assign_mailboxes({}, {{"m", "b"}}).empty());
}

TEST_CASE("assign_mailboxes: the same input gives the same spread, whatever the order") {
  served s = all_serve(12, {"x", "y", "z"});
  served reversed;
  for (auto& [m, ds] : s) reversed[m] = std::vector<std::string>(ds.rbegin(), ds.rend());
  CHECK(st::assign_mailboxes(s, {}) == st::assign_mailboxes(reversed, {}));
}
