#include "hd/net/oauth2.hpp"

#include "hd/net/curl_handles.hpp"
// GCC 12 misreports coroutine frames as mismatched new/delete (GCC bug 109224).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <curl/curl.h>
#include <fmt/format.h>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace hd::daemon {

namespace asio = boost::asio;

namespace {

constexpr std::size_t max_answer_bytes = 256 * 1024;

// RFC 3986 unreserved characters stay; everything else is %XX (form encoding).
std::string form_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string json_string(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Only printable ASCII of an endpoint's text reaches a log line, and not too much of it.
std::string printable(std::string s) {
  if (s.size() > 200) s.resize(200);
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
  }
  return s;
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* userp) {
  auto* out = static_cast<std::string*>(userp);
  if (out->size() + size * n > max_answer_bytes) return 0;  // aborts: CURLE_WRITE_ERROR
  out->append(data, size * n);
  return size * n;
}

int on_progress(void* clientp, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(clientp)->load() ? 1 : 0;
}

// Runs on the worker thread: one blocking POST, bounded by the timeout and the stop flag.
void post_blocking(const oauth2_endpoint& e, const std::string& body, const std::atomic<bool>& stop,
                   long& status, std::string& answer, std::string& error) {
  curl_easy_ptr c(curl_easy_init());
  if (!c) {
    error = "curl_easy_init failed";
    return;
  }
  curl_slist_ptr headers(curl_slist_append(nullptr, "Accept: application/json"));
  CURL* h = c.get();
  if (!headers) {
    error = "out of memory";
    return;
  }
  curl_options opt(h);
  opt.set(CURLOPT_URL, e.token_url.c_str())
      .set(CURLOPT_PROTOCOLS_STR, e.allow_http ? "http,https" : "https")
      .set(CURLOPT_FOLLOWLOCATION, 0L)
      .set(CURLOPT_SSL_VERIFYPEER, 1L)
      .set(CURLOPT_SSL_VERIFYHOST, 2L)
      .set(CURLOPT_NOSIGNAL, 1L)
      .set(CURLOPT_TIMEOUT, long(std::max(1, e.timeout_s)))
      .set(CURLOPT_HTTPHEADER, headers.get())
      .set(CURLOPT_USERAGENT, "helpdeskd")
      .set(CURLOPT_POSTFIELDSIZE, long(body.size()))
      .set(CURLOPT_POSTFIELDS, body.c_str())
      .set(CURLOPT_WRITEFUNCTION, &on_body)
      .set(CURLOPT_WRITEDATA, &answer)
      .set(CURLOPT_NOPROGRESS, 0L)
      .set(CURLOPT_XFERINFOFUNCTION, &on_progress)
      .set(CURLOPT_XFERINFODATA, &stop);
  if (!opt.ok()) {
    error = opt.error();
    return;
  }
  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    error = fmt::format("{} (curl error {})", curl_easy_strerror(rc), int(rc));
    return;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
}

}  // namespace

result<oauth2_endpoint, oauth2_errc> resolve_endpoint(const oauth2_config& c, int timeout_s) {
  oauth2_endpoint e;
  if (c.provider == "microsoft") {
    e.token_url = fmt::format("https://login.microsoftonline.com/{}/oauth2/v2.0/token",
                              form_escape(c.tenant.empty() ? "common" : c.tenant));
    e.scope = "https://outlook.office.com/IMAP.AccessAsUser.All offline_access";
  } else if (c.provider == "google") {
    e.token_url = "https://oauth2.googleapis.com/token";
    e.scope = "https://mail.google.com/";
  } else if (!c.provider.empty()) {
    return fail(oauth2_errc::config, fmt::format("unknown OAuth2 provider '{}'", c.provider));
  }
  if (!c.token_url.empty()) e.token_url = c.token_url;
  if (!c.scope.empty()) e.scope = c.scope;
  if (e.token_url.empty()) return fail(oauth2_errc::config, "no OAuth2 token_url");
  if (!e.token_url.starts_with("https://") && !(c.allow_http && e.token_url.starts_with("http://")))
    return fail(oauth2_errc::config, "the OAuth2 token_url must be https://");
  if (c.refresh_token.reveal().empty())
    return fail(oauth2_errc::config, "no OAuth2 refresh token (empty file or variable?)");
  e.client_id = c.client_id;
  e.client_secret = c.client_secret.reveal();
  e.refresh_token = c.refresh_token.reveal();
  e.allow_http = c.allow_http;
  e.timeout_s = timeout_s;
  return e;
}

std::string refresh_request_body(const oauth2_endpoint& e) {
  std::string body = "grant_type=refresh_token&refresh_token=" + form_escape(e.refresh_token) +
                     "&client_id=" + form_escape(e.client_id);
  if (!e.client_secret.empty()) body += "&client_secret=" + form_escape(e.client_secret);
  if (!e.scope.empty()) body += "&scope=" + form_escape(e.scope);
  return body;
}

