#include "hd/api/auth.hpp"

#include <sodium.h>

#include <iterator>
#include <stdexcept>

namespace hd::daemon {
namespace {

void init_sodium() {
  static const int ok = sodium_init();
  if (ok < 0) throw std::runtime_error("libsodium cannot be initialised");
}

}  // namespace

std::string new_token_secret() {
  init_sodium();
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char hex[sizeof raw * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
  return std::string("hdt_") + hex;
}

std::string hash_password(const std::string& password) {
  init_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(),
                            crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("out of memory while hashing a password");
  }
  return out;
}

bool verify_password(const std::string& hash, const std::string& password) {
  init_sodium();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

std::optional<std::int64_t> login_limiter::over(times& t, int limit, std::int64_t now) {
  while (!t.empty() && t.front() + window_s_ <= now) t.pop_front();
  if (static_cast<int>(t.size()) < limit) return std::nullopt;
  return t.front() + window_s_ - now;
}

void login_limiter::expire(std::int64_t now) {
  for (auto* m : {&accounts_, &addresses_}) {
    for (auto it = m->begin(); it != m->end();) {
      times& t = it->second;
      while (!t.empty() && t.front() + window_s_ <= now) t.pop_front();
      it = t.empty() ? m->erase(it) : std::next(it);
    }
  }
}

std::optional<std::int64_t> login_limiter::blocked(const std::string& account,
                                                   const std::string& address, std::int64_t now) {
  std::lock_guard lock(mu_);
  std::optional<std::int64_t> a = over(accounts_[account], per_account_, now);
  std::optional<std::int64_t> b = over(addresses_[address], per_address_, now);
  if (a && b) return std::max(*a, *b);
  return a ? a : b;
}

void login_limiter::failed(const std::string& account, const std::string& address,
                           std::int64_t now) {
  std::lock_guard lock(mu_);
  expire(now);
  accounts_[account].push_back(now);
  addresses_[address].push_back(now);
}

void login_limiter::succeeded(const std::string& account) {
  std::lock_guard lock(mu_);
  accounts_.erase(account);
}

std::string session_cookie(std::string_view secret, std::int64_t max_age_s, bool secure) {
  std::string c = std::string(session_cookie_name) + "=" + std::string(secret) +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_s);
  if (secure) c += "; Secure";
  return c;
}

std::optional<std::string_view> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    std::size_t end = header.find(';');
    std::string_view pair = header.substr(0, end);
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    while (!pair.empty() && pair.back() == ' ') pair.remove_suffix(1);
    std::size_t eq = pair.find('=');
    if (eq == std::string_view::npos || pair.substr(0, eq) != name) continue;
    std::string_view v = pair.substr(eq + 1);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
  }
  return std::nullopt;
}

std::string csrf_token(std::string_view session_secret) {
  init_sodium();
  static const std::string_view label = "helpdeskd csrf v1";
  unsigned char key[crypto_auth_hmacsha256_KEYBYTES] = {};
  crypto_hash_sha256(key, reinterpret_cast<const unsigned char*>(session_secret.data()),
                     session_secret.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(label.data()), label.size(),
                         key);
  char hex[sizeof mac * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return hex;
}

bool same_secret(std::string_view a, std::string_view b) {
  init_sodium();
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace hd::daemon
