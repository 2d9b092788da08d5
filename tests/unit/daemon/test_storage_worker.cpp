// The storage worker's idle task (the intake service merges the search index with it): never
// before a job has run, after the quiet spell, again while it has more to do, then not until
// the next job; a job never waits behind more than the one step in hand.
#include "hd/service/storage_worker.hpp"

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using hd::daemon::storage_worker;
using namespace std::chrono_literals;

namespace {

// What ran on the worker thread, in order: "job" or "idle".
struct journal {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> ran;

  void add(const std::string& what) {
    {
      std::lock_guard lock(mu);
      ran.push_back(what);
    }
    cv.notify_all();
  }
  // Waits until N entries are there (a hung worker is ctest's timeout, not an assertion).
  std::vector<std::string> wait_for(std::size_t n) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return ran.size() >= n; });
    return ran;
  }
  std::vector<std::string> now() {
    std::lock_guard lock(mu);
    return ran;
  }
};

hd::storage::store memory_store() {
  auto s = hd::storage::store::open(":memory:");
  REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.error().message));
  return std::move(*s);
}

}  // namespace

TEST_CASE("storage worker: the idle task runs after a job, while it has more, then waits") {
  boost::asio::io_context io;
  journal j;
  int steps = 0;  // touched on the worker thread only
  {
    storage_worker w(io, memory_store());
    w.set_idle_task(10ms, [&](hd::storage::store&) {
      j.add("idle");
      return ++steps % 3 != 0;  // more, more, done
    });
    // Nothing has run: no upkeep owed yet.
    std::this_thread::sleep_for(100ms);
    CHECK(j.now().empty());

    w.submit([&](hd::storage::store&) { j.add("job"); });
    CHECK(j.wait_for(4) == std::vector<std::string>{"job", "idle", "idle", "idle"});
    // Done: it does not run again on its own.
    std::this_thread::sleep_for(100ms);
    CHECK(j.now().size() == 4);

    w.submit([&](hd::storage::store&) { j.add("job"); });
    CHECK(j.wait_for(8) ==
          std::vector<std::string>{"job", "idle", "idle", "idle", "job", "idle", "idle", "idle"});
  }
}

TEST_CASE("storage worker: jobs come before the idle task, which waits for a quiet spell") {
  boost::asio::io_context io;
  journal j;
  {
    storage_worker w(io, memory_store());
    // A quiet spell far longer than the jobs below take to queue.
    w.set_idle_task(1h, [&](hd::storage::store&) {
      j.add("idle");
      return false;
    });
    for (int i = 0; i < 5; ++i) w.submit([&](hd::storage::store&) { j.add("job"); });
    CHECK(j.wait_for(5) == std::vector<std::string>(5, "job"));
    std::this_thread::sleep_for(100ms);
    CHECK(j.now().size() == 5);  // still inside the spell
  }                              // closing does not run it either
  CHECK(j.now().size() == 5);
}

TEST_CASE("storage worker: an idle task that throws is reported and stops until the next job") {
  boost::asio::io_context io;
  journal j;
  std::vector<std::string> reported;
  {
    storage_worker w(io, memory_store());
    w.on_job_error([&](const std::string& what) { reported.push_back(what); });
    w.set_idle_task(10ms, [&](hd::storage::store&) -> bool {
      j.add("idle");
      throw std::runtime_error("merging the search index: disk I/O error");
    });
    w.submit([&](hd::storage::store&) { j.add("job"); });
    CHECK(j.wait_for(2) == std::vector<std::string>{"job", "idle"});
    // The report is posted to the loop (which runs here, on this thread, while W lives).
    while (reported.empty()) {
      io.restart();
      io.poll();
      std::this_thread::sleep_for(1ms);
    }
    std::this_thread::sleep_for(100ms);
    CHECK(j.now().size() == 2);
  }
  CHECK(reported == std::vector<std::string>{"merging the search index: disk I/O error"});
}
