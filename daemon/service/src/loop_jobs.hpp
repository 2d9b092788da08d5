#pragma once
// What the outbox and webhook senders share: a database job whose result comes back to the
// loop thread (unless the sender is gone by then), a periodic tick while the sender lives, and
// (loop_sender) the state and lifetime of a sender of curl transfers claimed from storage.

#include "hd/common/config.hpp"
#include "hd/common/log.hpp"
#include "hd/net/curl_multi.hpp"
#include "hd/service/storage_worker.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>

namespace hd::daemon::loop_jobs {

/// Runs JOB on DB's thread, then DONE(owner, result) on IO's thread if OWNER still lives. The
/// work guard keeps io.run() going while the job is out.
template <class Owner, class R>
void on_db(boost::asio::io_context& io, storage_worker& db, std::weak_ptr<Owner> owner,
           std::function<R(storage::store&)> job, std::function<void(Owner&, R)> done) {
  auto guard = boost::asio::make_work_guard(io);
  db.submit([job = std::move(job), done = std::move(done), owner = std::move(owner), &io,
             guard](storage::store& s) mutable {
    R r = job(s);
    boost::asio::post(io, [owner, done = std::move(done), r = std::move(r)]() mutable {
      if (auto me = owner.lock()) done(*me, std::move(r));
    });
    guard.reset();
  });
}

/// After INTERVAL, calls owner.tick() and then owner.schedule(), unless the owner is gone or
/// stopping (owner.stopping_) or the timer was cancelled. TIMER belongs to the owner.
template <class Owner>
void tick_after(boost::asio::steady_timer& timer, std::chrono::milliseconds interval,
                std::weak_ptr<Owner> owner) {
  timer.expires_after(interval);
  timer.async_wait([owner = std::move(owner)](boost::system::error_code ec) {
    auto me = owner.lock();
    if (ec || !me || me->stopping_) return;
    me->tick();
    me->schedule();
  });
}

/// A sender on the loop thread: it claims work from storage on a tick, runs each piece as a
/// curl transfer on one curl_multi_driver (made on the first transfer) and records the result
/// on the database thread. DERIVED provides tick() and finished(void* easy, int curl_code);
/// TRANSFER is what it keeps per running transfer, keyed by its easy handle.
template <class Derived, class Transfer>
struct loop_sender : std::enable_shared_from_this<Derived> {
  /// NAME prefixes its events ("outbox.job_failed") and names its curl driver.
  loop_sender(boost::asio::io_context& io, std::shared_ptr<const config> cfg, storage::store db,
              const logger& log, std::function<std::int64_t()> now, int interval_ms,
              std::string name)
      : io_(io),
        cfg_(std::move(cfg)),
        log_(log),
        now_(std::move(now)),
        interval_ms_(interval_ms),
        name_(std::move(name)),
        tick_timer_(io),
        db_(io, std::move(db)) {
    db_.on_job_error([this](const std::string& what) {
      log_.error(name_ + ".job_failed", {{"reason", what}});
    });
  }
  loop_sender(const loop_sender&) = delete;
  loop_sender& operator=(const loop_sender&) = delete;

  ~loop_sender() {
    stopping_ = true;
    tick_timer_.cancel();
    // Transfers still running are abandoned: their rows stay 'sending' and are recovered at
    // the next start.
    for (auto& [easy, tr] : live_) driver_->remove(easy);
    live_.clear();
    shutdown_curl();
    // db_ is destroyed next (it is the last member): it finishes the jobs it still holds.
  }

  /// Runs JOB on the database thread, then DONE with its result on the loop thread (unless the
  /// sender is gone by then).
  template <class R>
  void on_db(std::function<R(storage::store&)> job, std::function<void(Derived&, R)> done) {
    loop_jobs::on_db<Derived, R>(io_, db_, this->weak_from_this(), std::move(job), std::move(done));
  }

  /// Looks for work at once (on the loop), then every interval.
  void begin() {
    poke();
    schedule();
  }

  /// Looks for work now (on the loop): something was queued.
  void poke() {
    boost::asio::post(io_, [weak = this->weak_from_this()] {
      if (auto me = weak.lock()) me->tick();
    });
  }

  void schedule() {
    tick_after<Derived>(tick_timer_, std::chrono::milliseconds(interval_ms_),
                        this->weak_from_this());
  }

  /// The driver, made on first use; MAX_CONNECTIONS 0: no limit of its own.
  curl_multi_driver& driver(long max_connections = 0) {
    if (!driver_) {
      driver_ = curl_multi_driver::create(io_, log_, name_,
                                          [weak = this->weak_from_this()](void* easy, int code) {
                                            if (auto me = weak.lock()) me->finished(easy, code);
                                          });
      if (max_connections > 0) driver_->set_max_connections(max_connections);
    }
    return *driver_;
  }

  /// A result was recorded: while running, look for more work (a slot is free); once
  /// stopping, let curl go when the last transfer is done.
  void after_finish() {
    if (!stopping_) {
      static_cast<Derived*>(this)->tick();
    } else if (live_.empty()) {
      shutdown_curl();
    }
  }

  void stop() {
    stopping_ = true;
    tick_timer_.cancel();
    if (live_.empty()) shutdown_curl();
  }

  /// No transfer is running: drop curl's cached connections, its timer and every watch, so
  /// nothing of ours keeps the loop busy.
  void shutdown_curl() {
    if (driver_) driver_->shutdown();
  }

  boost::asio::io_context& io_;
  std::shared_ptr<const config> cfg_;
  const logger& log_;
  std::function<std::int64_t()> now_;
  int interval_ms_;
  std::string name_;
  boost::asio::steady_timer tick_timer_;
  std::map<void*, Transfer> live_;
  std::shared_ptr<curl_multi_driver> driver_;  // made on the first transfer
  bool claiming_ = false;
  bool stopping_ = false;
  std::minstd_rand rng_{std::random_device{}()};
  storage_worker db_;  // last: destroyed first, finishing the jobs it holds
};

}  // namespace hd::daemon::loop_jobs
