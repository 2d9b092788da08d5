#include "hd/net/smtp.hpp"

#include "hd/net/curl_errors.hpp"
#include "hd/net/curl_handles.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace hd::daemon {
namespace {

constexpr std::size_t max_reply_bytes = 512;

std::string one_line(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, max_reply_bytes)) {
    out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The last wall before RCPT TO:<...>: the caller has already checked that each address is a
// plain addr-spec (templates::is_safe_addr_spec); here nothing that could end or bend an SMTP
// command line gets through, whoever the caller is.
bool is_envelope_address(std::string_view a) {
  return !a.empty() && a.size() <= 254 && std::none_of(a.begin(), a.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u >= 0x7f || c == '<' || c == '>';
  });
}

bool safe_helo(std::string_view name) {
  return !name.empty() && name.size() < 256 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
  });
}

}  // namespace

struct smtp_transfer::state {
  std::int64_t id = 0;
  std::string bytes;
  std::size_t offset = 0;
  curl_easy_ptr easy;
  curl_slist_ptr rcpts;
  std::string last_reply;  // the server's last reply line
  char error[CURL_ERROR_SIZE] = {};
  curl_peer peer;  // for explain_curl_error

  static size_t read(char* buf, size_t size, size_t n, void* user) {
    auto* s = static_cast<state*>(user);
    std::size_t len = std::min(size * n, s->bytes.size() - s->offset);
    std::memcpy(buf, s->bytes.data() + s->offset, len);
    s->offset += len;
    return len;
  }

  // Keeps the server's replies (CURLINFO_HEADER_IN) for the outcome; nothing else is looked
  // at, and nothing goes to stderr.
  static int debug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
    if (type != CURLINFO_HEADER_IN) return 0;
    auto* s = static_cast<state*>(user);
    std::string line = one_line(std::string_view(data, size));
    if (!line.empty()) s->last_reply = std::move(line);
    return 0;
  }
};

send_outcome classify_smtp(int curl_code, long response_code, std::string_view last_reply,
                           std::string_view curl_error) {
  std::string reply = !last_reply.empty() ? std::string(last_reply)
                      : !curl_error.empty()
                          ? std::string(curl_error)
                          : std::string(curl_easy_strerror(static_cast<CURLcode>(curl_code)));
  if (curl_code == CURLE_OK) return {delivery::sent, reply};
  if (curl_code == CURLE_LOGIN_DENIED) return {delivery::temporary, reply, true};
  if (response_code >= 500 && response_code <= 599) return {delivery::permanent, reply};
  if (!last_reply.empty() && last_reply.front() == '5' && response_code == 0) {
    return {delivery::permanent, reply};
  }
  // A 4xx reply other than 421 answers this mail's MAIL FROM, RCPT TO or DATA; anything else
  // (no connection, TLS, a time-out, 421 "closing") is the server's and would hit every mail.
  long code = response_code;
  if (code == 0 && last_reply.size() >= 3 && last_reply.front() == '4') {
    code = 400 + (last_reply[1] - '0') * 10 + (last_reply[2] - '0');
  }
  bool server = !(code >= 400 && code <= 499 && code != 421);
  if (!curl_error.empty() && reply != curl_error) reply += " (" + std::string(curl_error) + ")";
  return {delivery::temporary, reply, server};
}

std::string smtp_url(const smtp_config& cfg) {
  std::string host = cfg.host.find(':') != std::string::npos ? "[" + cfg.host + "]" : cfg.host;
  std::string helo = safe_helo(cfg.helo_name) ? cfg.helo_name : "localhost";
  return fmt::format("{}://{}:{}/{}", cfg.tls == tls_mode::implicit ? "smtps" : "smtp", host,
                     cfg.port, helo);
}

