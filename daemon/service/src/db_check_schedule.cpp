#include "hd/service/db_check_schedule.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <chrono>

namespace hd::daemon {

namespace {
constexpr const char* who = "schedule";
}

db_check_schedule::db_check_schedule(boost::asio::io_context& io, std::shared_ptr<const config> cfg,
                                     const logger& log, std::function<std::int64_t()> now,
                                     std::function<void()> on_damage)
    : io_(io),
      cfg_(std::move(cfg)),
      log_(log),
      now_(std::move(now)),
      on_damage_(std::move(on_damage)),
      timer_(io) {}

db_check_schedule::~db_check_schedule() {
  stopping_ = true;
  timer_.cancel();
  alive_.reset();
  if (thread_.joinable()) thread_.join();
}

void db_check_schedule::start() { arm(); }

void db_check_schedule::reconfigure(std::shared_ptr<const config> cfg) {
  bool was_off = cfg_->database.check_every_s == 0 || cfg_->database.check_on_start == 0;
  cfg_ = std::move(cfg);
  if (was_off && !busy_) arm();  // it had no timer armed
}

void db_check_schedule::stop() {
  stopping_ = true;
  timer_.cancel();
}

void db_check_schedule::arm() {
  const database_config& d = cfg_->database;
  if (stopping_ || d.check_every_s == 0 || d.check_on_start == 0) return;
  timer_.expires_after(std::chrono::seconds(d.check_every_s));
  timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](boost::system::error_code ec) {
    if (ec || alive.expired() || stopping_) return;
    const database_config& now_cfg = cfg_->database;  // a reload may have turned it off
    if (now_cfg.check_every_s == 0 || now_cfg.check_on_start == 0) return;
    launch();
  });
}

void db_check_schedule::launch() {
  if (thread_.joinable()) thread_.join();  // the last check, done: it posted its result
  busy_ = true;
  // The work guard keeps the loop running until the result is back, so a damage found while
  // the service stops is still logged.
  thread_ = std::thread([this, cfg = cfg_, now = now_(), alive = std::weak_ptr<int>(alive_),
                         guard = boost::asio::make_work_guard(io_)]() mutable {
    auto r = check_database(*cfg, who, now, 0, true);
    boost::asio::post(io_, [this, alive, r = std::move(r)] {
      if (!alive.expired()) finished(r);
    });
    guard.reset();
  });
}

void db_check_schedule::finished(const result<db_health, storage::errc>& r) {
  busy_ = false;
  if (!r && r.error().code != storage::errc::not_a_database) {
    // Busy or unreadable for now: the check could not run; the next one tries again.
    log_.warn("db.check_failed", {{"by", who}, {"reason", r.error().message}});
    arm();
    return;
  }
  if (!r) {
    // The file was replaced by one that is not a database: no more mail into it.
    log_.error("db.damaged", {{"by", who},
                              {"path", cfg_->database.path},
                              {"problems", r.error().message},
                              {"action", "no mail is taken (docs/faults.md)"}});
    on_damage_();
    return;
  }
  log_db_health(log_, *cfg_, who, *r);
  if (r->checked && !r->ok) {
    on_damage_();
    return;
  }
  arm();
}

}  // namespace hd::daemon
