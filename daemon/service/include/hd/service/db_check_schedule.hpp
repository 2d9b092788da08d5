#pragma once
// `run`'s integrity check on a schedule ([database] check_every_s, docs/faults.md): every
// interval the configured check (check_on_start: quick or full) runs on a thread of its own,
// on its own read-only connection, so the storage worker, and with it intake, never waits
// for the seconds a quick_check of a big file takes. The result comes back to the loop,
// which logs it (`db.check by=schedule ...` or `error db.damaged by=schedule ...`).

#include "hd/common/config.hpp"
#include "hd/common/log.hpp"
#include "hd/intake/db_health.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

namespace hd::daemon {

class db_check_schedule {
 public:
  /// ON_DAMAGE runs on the loop thread when a check found the database damaged (after the
  /// error is logged and the damage mark written). All members are called on the loop thread.
  db_check_schedule(boost::asio::io_context& io, std::shared_ptr<const config> cfg,
                    const logger& log, std::function<std::int64_t()> now,
                    std::function<void()> on_damage);
  /// Waits for a check that is running (at most one check's time).
  ~db_check_schedule();
  db_check_schedule(const db_check_schedule&) = delete;
  db_check_schedule& operator=(const db_check_schedule&) = delete;

  /// Arms the first check, check_every_s from now; nothing when check_every_s is 0 or
  /// check_on_start is off.
  void start();
  /// CFG's interval and depth apply from the next check on.
  void reconfigure(std::shared_ptr<const config> cfg);
  /// No further check; one already running finishes and is still logged.
  void stop();

 private:
  void arm();
  void launch();
  void finished(const result<db_health, storage::errc>& r);

  boost::asio::io_context& io_;
  std::shared_ptr<const config> cfg_;
  const logger& log_;
  std::function<std::int64_t()> now_;
  std::function<void()> on_damage_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  ///< results posted after us drop
  bool busy_ = false;                                      ///< a check is running
  bool stopping_ = false;
  std::thread thread_;  ///< the running (or last) check
};

}  // namespace hd::daemon
