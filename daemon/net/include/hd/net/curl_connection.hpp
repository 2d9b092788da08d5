#pragma once
// One TLS-capable IMAP connection made by libcurl and then spoken over by us.
//
// libcurl connects, negotiates TLS (imaps://, or STARTTLS with CURLUSESSL_ALL on imap://),
// verifies the certificate and authenticates (LOGIN, AUTHENTICATE PLAIN; no login without a
// user, for the caller's own AUTHENTICATE XOAUTH2) with CURLOPT_CONNECT_ONLY, driven from the
// Asio loop by the daemon's one curl bridge (curl_multi_driver). After that, the authenticated
// connection is ours: bytes go through curl_easy_send/recv, and readiness comes from watching
// CURLINFO_ACTIVESOCKET with Asio. See docs/intake.md for why.
//
// The connections on one loop connect through one multi handle (one driver, one wake-up socket
// pair), each with a connection cache of its own (a CURLSH sharing CURL_LOCK_DATA_CONNECT), so
// libcurl never prunes or reuses our idle connect-only connection on behalf of another
// transfer: one descriptor per connection.

#include "hd/common/config.hpp"
#include "hd/net/curl_errors.hpp"
#include "hd/net/curl_multi.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <array>
#include <functional>
#include <memory>
#include <string>

namespace hd::daemon {

/// How to reach and log in to one IMAP server.
struct imap_endpoint {
  std::string host;
  int port = 993;
  tls_mode tls = tls_mode::implicit;
  std::string ca_file;         ///< empty: the system trust store
  std::string user;            ///< empty: connect and secure only, no login
  std::string password;        ///< for password auth
  int timeout_s = 60;          ///< connect + TLS + login budget
  std::string mailbox;         ///< the [[mailbox]] name, for error messages
  int connect_timeout_s = 15;  ///< reaching the server (TCP, TLS, greeting, login)
};

/// The outcome of an I/O step: empty error = success.
struct io_status {
  std::string error;     ///< what went wrong, for logs (never a secret)
  bool aborted = false;  ///< cancel() interrupted it; the connection is still usable
  explicit operator bool() const { return error.empty() && !aborted; }
};

class curl_connection : public std::enable_shared_from_this<curl_connection> {
 public:
  /// A connection that is not yet connected.
  /// LOG (it must outlive the connection) gets the driver's rare complaints
  /// (imap.watch_failed: a socket it could not watch).
  static std::shared_ptr<curl_connection> create(boost::asio::io_context& io, const logger& log);
  ~curl_connection();
  curl_connection(const curl_connection&) = delete;
  curl_connection& operator=(const curl_connection&) = delete;

  /// Connects, secures and logs in. An error names the step (curl's message).
  boost::asio::awaitable<io_status> connect(const imap_endpoint& ep);
  /// Sends all of DATA.
  boost::asio::awaitable<io_status> write(const std::string& data);
  /// Receives what is available (at least one byte) into OUT (appended).
  boost::asio::awaitable<io_status> read_some(std::string& out);
  /// Interrupts the pending connect/read/write, which then returns aborted (a connect also
  /// fails). Safe to call at any time.
  void cancel();
  /// Closes the connection (the descriptor is released before curl closes the socket).
  void close();

  curl_connection(boost::asio::io_context& io, const logger& log);

  /// The connect phase finished with CURLcode CODE (called by the shared driver).
  void connected(int code);

 private:
  void finish_connect(std::string error);
  boost::asio::awaitable<io_status> wait(bool for_write);

  boost::asio::io_context& io_;
  const logger& log_;
  std::shared_ptr<curl_multi_driver> driver_;  ///< the loop's, shared; holds the transfer
  void* easy_ = nullptr;                       // CURL*
  void* share_ = nullptr;                      // CURLSH*: this connection's connection cache
  /// CURLOPT_PRIVATE: how the shared driver finds this connection (never owns it).
  std::unique_ptr<std::weak_ptr<curl_connection>> self_;
  std::unique_ptr<boost::asio::posix::stream_descriptor> io_sock_;  ///< ours after connect
  std::function<void(std::string)> on_connected_;
  std::string url_, userpwd_user_, userpwd_pass_, bearer_, ca_file_;
  bool connected_ = false;
  curl_peer peer_;                  ///< for explain_curl_error
  std::array<char, 256> errbuf_{};  ///< CURLOPT_ERRORBUFFER (CURL_ERROR_SIZE)
};

}  // namespace hd::daemon
