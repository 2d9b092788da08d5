#pragma once
// The one thread that touches SQLite (and runs the parser) for the daemon, so the loop thread
// never blocks. Jobs run in order on the worker's own store (one connection); each result is
// posted back to the io_context and resumes the coroutine that asked for it.
//
// The worker never dies: a job that throws (a bug; expected failures are values) does not end
// the thread. For run(), the exception is rethrown in the awaiting coroutine on the loop thread,
// whose completion handler logs it; a submitted job's exception goes to the error reporter.

#include "hd/storage/store.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace hd::daemon {

class storage_worker {
 public:
  /// Starts the thread; DB is used only from it from now on.
  storage_worker(boost::asio::io_context& io, storage::store db);
  /// Runs the jobs already queued, then joins the thread.
  ~storage_worker();
  storage_worker(const storage_worker&) = delete;
  storage_worker& operator=(const storage_worker&) = delete;

  /// Called on the loop thread with the text of an exception that escaped a submitted job.
  using error_reporter = std::function<void(const std::string&)>;
  void on_job_error(error_reporter r) { report_ = std::move(r); }

  /// Runs JOB on the worker thread and resumes the caller with its result on the loop thread.
  /// An exception thrown by JOB is rethrown in the caller.
  template <class R>
  boost::asio::awaitable<R> run(std::function<R(storage::store&)> job) {
    namespace asio = boost::asio;
    return asio::async_initiate<decltype(asio::use_awaitable), void(std::exception_ptr, R)>(
        [this, job = std::move(job)](auto handler) mutable {
          auto h = std::make_shared<decltype(handler)>(std::move(handler));
          // The job lambda gives up its handler and its captures on the worker thread before
          // posting: the handler (and whatever it owns) must only be touched by the loop.
          push([this, h, job = std::move(job)](storage::store& db) mutable {
            std::optional<R> r;
            std::exception_ptr ep;
            try {
              r.emplace(job(db));
            } catch (...) {
              ep = std::current_exception();
            }
            job = nullptr;
            asio::post(io_, [h = std::move(h), ep, r = std::move(r)]() mutable {
              auto done = std::move(*h);
              h.reset();
              std::move(done)(ep, r ? std::move(*r) : R{});
            });
          });
        },
        asio::use_awaitable);
  }

  /// Queues JOB to run on the worker thread; it reports back itself (asio::post).
  void submit(std::function<void(storage::store&)> job) { push(std::move(job)); }

  /// Upkeep that must never delay a job: run on the worker thread once no job has come for
  /// AFTER, again at once while it returns true (more to do) and no job waits; once it returns
  /// false (or throws, reported as a job's exception), not until another job has run. The
  /// intake service merges the search index with it (docs/storage.md, "Search").
  void set_idle_task(std::chrono::milliseconds after, std::function<bool(storage::store&)> task);
  /// Asks long jobs (batches of mail) to stop after the mail in hand. Thread-safe.
  void request_stop() { stop_requested_ = true; }
  /// Set once request_stop was called (read by jobs on the worker thread).
  const std::atomic<bool>& stop_flag() const { return stop_requested_; }

 private:
  void push(std::function<void(storage::store&)> job);
  void loop();
  void report(std::string what);

  boost::asio::io_context& io_;
  storage::store db_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void(storage::store&)>> jobs_;
  std::function<bool(storage::store&)> idle_task_;  ///< guarded by mu_, like jobs_
  std::chrono::milliseconds idle_after_{0};
  bool closing_ = false;
  std::atomic<bool> stop_requested_{false};
  error_reporter report_;  ///< set before the first job; called on the loop thread only
  std::thread thread_;
};

}  // namespace hd::daemon
