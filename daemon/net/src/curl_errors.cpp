#include "hd/net/curl_errors.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

namespace hd::daemon {
namespace {

// curl's "... after N milliseconds ...": when it gave up, or -1.
long elapsed_ms(const std::string& why) {
  std::size_t at = why.find(" after ");
  if (at == std::string::npos) return -1;
  long ms = 0;
  std::size_t i = at + 7, start = i;
  while (i < why.size() && why[i] >= '0' && why[i] <= '9' && ms < 100000000)
    ms = ms * 10 + (why[i++] - '0');
  if (i == start || why.compare(i, 13, " milliseconds") != 0) return -1;
  return ms;
}

std::string_view strip_prefix(std::string_view s, std::string_view prefix) {
  if (s.starts_with(prefix)) s.remove_prefix(prefix.size());
  return s;
}

// The verification reason curl (OpenSSL) gave, in plain words where we know them.
std::string certificate_reason(std::string_view detail) {
  std::string_view d = strip_prefix(detail, "SSL certificate problem: ");
  if (d.find("expired") != d.npos) return "the certificate has expired";
  if (d.find("local issuer") != d.npos || d.find("self-signed") != d.npos ||
      d.find("self signed") != d.npos) {
    return fmt::format("it is signed by a CA we do not trust ({})", d);
  }
  if (d.find("subject name") != d.npos || d.find("does not match") != d.npos) {
    return fmt::format("the name does not match the host ({})", d);
  }
  return d.empty() ? std::string("verification failed") : std::string(d);
}

}  // namespace

std::string explain_curl_error(int code, std::string_view detail, const curl_peer& p) {
  std::string where = fmt::format("{} server {}:{}", p.protocol, p.host, p.port);
  std::string why =
      !detail.empty() ? std::string(detail) : curl_easy_strerror(static_cast<CURLcode>(code));
  std::string what;
  switch (code) {
    case CURLE_LOGIN_DENIED:
      what = fmt::format(
          "login denied for user '{}' at {}: check `user` and the password (password_file or "
          "password_env) in {}",
          p.user, where, p.setting);
      break;
    case CURLE_PEER_FAILED_VERIFICATION:
      what = fmt::format(
          "the TLS certificate of {} was not accepted: {}; {}", where, certificate_reason(detail),
          p.ca_file.empty()
              ? fmt::format("it was checked against the system's trusted CAs (set "
                            "ca_file in {} for a private CA)",
                            p.setting)
              : fmt::format("it was checked against ca_file = \"{}\" in {}", p.ca_file, p.setting));
      break;
    case CURLE_OPERATION_TIMEDOUT:
      // curl says "Connection timed out" / "Failed to connect" while still connecting over
      // TCP, but "Operation timed out after N milliseconds" in TLS, the greeting or the login,
      // which connect_timeout_s bounds too when smaller: a give-up before timeout_s was it.
      if (long gave_up = elapsed_ms(why); p.connect_timeout_s > 0 &&
                                          p.connect_timeout_s < p.timeout_s &&
                                          (why.find("onnect") != std::string::npos ||
                                           (gave_up >= 0 && gave_up < p.timeout_s * 1000L)))
        what = fmt::format(
            "{} could not be connected to within the connect timeout of {} s (connect_timeout_s "
            "in {}; is the host up and the port open?): {}",
            where, p.connect_timeout_s, p.setting, why);
      else
        what = fmt::format("{} did not answer within the timeout of {} s (timeout_s in {}): {}",
                           where, p.timeout_s, p.setting, why);
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
      what = fmt::format("cannot resolve the host name '{}' (host in {})", p.host, p.setting);
      break;
    case CURLE_COULDNT_CONNECT:
      what = fmt::format("cannot connect to {}: {} (host and port in {})", where, why, p.setting);
      break;
    case CURLE_SSL_CONNECT_ERROR:
      what = fmt::format("the TLS handshake with {} failed: {} (tls in {})", where, why, p.setting);
      break;
    case CURLE_USE_SSL_FAILED:
      what = fmt::format("{} does not offer STARTTLS (tls in {})", where, p.setting);
      break;
    default:
      what = fmt::format("{}: {}", where, why);
  }
  return fmt::format("{} (curl error {})", what, code);
}

}  // namespace hd::daemon
