#pragma once
// The service's webhook deliveries (docs/api.md, "Webhooks"). The rows are queued by storage in
// the transaction of each change; this sender claims the due ones on its own database thread,
// POSTs them signed through the shared curl_multi_driver on the daemon's io_context, and records
// each result: a 2xx is delivered, anything else is retried with exponential backoff and jitter
// up to the endpoint's max_attempts, then failed. At start every row left 'sending' (a kill
// mid-POST) is queued again: a delivery is sent at least once, and its id lets a receiver drop
// a duplicate.

#include "hd/common/config.hpp"
#include "hd/common/log.hpp"
#include "hd/storage/store.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>

namespace hd::daemon {

/// Counters since start, for logs and tests.
struct webhook_stats {
  int in_flight = 0;
  int started = 0;
  int delivered = 0;
  int retried = 0;
  int failed = 0;
};

class webhook_sender {
 public:
  /// Starts on IO (call from the loop thread): every INTERVAL_MS, and soon after poke(), it
  /// claims due deliveries for up to each endpoint's max_parallel POSTs in flight. DB is used
  /// only on the sender's database thread.
  webhook_sender(boost::asio::io_context& io, std::shared_ptr<const config> cfg, storage::store db,
                 const logger& log, std::function<std::int64_t()> now, int interval_ms = 1000);
  webhook_sender(const webhook_sender&) = delete;
  webhook_sender& operator=(const webhook_sender&) = delete;
  /// Abandons POSTs in flight (their rows stay 'sending' and are sent again at the next
  /// start). Call on the loop thread once io.run() has returned (or from within it).
  ~webhook_sender();

  /// Uses CFG from now on (SIGHUP) and stores its subscriptions.
  void reconfigure(std::shared_ptr<const config> cfg);
  /// Claims due deliveries soon instead of at the next tick.
  void poke();
  /// Stops claiming; POSTs in flight finish (each bounded by its timeout_s) and are recorded.
  void stop();
  webhook_stats stats() const;

 private:
  struct impl;
  std::shared_ptr<impl> p_;
};

}  // namespace hd::daemon
