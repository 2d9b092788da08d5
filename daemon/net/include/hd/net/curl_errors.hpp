#pragma once
// A curl failure in words an admin can act on: which server, which user, which setting, and
// what curl's code means ("Login denied (curl error 67)" alone says none of that).

#include <string>
#include <string_view>

namespace hd::daemon {

/// Where a transfer went, for the message.
struct curl_peer {
  std::string protocol;  ///< "IMAP" or "SMTP"
  std::string host;
  int port = 0;
  std::string user;           ///< empty: no login
  std::string setting;        ///< the config table to fix: "[[mailbox]] support", "[smtp]"
  std::string ca_file;        ///< empty: the system's trusted CAs
  int timeout_s = 0;          ///< each network step, as configured (timeout_s)
  int connect_timeout_s = 0;  ///< reaching the server (connect_timeout_s); 0: timeout_s
};

/// Explains curl error CODE (a CURLcode) for PEER. DETAIL is curl's error buffer (the
/// specific reason, e.g. "SSL certificate problem: certificate has expired"), may be empty.
/// Always ends with "(curl error N)" so the original code can be looked up.
std::string explain_curl_error(int code, std::string_view detail, const curl_peer& peer);

}  // namespace hd::daemon