result<smtp_transfer, smtp_errc> smtp_transfer::make(const smtp_config& cfg,
                                                     const smtp_envelope& item) {
  // An empty envelope sender is the null reverse-path <> (a redirected bounce).
  if (!item.mail_from.empty() && !is_envelope_address(item.mail_from)) {
    return fail(smtp_errc::bad_envelope, "the envelope sender is not a plain address");
  }
  if (item.recipients.empty()) return fail(smtp_errc::bad_envelope, "no recipients");
  auto s = std::make_unique<state>();
  s->id = item.id;
  s->bytes = item.bytes;
  s->peer = {"SMTP",   cfg.host,    cfg.port,      cfg.user,
             "[smtp]", cfg.ca_file, cfg.timeout_s, cfg.connect_timeout_s};
  for (const std::string& r : item.recipients) {
    // The envelope goes into RCPT TO:<...> as-is: only a plain addr-spec may, never CR/LF.
    if (!is_envelope_address(r)) {
      return fail(smtp_errc::bad_envelope, "a recipient is not a plain address");
    }
    curl_slist* l = curl_slist_append(s->rcpts.get(), ("<" + r + ">").c_str());
    if (l == nullptr) return fail(smtp_errc::curl, "out of memory");
    s->rcpts.release();
    s->rcpts.reset(l);
  }
  s->easy.reset(curl_easy_init());
  CURL* e = s->easy.get();
  if (e == nullptr) return fail(smtp_errc::curl, "curl_easy_init failed");
  curl_options opt(e);
  auto set = [&](CURLoption o, auto v) { opt.set(o, v); };
  set(CURLOPT_URL, smtp_url(cfg).c_str());
  set(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_USE_SSL, cfg.tls == tls_mode::none ? static_cast<long>(CURLUSESSL_NONE)
                                                 : static_cast<long>(CURLUSESSL_ALL));
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  if (!cfg.ca_file.empty()) set(CURLOPT_CAINFO, cfg.ca_file.c_str());
  if (!cfg.user.empty()) {
    set(CURLOPT_USERNAME, cfg.user.c_str());
    set(CURLOPT_PASSWORD, cfg.password.reveal().c_str());
  }
  set(CURLOPT_MAIL_FROM, ("<" + item.mail_from + ">").c_str());
  set(CURLOPT_MAIL_RCPT, s->rcpts.get());
  set(CURLOPT_UPLOAD, 1L);
  set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(s->bytes.size()));
  set(CURLOPT_READFUNCTION, &state::read);
  set(CURLOPT_READDATA, s.get());
  set(CURLOPT_CONNECTTIMEOUT, static_cast<long>(std::min(cfg.connect_timeout_s, cfg.timeout_s)));
  set(CURLOPT_SERVER_RESPONSE_TIMEOUT, static_cast<long>(cfg.timeout_s));
  set(CURLOPT_LOW_SPEED_LIMIT, 1L);
  set(CURLOPT_LOW_SPEED_TIME, static_cast<long>(cfg.timeout_s));
  set(CURLOPT_ERRORBUFFER, s->error);
  set(CURLOPT_DEBUGFUNCTION, &state::debug);
  set(CURLOPT_DEBUGDATA, s.get());
  set(CURLOPT_VERBOSE, 1L);  // only to feed DEBUGFUNCTION the server's replies
  set(CURLOPT_PRIVATE, s.get());
  if (!opt.ok()) return fail(smtp_errc::curl, opt.error());
  return smtp_transfer(std::move(s));
}

smtp_transfer::smtp_transfer(std::unique_ptr<state> s) : s_(std::move(s)) {}
smtp_transfer::smtp_transfer(smtp_transfer&&) noexcept = default;
smtp_transfer& smtp_transfer::operator=(smtp_transfer&&) noexcept = default;
smtp_transfer::~smtp_transfer() = default;

void* smtp_transfer::easy_handle() const { return s_ ? s_->easy.get() : nullptr; }
std::int64_t smtp_transfer::outbox_id() const { return s_ ? s_->id : 0; }

send_outcome smtp_transfer::outcome(int curl_code) const {
  long response = 0;
  curl_easy_getinfo(s_->easy.get(), CURLINFO_RESPONSE_CODE, &response);
  send_outcome o = classify_smtp(curl_code, response, s_->last_reply, s_->error);
  // Failures of the connection or the login are ours to fix: say where and what to change,
  // with the server's own words when it said something.
  switch (curl_code) {
    case CURLE_LOGIN_DENIED:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_USE_SSL_FAILED: {
      std::string why = explain_curl_error(curl_code, s_->error, s_->peer);
      o.reply = s_->last_reply.empty()
                    ? why
                    : fmt::format("{}; the server said: {}", why, s_->last_reply);
      break;
    }
    default:
      break;
  }
  return o;
}

}  // namespace hd::daemon
