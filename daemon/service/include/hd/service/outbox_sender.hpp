#pragma once
// The service's outbox: SMTP transfers driven through libcurl's multi_socket API on the
// daemon's io_context (each socket curl asks about is watched with a stream_descriptor that
// is released, never closed; one steady_timer for curl's timeouts), so no thread ever blocks on
// the network. The database work — claiming due mail, recording each result, recovering mail
// left 'sending' by a crash, waking postponed requests — runs on the sender's own database
// thread with its own connection: SQLite never runs on the loop thread, and a long intake
// batch never delays outgoing mail. See docs/replies.md ("Delivery").

#include "hd/common/config.hpp"
#include "hd/common/log.hpp"
#include "hd/storage/store.hpp"

#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <functional>
#include <memory>

namespace hd::daemon {

/// Counters since start, for logs and tests.
struct sender_stats {
  int in_flight = 0;  ///< transfers running now
  int started = 0;
  int sent = 0;
  int deferred = 0;
  int failed = 0;
};

class outbox_sender {
 public:
  /// Starts on IO (call from the loop thread): every INTERVAL_MS, and soon after poke(), it
  /// wakes postponed requests and, with an [smtp] section, claims due mail for up to
  /// [smtp] max_parallel transfers in flight. DB is used only on the sender's database thread.
  outbox_sender(boost::asio::io_context& io, std::shared_ptr<const config> cfg, storage::store db,
                const logger& log, std::function<std::int64_t()> now, int interval_ms = 1000);
  outbox_sender(const outbox_sender&) = delete;
  outbox_sender& operator=(const outbox_sender&) = delete;
  /// Stops, records what the database thread still holds, and frees curl's handles. Call on
  /// the loop thread once io.run() has returned (or from within it).
  ~outbox_sender();

  /// Uses CFG for transfers started from now on (SIGHUP). The database stays the same.
  void reconfigure(std::shared_ptr<const config> cfg);
  /// Claims due mail soon instead of at the next tick (new mail was queued).
  void poke();
  /// Stops claiming. Transfers in flight finish (each bounded by smtp.timeout_s) and their
  /// results are recorded; after that nothing of the sender keeps io.run() busy.
  void stop();
  sender_stats stats() const;

 private:
  struct impl;
  std::shared_ptr<impl> p_;
};

}  // namespace hd::daemon
