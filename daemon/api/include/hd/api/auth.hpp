#pragma once
// Secrets of the HTTP API: Argon2id password hashes and random tokens (libsodium), and the
// limiter that slows down password guessing.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace hd::daemon {

/// A new API token: "hdt_" and 64 hex digits (256 random bits).
std::string new_token_secret();
/// An encoded Argon2id hash of PASSWORD (libsodium's crypto_pwhash_str, interactive limits).
/// Throws std::runtime_error when memory for the hash cannot be had.
std::string hash_password(const std::string& password);
/// True when PASSWORD matches HASH (constant time).
bool verify_password(const std::string& hash, const std::string& password);

/// The web app's session cookie (docs/web.md): HttpOnly, SameSite=Strict, Path=/, and Secure
/// when the browser reached us over HTTPS (SECURE).
constexpr std::string_view session_cookie_name = "hd_session";
/// The Set-Cookie value that gives the browser session SECRET for MAX_AGE_S seconds (0: the
/// cookie is cleared).
std::string session_cookie(std::string_view secret, std::int64_t max_age_s, bool secure);
/// The value of cookie NAME in a Cookie header, else nullopt.
std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name);
/// The CSRF token of a cookie session: an HMAC-SHA-256 of the session secret, so a page that
/// cannot read the HttpOnly cookie learns it only from /api/login or /api/me.
std::string csrf_token(std::string_view session_secret);
/// True when A equals B, in time independent of where they differ.
bool same_secret(std::string_view a, std::string_view b);

/// Failed logins per account and per client address within a window: once either is over its
/// limit, logins are refused (429) until old failures leave the window, even with the right
/// password. Thread-safe; memory is bounded by the window (entries expire).
class login_limiter {
 public:
  login_limiter(int per_account, int per_address, int window_s)
      : per_account_(per_account), per_address_(per_address), window_s_(window_s) {}
  /// Seconds to wait when a login for ACCOUNT from ADDRESS must be refused now, else nullopt.
  std::optional<std::int64_t> blocked(const std::string& account, const std::string& address,
                                      std::int64_t now);
  void failed(const std::string& account, const std::string& address, std::int64_t now);
  /// A successful login clears the account's failures (not the address's).
  void succeeded(const std::string& account);

 private:
  using times = std::deque<std::int64_t>;
  std::optional<std::int64_t> over(times& t, int limit, std::int64_t now);
  void expire(std::int64_t now);
  int per_account_, per_address_, window_s_;
  std::mutex mu_;
  std::map<std::string, times> accounts_, addresses_;
};

}  // namespace hd::daemon
