#pragma once
// IMAP commands over a curl_connection: tags, one command in flight, responses framed and
// parsed by imap_parser, an inactivity timeout on every step, and IDLE (RFC 2177).

#include "hd/imap/imap_parser.hpp"
#include "hd/net/curl_connection.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace hd::daemon {

/// What a command got back: its tagged completion and the untagged responses before it.
struct command_reply {
  imap::response tagged;
  std::vector<imap::response> untagged;
};

/// Why IDLE ended.
enum class idle_end { news, period, error };

class imap_client {
 public:
  /// TIMEOUT_S bounds every step (the wait for the next bytes of a response).
  imap_client(boost::asio::io_context& io, const logger& log, int timeout_s,
              std::size_t max_literal);

  /// Connects, secures and logs in (libcurl), then asks for the post-login capabilities.
  boost::asio::awaitable<io_status> connect(const imap_endpoint& ep);
  /// Runs one command ("UID FETCH 1:* (UID)"), without tag or CRLF. A tagged NO or BAD is an
  /// error whose text is the server's.
  boost::asio::awaitable<io_status> command(const std::string& text, command_reply& out);
  /// AUTHENTICATE XOAUTH2 as USER with TOKEN (never logged): the initial response inline when
  /// the server offers SASL-IR, else after its continuation. REJECTED is set when the server
  /// refused the login (tagged NO), not for a network error. Then asks for the capabilities.
  boost::asio::awaitable<io_status> authenticate_xoauth2(const std::string& user,
                                                         const std::string& token, bool& rejected);
  /// IDLEs until the server reports new mail (an EXISTS since clear_news()) or PERIOD passes,
  /// then ends IDLE (DONE).
  boost::asio::awaitable<io_status> idle(std::chrono::seconds period, idle_end& why);
  /// Interrupts the pending and every later step (they return aborted). Safe at any time.
  void interrupt();
  /// Closes the connection.
  void close();

  bool has_capability(std::string_view cap) const;
  /// Messages in the selected folder, as last reported by EXISTS.
  std::int64_t exists() const { return exists_; }
  /// Forgets earlier EXISTS reports: call before listing what is new. idle() returns at once
  /// (news) when an EXISTS arrived since.
  void clear_news() { saw_exists_ = false; }

 private:
  /// ARM_EACH: each wait for bytes is bounded by the step timeout; otherwise the caller armed
  /// the watchdog (IDLE) and an expiry returns aborted.
  boost::asio::awaitable<io_status> read_response(imap::response& out, bool arm_each);
  boost::asio::awaitable<io_status> send(const std::string& line);
  void arm(std::chrono::seconds s);
  void note(const imap::response& r);

  std::size_t max_literal_;
  std::shared_ptr<curl_connection> conn_;
  imap::framer framer_;
  boost::asio::steady_timer watchdog_;
  std::chrono::seconds timeout_;
  std::vector<std::string> caps_;
  std::int64_t exists_ = 0;
  int next_tag_ = 1;
  bool expired_ = false;      ///< the watchdog fired
  bool interrupted_ = false;  ///< interrupt() was called
  bool bye_ = false;          ///< the server said BYE
  bool saw_exists_ = false;   ///< an EXISTS arrived since clear_news()
};

}  // namespace hd::daemon
