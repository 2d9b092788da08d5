#pragma once
// One webhook delivery: an HTTP POST of a JSON body, signed with HMAC-SHA256 (docs/api.md,
// "Webhooks"). webhook_post owns one configured easy handle; the service's webhook sender adds
// it to its curl_multi_driver. No curl type appears here.

#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>

namespace hd::daemon {

/// "sha256=" + lower-case hex of HMAC-SHA256(SECRET, TIMESTAMP + "." + BODY): the value of
/// X-Helpdeskd-Signature.
std::string webhook_signature(std::string_view secret, std::string_view timestamp,
                              std::string_view body);

/// Seconds to wait before attempt ATTEMPTS + 1 (ATTEMPTS >= 1 made so far): MIN_S doubled per
/// failed attempt up to MAX_S, plus a random jitter of up to 25% drawn from RNG.
std::int64_t webhook_backoff_s(int attempts, int min_s, int max_s, std::minstd_rand& rng);

/// What one delivery sends.
struct webhook_request {
  std::string url;
  std::string event;
  std::string delivery_id;
  std::string secret;
  std::string body;
  std::int64_t timestamp = 0;  ///< seconds since the epoch, X-Helpdeskd-Timestamp
  int timeout_s = 10;
};

/// The result of one attempt: a 2xx is delivered; anything else is retried.
struct webhook_outcome {
  bool delivered = false;
  long status = 0;    ///< the HTTP status; 0 when no answer arrived
  std::string error;  ///< empty when delivered
};

class webhook_post {
 public:
  /// A configured POST, or nullptr when curl could not make a handle.
  static std::unique_ptr<webhook_post> make(const webhook_request& r);
  ~webhook_post();
  webhook_post(const webhook_post&) = delete;
  webhook_post& operator=(const webhook_post&) = delete;

  /// The CURL* easy handle, for curl_multi_driver::add / remove.
  void* easy_handle() const;
  /// After the driver reported the transfer done with CURLcode CODE.
  webhook_outcome outcome(int code) const;

 private:
  struct state;
  explicit webhook_post(std::unique_ptr<state> s);
  std::unique_ptr<state> s_;
};

}  // namespace hd::daemon
