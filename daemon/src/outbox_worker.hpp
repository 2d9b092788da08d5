#pragma once
// The service's background housekeeping: sending the outbox and waking postponed requests.
// It runs on its own thread with its own database connection, so a slow SMTP server never
// stalls the event loop or the storage worker that intake uses.

#include "hd/common/config.hpp"
#include "hd/common/log.hpp"

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace hd::daemon {

class outbox_worker {
 public:
  /// Starts the thread. Every `interval_ms` it sends what is due (when the config has an
  /// [smtp] section) and wakes postponed requests whose time has come.
  outbox_worker(std::shared_ptr<const config> cfg, const logger& log,
                std::function<std::int64_t()> now, int interval_ms = 1000);
  outbox_worker(const outbox_worker&) = delete;
  outbox_worker& operator=(const outbox_worker&) = delete;
  /// Stops and joins (a delivery in progress finishes first; it is bounded by smtp.timeout_s).
  ~outbox_worker();

  /// Uses this configuration from the next round on (SIGHUP).
  void reconfigure(std::shared_ptr<const config> cfg);
  /// Runs a round now instead of at the next tick (new mail was stored).
  void poke();
  void stop();

 private:
  void loop();
  void round(const config& cfg);

  const logger& log_;
  std::function<std::int64_t()> now_;
  int interval_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::shared_ptr<const config> cfg_;  // guarded by mu_
  bool stop_ = false;                  // guarded by mu_
  bool poked_ = false;                 // guarded by mu_
  std::thread thread_;
};

}  // namespace hd::daemon
