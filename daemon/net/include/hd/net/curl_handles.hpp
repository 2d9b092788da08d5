#pragma once
// The owners of libcurl's handles, declared once for the daemon: move-only, each frees its
// handle with the one matching cleanup call. curl_global_init runs once, in main.
#include <curl/curl.h>

#include <memory>
#include <string>

namespace hd::daemon {

struct curl_easy_deleter {
  void operator()(CURL* e) const { curl_easy_cleanup(e); }
};
struct curl_multi_deleter {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};
struct curl_slist_deleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

using curl_easy_ptr = std::unique_ptr<CURL, curl_easy_deleter>;
using curl_multi_ptr = std::unique_ptr<CURLM, curl_multi_deleter>;
using curl_slist_ptr = std::unique_ptr<curl_slist, curl_slist_deleter>;

/// Sets options on one easy handle and keeps the first failure, so that every option is
/// checked and a transfer is started only when all of them took. An option libcurl refuses
/// (a libcurl without CURLOPT_PROTOCOLS_STR, no memory to copy a string) must not leave a
/// transfer running with weaker settings than asked: no protocol restriction, no CA file, no
/// timeout. After the first failure the later options are not set.
class curl_options {
 public:
  explicit curl_options(CURL* easy) : easy_(easy) {}
  template <class T>
  curl_options& set(CURLoption o, T v) {
    if (rc_ == CURLE_OK && (rc_ = curl_easy_setopt(easy_, o, v)) != CURLE_OK) failed_ = o;
    return *this;
  }
  bool ok() const { return rc_ == CURLE_OK; }
  CURLcode code() const { return rc_; }
  /// What failed, for logs and errors ("curl option 10002 refused: ..."); empty when ok().
  std::string error() const {
    if (ok()) return {};
    return "curl option " + std::to_string(static_cast<int>(failed_)) +
           " refused: " + curl_easy_strerror(rc_);
  }

 private:
  CURL* easy_;
  CURLcode rc_ = CURLE_OK;
  CURLoption failed_ = CURLoption{};
};

}  // namespace hd::daemon
