#pragma once
// SMTP delivery of one message through libcurl (no storage: the outbox lives in service/).
// smtp_transfer owns one configured easy handle (TLS or STARTTLS with verification, AUTH when
// configured, an explicit EHLO name, the message uploaded as-is with its CRLF line ends); the
// daemon's event loop adds it to its curl multi handle, and the one-shot drain_outbox drives its
// own. No curl type appears here: the easy handle is handed out as the void* that CURL* is.

#include "hd/common/config.hpp"
#include "hd/common/error.hpp"
#include "hd/common/log.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hd::daemon {

enum class smtp_errc {
  bad_envelope,  ///< a sender or recipient is not a plain addr-spec, or there is no recipient
  curl,          ///< libcurl could not create or configure a handle
};

enum class delivery { sent, temporary, permanent };

/// The result of one delivery attempt, with the server's last reply (or curl's error text).
struct send_outcome {
  delivery kind = delivery::temporary;
  std::string reply;
  /// For a temporary failure: the server failed, not this mail (no connection, TLS, a
  /// time-out, 421, a refused login), so every mail would fail alike. False for a 4xx reply
  /// to this mail's MAIL FROM, RCPT TO or DATA.
  bool server = false;
};

/// Classifies a finished transfer: CURLE_OK -> sent; a 5xx reply -> permanent (except a
/// refused login, which is our configuration, not the mail: temporary); everything else
/// (4xx, connection, TLS, timeouts) -> temporary. `last_reply` is the server's last line.
send_outcome classify_smtp(int curl_code, long response_code, std::string_view last_reply,
                           std::string_view curl_error);

/// The smtp:// or smtps:// URL for CFG, with the EHLO name as its path (curl 7.88 uses the
/// path as the EHLO name, and something odd without one). IPv6 hosts are bracketed.
std::string smtp_url(const smtp_config& cfg);

/// What one transfer sends: the envelope and the message bytes as they go on the wire.
struct smtp_envelope {
  std::int64_t id = 0;    ///< the caller's id for it (the outbox row)
  std::string mail_from;  ///< empty: the null reverse-path <>
  std::vector<std::string> recipients;
  std::string bytes;
};

/// One SMTP delivery of one message. Move-only; the destructor frees the handle (after
/// the owner removed it from any multi handle).
class smtp_transfer {
 public:
  /// Configures a transfer of ITEM. Errors: bad_envelope (never retried: mark it failed),
  /// curl (out of memory or an option this libcurl does not support).
  static result<smtp_transfer, smtp_errc> make(const smtp_config& cfg, const smtp_envelope& item);

  smtp_transfer(smtp_transfer&&) noexcept;
  smtp_transfer& operator=(smtp_transfer&&) noexcept;
  ~smtp_transfer();

  /// The CURL* easy handle, for curl_multi_add_handle / curl_multi_remove_handle.
  void* easy_handle() const;
  std::int64_t outbox_id() const;
  /// After the multi handle reported the transfer done with CURLcode CODE.
  send_outcome outcome(int curl_code) const;

 private:
  struct state;
  explicit smtp_transfer(std::unique_ptr<state> s);
  std::unique_ptr<state> s_;
};

}  // namespace hd::daemon
