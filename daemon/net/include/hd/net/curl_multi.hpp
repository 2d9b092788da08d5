#pragma once
// libcurl's multi_socket API driven from an io_context: the one bridge between curl and Asio,
// for whole transfers (the outbox's SMTP on the daemon's loop and in the blocking drain,
// webhooks' HTTP POSTs) and for the connect phase of IMAP connections (curl_connection). Each
// socket curl asks about is watched with a stream_descriptor that is released, never closed (the
// socket is curl's); one steady_timer serves curl's timeouts, and even a 0 ms timeout goes through
// the loop, so curl is never re-entered from inside its own callback (see curl's multi-event.c /
// multi-uv.c). No curl type appears here: easy handles are the void* that CURL* is.

#include "hd/common/log.hpp"

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>
#include <string>

namespace hd::daemon {

class curl_multi_driver : public std::enable_shared_from_this<curl_multi_driver> {
 public:
  /// Called on the loop thread when a transfer finished with CURLcode CODE; the easy handle
  /// has been removed from the multi handle, so the caller may free it.
  using done_fn = std::function<void(void* easy, int code)>;

  /// A driver on IO; NAME prefixes its log events ("outbox" -> "outbox.watch_failed").
  static std::shared_ptr<curl_multi_driver> create(boost::asio::io_context& io, const logger& log,
                                                   std::string name, done_fn on_done);
  curl_multi_driver(boost::asio::io_context& io, const logger& log, std::string name,
                    done_fn on_done);
  ~curl_multi_driver();
  curl_multi_driver(const curl_multi_driver&) = delete;
  curl_multi_driver& operator=(const curl_multi_driver&) = delete;

  /// Starts EASY (a configured CURL*) on the loop. Returns an error text, or empty when added.
  std::string add(void* easy);
  /// Abandons a running transfer, or closes a finished connect-only one (curl closes its
  /// socket).
  void remove(void* easy);
  /// CURLMOPT_MAX_TOTAL_CONNECTIONS; applies now and to a multi handle made later.
  void set_max_connections(long n);
  /// For CURLOPT_CONNECT_ONLY transfers: a finished transfer stays in the multi handle (curl
  /// closes a connect-only connection whose handle is removed, and curl_easy_send/recv need
  /// it there); remove() it when done with the connection.
  void keep_finished(bool keep);
  /// The caller has taken over the socket of EASY (a connected connect-only transfer): stop
  /// watching it, and ignore curl's requests to watch EASY's sockets until remove(EASY). The
  /// multi handle, its timer and its other transfers go on.
  void take_over(void* easy);
  /// No transfer is running: drops curl's cached connections, its timer and every watch, so
  /// nothing of the driver keeps the loop busy. A later add() starts afresh.
  void shutdown();

 private:
  struct watch;
  bool ensure_multi();
  static int on_socket(void* easy, int s, int what, void* userp, void* sockp);
  static int on_timer(void* multi, long timeout_ms, void* userp);
  void arm(int s);
  void drive(int s, int ev_bitmask);
  void check_done();

  struct state;
  std::unique_ptr<state> s_;
};

}  // namespace hd::daemon
