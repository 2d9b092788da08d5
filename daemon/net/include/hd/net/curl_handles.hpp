#pragma once
// The owners of libcurl's handles, declared once for the daemon: move-only, each frees its
// handle with the one matching cleanup call. curl_global_init runs once, in main.
#include <curl/curl.h>

#include <memory>

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

}  // namespace hd::daemon
