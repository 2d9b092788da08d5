#include "hd/service/readiness.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using hd::daemon::readiness;

namespace {

// The first line of each state string sent (the STATUS= line is for people).
struct recorder {
  std::vector<std::string> got;
  readiness make() {
    return readiness([this](const std::string& s) { got.push_back(s.substr(0, s.find('\n'))); });
  }
};

}  // namespace

TEST_CASE("readiness: READY=1 once every mailbox was contacted, once") {
  recorder r;
  readiness ready = r.make();
  ready.expect(2);
  CHECK(r.got.empty());
  ready.contacted("support");
  ready.contacted("support");  // a retry of the same mailbox does not count twice
  CHECK(r.got.empty());
  ready.contacted("sales");
  CHECK(r.got == std::vector<std::string>{"READY=1"});
  ready.contacted("sales");  // reconnects later send nothing
  CHECK(r.got.size() == 1);
}

TEST_CASE("readiness: no mailboxes is ready at once") {
  recorder r;
  readiness ready = r.make();
  ready.expect(0);
  CHECK(r.got == std::vector<std::string>{"READY=1"});
}

TEST_CASE("readiness: reload and stop") {
  SUBCASE("a reload before ready sends nothing") {
    recorder r;
    readiness ready = r.make();
    ready.expect(1);
    ready.reloading();
    ready.reloaded();
    CHECK(r.got.empty());
  }
  SUBCASE("a reload once ready: RELOADING=1 then READY=1") {
    recorder r;
    readiness ready = r.make();
    ready.expect(1);
    ready.contacted("support");
    ready.reloading();
    ready.reloaded();
    CHECK(r.got == std::vector<std::string>{"READY=1", "RELOADING=1", "READY=1"});
  }
  SUBCASE("STOPPING=1 once; nothing after it") {
    recorder r;
    readiness ready = r.make();
    ready.expect(1);
    ready.stopping();
    ready.stopping();
    ready.contacted("support");
    ready.reloading();
    CHECK(r.got == std::vector<std::string>{"STOPPING=1"});
  }
}
