#include "hd/service/readiness.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
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

TEST_CASE(
    "startup_keepalive: extends the start timeout at once and then regularly, until stopped") {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> got;
  hd::daemon::startup_keepalive keep("migrating", std::chrono::milliseconds(5),
                                     [&](const std::string& s) {
                                       std::lock_guard lock(m);
                                       got.push_back(s);
                                       cv.notify_all();
                                     });
  {
    std::unique_lock lock(m);
    // No time limit on the test: it waits for the third message, however long that takes.
    cv.wait(lock, [&] { return got.size() >= 3; });
  }
  keep.stop();
  std::size_t after_stop = 0;
  {
    std::lock_guard lock(m);
    after_stop = got.size();
    // Three times the interval, in microseconds, and what is going on.
    CHECK(got.front() == "EXTEND_TIMEOUT_USEC=15000\nSTATUS=migrating");
    for (const std::string& s : got) CHECK(s == got.front());
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  std::lock_guard lock(m);
  CHECK(got.size() == after_stop);  // nothing after stop()
}
