#pragma once
// The HTTP/1.1 server of `helpdeskd run`, on the daemon's io_context (Boost.Beast, modelled on
// Beast's async server example: an on_<step> handler per step, a timeout on every step, one
// write in flight). Each request that arrives whole and within the limits goes to the handler
// on the loop thread; the handler answers once, from any thread, through its `reply` callback.
//
// Limits (hd::http_config): connections at once (more are answered 503 and closed), header and
// body bytes (431 / 413), the time for a whole request to arrive (slow clients are cut off),
// for a response to be taken, and for an idle keep-alive connection.

#include "hd/common/config.hpp"
#include "hd/common/error.hpp"
#include "hd/common/log.hpp"
#include "hd/http/message.hpp"

#include <boost/asio/io_context.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace hd::http {

/// Counters the server keeps for /metrics (read from any thread).
struct server_stats {
  /// Upper bounds (seconds) of the latency histogram buckets; the last bucket is +Inf.
  static constexpr std::array<double, 10> bounds = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                    0.05,  0.1,    0.25,  0.5,  1.0};
  std::array<std::atomic<std::uint64_t>, bounds.size() + 1> buckets{};
  std::atomic<std::uint64_t> latency_micros{0};          ///< sum over every answered request
  std::array<std::atomic<std::uint64_t>, 6> by_class{};  ///< [1..5]: 1xx .. 5xx answers
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> connections_refused{0};  ///< over max_connections
  std::atomic<std::uint64_t> cut_off{0};              ///< too slow, too big, malformed
  std::uint64_t answered() const;
};

using reply_fn = std::function<void(response)>;
/// Called on the loop thread for each request; must call REPLY exactly once (any thread).
using handler = std::function<void(request, reply_fn reply)>;

enum class server_errc { bad_listen, cannot_listen };

class session;

class server {
 public:
  server(boost::asio::io_context& io, http_config cfg, handler h, const logger& log);
  ~server();
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and listens on cfg.listen; the accept loop runs on the io_context.
  result<void, server_errc> start();
  /// Stops accepting and closes open connections (their handlers' replies are dropped).
  void stop();
  /// "ADDRESS:PORT" actually bound (port 0 in the config picks a free one).
  std::string local_address() const;
  std::shared_ptr<server_stats> stats() const { return stats_; }

 private:
  friend class session;
  struct impl;
  std::shared_ptr<impl> p_;
  std::shared_ptr<server_stats> stats_;
};

}  // namespace hd::http
