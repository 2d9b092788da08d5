#pragma once
// OAuth2 access tokens for XOAUTH2 IMAP login (Microsoft 365, Google, or any RFC 6749 token
// endpoint). A token_source keeps one access token per mailbox, refreshes it from the refresh
// token shortly before it expires, and refreshes at once when the IMAP server rejects it.
//
// The POST to the token endpoint is made by libcurl's easy interface on the source's own
// worker thread; the answer is posted back to the loop, so the loop never blocks. A refresh
// happens about once an hour per mailbox: a second multi_socket driver on the loop would add
// code without making anything faster. See docs/intake.md, "OAuth2".

#include "hd/common/config.hpp"
#include "hd/common/error.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace hd::daemon {

/// Why no access token could be had.
enum class oauth2_errc {
  config,     ///< the mailbox has no usable [mailbox.oauth2]
  refused,    ///< the endpoint refused the grant (revoked or wrong refresh token, client)
  transient,  ///< network, TLS, timeout, 5xx or an unreadable answer: try again later
};

/// A mailbox's [mailbox.oauth2] with its provider's preset applied.
struct oauth2_endpoint {
  std::string token_url;
  std::string client_id;
  std::string client_secret;  ///< empty: a public client, none sent
  std::string refresh_token;
  std::string scope;  ///< empty: not sent (the grant keeps its scope)
  bool allow_http = false;
  int timeout_s = 30;
};

/// Token endpoint and scope presets: "microsoft" (Microsoft 365; TENANT or "common") and
/// "google". Keys set in the config win. Fails (config) for an unknown provider, a missing
/// token_url, or an http:// URL without allow_http.
result<oauth2_endpoint, oauth2_errc> resolve_endpoint(const oauth2_config& c, int timeout_s);

/// The application/x-www-form-urlencoded body of a refresh_token grant (RFC 6749 section 6):
/// grant_type, refresh_token, client_id, and client_secret and scope when set.
std::string refresh_request_body(const oauth2_endpoint& e);

/// What the token endpoint granted.
struct token_grant {
  std::string access_token;
  std::int64_t expires_in = 3600;  ///< seconds; 3600 when the answer gives none
  std::string refresh_token;       ///< a rotated refresh token, or empty
};

/// Reads the endpoint's answer (HTTP status and JSON body). 200 with an access_token: the
/// grant. 400/401 with an "error" member: refused, with the error and its description. Any
/// other answer: transient. The message never contains a token.
result<token_grant, oauth2_errc> parse_token_response(long http_status, std::string_view body);

/// How long before expiry a token is renewed: 10% of its lifetime, at most 300 s.
std::chrono::seconds refresh_margin(std::chrono::seconds lifetime);

/// Standard base64 (RFC 4648) with padding.
std::string base64_encode(std::string_view bytes);

/// The SASL XOAUTH2 initial response, base64 encoded:
/// "user=" USER "\x01auth=Bearer " TOKEN "\x01\x01".
std::string xoauth2_initial_response(std::string_view user, std::string_view token);

/// A usable access token. Never log `token`.
struct access_token {
  std::string token;
  std::chrono::steady_clock::time_point renew_at;  ///< reconnect with a new token before this
  bool refreshed = false;            ///< it came from the endpoint just now (not the cache)
  std::chrono::seconds lifetime{0};  ///< as granted
};

/// Access tokens per mailbox, on the loop thread (not thread-safe: call from the loop only).
/// It outlives configuration reloads: a mailbox whose OAuth2 settings did not change keeps
/// its token.
class token_source {
 public:
  explicit token_source(boost::asio::io_context& io);
  /// Aborts a request in flight and joins the worker thread.
  ~token_source();
  token_source(const token_source&) = delete;
  token_source& operator=(const token_source&) = delete;

  /// A valid access token for MB (auth = "xoauth2"): the cached one unless it is due for
  /// renewal or FORCE is set (the server rejected it), else a new one from the endpoint.
  /// Errors: config, refused (needs a person: a new refresh token), transient.
  boost::asio::awaitable<result<access_token, oauth2_errc>> get(const mailbox_config& mb,
                                                                bool force);
  /// Shutdown: aborts a refresh in flight (within about a second) and fails every later one.
  void stop() { stop_->store(true); }
  /// How many refresh requests were made (for tests and logs).
  std::int64_t refreshes() const { return refreshes_; }

 private:
  struct entry {
    std::string identity;       ///< the settings it was obtained with
    std::string refresh_token;  ///< the current one (the endpoint may rotate it)
    access_token current;
  };
  struct http_reply {
    long status = 0;
    std::string body;
    std::string error;  ///< curl's error; empty when an HTTP answer arrived
  };
  boost::asio::awaitable<http_reply> post(const oauth2_endpoint& e);

  boost::asio::io_context& io_;
  std::map<std::string, entry> cache_;  ///< by mailbox name
  std::shared_ptr<std::atomic<bool>> stop_;
  std::int64_t refreshes_ = 0;
  boost::asio::thread_pool pool_{1};
};

}  // namespace hd::daemon
