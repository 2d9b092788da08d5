#include "hd/net/webhook_post.hpp"

#include "hd/common/backoff.hpp"
#include "hd/net/curl_handles.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>

namespace hd::daemon {

namespace {

// The receiver's answer is only looked at for its status; keep a little for the log.
constexpr std::size_t max_answer_bytes = 4096;

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* userp) {
  auto* out = static_cast<std::string*>(userp);
  std::size_t take = std::min(size * n, max_answer_bytes - std::min(max_answer_bytes, out->size()));
  out->append(data, take);
  return size * n;  // the rest is read and dropped
}

}  // namespace

std::string webhook_signature(std::string_view secret, std::string_view timestamp,
                              std::string_view body) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(secret.data()),
                              secret.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(timestamp.data()),
                                timestamp.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>("."), 1);
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(body.data()),
                                body.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&st, mac);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return std::string("sha256=") + hex;
}

std::int64_t webhook_backoff_s(int attempts, int min_s, int max_s, std::minstd_rand& rng) {
  return backoff_with_jitter(attempts, min_s, max_s, rng);
}

struct webhook_post::state {
  curl_easy_ptr easy;
  curl_slist_ptr headers;
  std::string body;
  std::string answer;
  char error[CURL_ERROR_SIZE] = {};
};

webhook_post::webhook_post(std::unique_ptr<state> s) : s_(std::move(s)) {}
webhook_post::~webhook_post() = default;

void* webhook_post::easy_handle() const { return s_->easy.get(); }

std::unique_ptr<webhook_post> webhook_post::make(const webhook_request& r) {
  auto s = std::make_unique<state>();
  s->easy.reset(curl_easy_init());
  if (!s->easy) return nullptr;
  s->body = r.body;
  std::string ts = std::to_string(r.timestamp);
  for (const std::string& h :
       {std::string("Content-Type: application/json"), "X-Helpdeskd-Event: " + r.event,
        "X-Helpdeskd-Delivery: " + r.delivery_id, "X-Helpdeskd-Timestamp: " + ts,
        "X-Helpdeskd-Signature: " + webhook_signature(r.secret, ts, r.body),
        std::string("Expect:")}) {
    curl_slist* l = curl_slist_append(s->headers.get(), h.c_str());
    if (l == nullptr) return nullptr;
    (void)s->headers.release();
    s->headers.reset(l);
  }
  CURL* h = s->easy.get();
  curl_options opt(h);
  opt.set(CURLOPT_URL, r.url.c_str())
      .set(CURLOPT_PROTOCOLS_STR, "http,https")
      .set(CURLOPT_FOLLOWLOCATION, 0L)
      .set(CURLOPT_SSL_VERIFYPEER, 1L)
      .set(CURLOPT_SSL_VERIFYHOST, 2L)
      .set(CURLOPT_NOSIGNAL, 1L)
      .set(CURLOPT_TIMEOUT, long(std::max(1, r.timeout_s)))
      .set(CURLOPT_HTTPHEADER, s->headers.get())
      .set(CURLOPT_USERAGENT, "helpdeskd-webhook")
      .set(CURLOPT_POSTFIELDSIZE, long(s->body.size()))
      .set(CURLOPT_POSTFIELDS, s->body.c_str())
      .set(CURLOPT_WRITEFUNCTION, &on_body)
      .set(CURLOPT_WRITEDATA, &s->answer)
      .set(CURLOPT_ERRORBUFFER, s->error);
  if (!opt.ok()) return nullptr;
  return std::unique_ptr<webhook_post>(new webhook_post(std::move(s)));
}

webhook_outcome webhook_post::outcome(int code) const {
  webhook_outcome o;
  if (code != CURLE_OK) {
    o.error = fmt::format("{} (curl error {})",
                          s_->error[0] ? s_->error : curl_easy_strerror(CURLcode(code)), code);
    return o;
  }
  curl_easy_getinfo(s_->easy.get(), CURLINFO_RESPONSE_CODE, &o.status);
  o.delivered = o.status >= 200 && o.status < 300;
  if (!o.delivered) o.error = fmt::format("the receiver answered HTTP {}", o.status);
  return o;
}

}  // namespace hd::daemon