result<token_grant, oauth2_errc> parse_token_response(long http_status, std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return fail(
        oauth2_errc::transient,
        fmt::format("the token endpoint answered HTTP {} without a JSON object", http_status));
  }
  std::string err = json_string(j, "error");
  if (!err.empty() || http_status != 200) {
    std::string what = err.empty() ? "no error code" : printable(err);
    std::string desc = printable(json_string(j, "error_description"));
    if (!desc.empty()) what += ": " + desc;
    bool refused = (http_status == 400 || http_status == 401) && !err.empty();
    return fail(refused ? oauth2_errc::refused : oauth2_errc::transient,
                fmt::format("the token endpoint {} (HTTP {}): {}",
                            refused ? "refused the refresh token" : "failed", http_status, what));
  }
  token_grant g;
  g.access_token = json_string(j, "access_token");
  if (g.access_token.empty())
    return fail(oauth2_errc::transient, "the token endpoint's answer has no access_token");
  std::string type = json_string(j, "token_type");
  if (!type.empty() && type != "Bearer" && type != "bearer") {
    return fail(oauth2_errc::transient,
                fmt::format("the token endpoint issued a '{}' token, not Bearer", printable(type)));
  }
  auto exp = j.find("expires_in");
  if (exp != j.end() && exp->is_number_integer()) g.expires_in = exp->get<std::int64_t>();
  if (exp != j.end() && exp->is_string())  // some endpoints send "3599"
    g.expires_in = std::strtoll(exp->get<std::string>().c_str(), nullptr, 10);
  if (g.expires_in <= 0) g.expires_in = 60;
  g.refresh_token = json_string(j, "refresh_token");
  return g;
}

std::chrono::seconds refresh_margin(std::chrono::seconds lifetime) {
  return std::min(std::chrono::seconds(300), lifetime / 10);
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    std::uint32_t v = std::uint32_t(std::uint8_t(bytes[i])) << 16 |
                      std::uint32_t(std::uint8_t(bytes[i + 1])) << 8 | std::uint8_t(bytes[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += alphabet[(v >> shift) & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::uint32_t(std::uint8_t(bytes[i])) << 16;
    if (rest == 2) v |= std::uint32_t(std::uint8_t(bytes[i + 1])) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += rest == 2 ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string xoauth2_initial_response(std::string_view user, std::string_view token) {
  std::string raw = "user=";
  raw.append(user);
  raw +=
      "\x01"
      "auth=Bearer ";
  raw.append(token);
  raw += "\x01\x01";
  return base64_encode(raw);
}

token_source::token_source(asio::io_context& io)
    : io_(io), stop_(std::make_shared<std::atomic<bool>>(false)) {}

token_source::~token_source() {
  stop_->store(true);
  pool_.join();
}

asio::awaitable<token_source::http_reply> token_source::post(const oauth2_endpoint& e) {
  // A named initiation: GCC 12 mishandles lambda temporaries inside co_await expressions.
  auto initiation = [this, e, stop = stop_](auto handler) {
    auto h = std::make_shared<decltype(handler)>(std::move(handler));
    asio::post(pool_, [this, e, stop, h]() mutable {
      http_reply r;
      std::string body = refresh_request_body(e);
      post_blocking(e, body, *stop, r.status, r.body, r.error);
      std::fill(body.begin(), body.end(), '\0');  // it held the refresh token
      // The coroutine resumes on the loop thread, never here.
      asio::post(io_, [h = std::move(h), r = std::move(r)]() mutable { (*h)(std::move(r)); });
    });
  };
  co_return co_await asio::async_initiate<decltype(asio::use_awaitable), void(http_reply)>(
      initiation, asio::use_awaitable);
}

asio::awaitable<result<access_token, oauth2_errc>> token_source::get(const mailbox_config& mb,
                                                                     bool force) {
  if (!mb.oauth2) co_return fail(oauth2_errc::config, "the mailbox has no [mailbox.oauth2]");
  auto ep = resolve_endpoint(*mb.oauth2, std::min(mb.timeout_s, 60));
  if (!ep) co_return ep.error();
  std::string identity = ep->token_url + '\n' + ep->client_id + '\n' + ep->refresh_token + '\n' +
                         ep->scope + '\n' + mb.user;
  entry& cached = cache_[mb.name];
  if (cached.identity != identity) cached = entry{identity, ep->refresh_token, {}};
  auto now = std::chrono::steady_clock::now();
  if (!force && !cached.current.token.empty() && now < cached.current.renew_at) {
    access_token t = cached.current;
    t.refreshed = false;
    co_return t;
  }
  if (stop_->load()) co_return fail(oauth2_errc::transient, "stopping");
  ep->refresh_token = cached.refresh_token;
  ++refreshes_;
  http_reply reply = co_await post(*ep);
  if (!reply.error.empty()) {
    co_return fail(oauth2_errc::transient,
                   fmt::format("token endpoint {}: {}", ep->token_url, reply.error));
  }
  auto grant = parse_token_response(reply.status, reply.body);
  if (!grant) co_return grant.error();
  // The entry may have been replaced (a reload) while we waited: look it up again.
  entry& e = cache_[mb.name];
  if (e.identity != identity) co_return fail(oauth2_errc::transient, "settings changed");
  auto lifetime = std::chrono::seconds(grant->expires_in);
  e.current.token = std::move(grant->access_token);
  e.current.renew_at = now + lifetime - refresh_margin(lifetime);
  e.current.refreshed = true;
  e.current.lifetime = lifetime;
  if (!grant->refresh_token.empty()) e.refresh_token = std::move(grant->refresh_token);
  co_return e.current;
}

}  // namespace hd::daemon
