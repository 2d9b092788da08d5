#pragma once
// What the outbox and webhook senders share: a database job whose result comes back to the
// loop thread (unless the sender is gone by then), and a periodic tick while the sender lives.

#include "hd/service/storage_worker.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>

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

}  // namespace hd::daemon::loop_jobs
