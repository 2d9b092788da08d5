#include "outbox_worker.hpp"

#include "hd/daemon/pipeline.hpp"
#include "hd/daemon/smtp.hpp"
#include "hd/storage/workflow.hpp"

#include <chrono>

namespace hd::daemon {

outbox_worker::outbox_worker(std::shared_ptr<const config> cfg, const logger& log,
                             std::function<std::int64_t()> now, int interval_ms)
    : log_(log), now_(std::move(now)), interval_ms_(interval_ms), cfg_(std::move(cfg)) {
  thread_ = std::thread([this] { loop(); });
}

outbox_worker::~outbox_worker() {
  stop();
  if (thread_.joinable()) thread_.join();
}

void outbox_worker::reconfigure(std::shared_ptr<const config> cfg) {
  std::lock_guard lock(mu_);
  cfg_ = std::move(cfg);
}

void outbox_worker::poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  cv_.notify_one();
}

void outbox_worker::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
}

void outbox_worker::loop() {
  for (;;) {
    std::shared_ptr<const config> cfg;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_),
                   [this] { return stop_ || poked_; });
      if (stop_) return;
      poked_ = false;
      cfg = cfg_;
    }
    round(*cfg);
  }
}

void outbox_worker::round(const config& cfg) {
  // A connection per round: cheap next to a delivery, and it follows a reloaded database path.
  auto db = open_store(cfg);
  if (!db) {
    log_.error("outbox.open_failed", {{"reason", db.error().message}});
    return;
  }
  std::int64_t now = now_();
  if (auto woke = storage::wake_postponed(*db, now); woke && *woke > 0) {
    log_.info("requests.woke", {{"count", *woke}});
  }
  if (!cfg.smtp) return;
  drain_stats d = drain_outbox(cfg, *db, log_, now);
  if (d.attempted > 0 || d.recovered > 0) {
    log_.info("outbox.drained", {{"attempted", d.attempted},
                                 {"sent", d.sent},
                                 {"deferred", d.deferred},
                                 {"failed", d.failed}});
  }
}

}  // namespace hd::daemon
