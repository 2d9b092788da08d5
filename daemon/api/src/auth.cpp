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

}  // namespace hd::daemon
