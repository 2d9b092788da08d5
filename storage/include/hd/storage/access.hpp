#pragma once
// Who may act: passwords (Argon2id hashes made by the caller), API tokens and login sessions
// (kept as SHA-256 of the secret), and the answers to actions sent with an Idempotency-Key.
// The HTTP API (daemon/api) and the CLI (`users passwd`, `tokens ...`) use these verbs.

#include "hd/storage/store.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace hd::storage {

/// Stores LOGIN's password hash (an encoded Argon2id string), replacing any earlier one.
result<void, errc> set_password_hash(store& s, const std::string& login, const std::string& hash,
                                     std::int64_t now);
/// LOGIN's password hash; nullopt when no password was set.
result<std::optional<std::string>, errc> password_hash(store& s, const std::string& login);

struct token_info {
  std::int64_t id = 0;
  std::string login;
  std::string name;
  std::string scope;  ///< "read" or "write"
  std::string kind;   ///< "token" (made by `tokens create`) or "session" (POST /api/login)
  std::int64_t created_at = 0;
  std::optional<std::int64_t> expires_at;
  std::optional<std::int64_t> last_used_at;
  std::optional<std::int64_t> revoked_at;
};

struct new_token {
  std::string login;
  std::string name;
  std::string scope = "read";
  std::string kind = "token";
  std::string secret;  ///< the token as shown once to its owner; only its SHA-256 is stored
  std::optional<std::int64_t> expires_at;
};
/// Records a token; returns its id. errc::invalid for an unknown scope or kind.
result<std::int64_t, errc> create_token(store& s, const new_token& t, std::int64_t now);
/// The live (not revoked, not expired at NOW) token whose secret is SECRET, else nullopt.
/// Marks it used (at most once a minute, so reads stay reads).
result<std::optional<token_info>, errc> find_token(store& s, std::string_view secret,
                                                   std::int64_t now);
/// Tokens of LOGIN (every user's when empty), sessions included, newest first.
result<std::vector<token_info>, errc> list_tokens(store& s, const std::string& login);
/// Revokes token ID. When OWNER is given it must be that user's (else errc::not_found).
result<void, errc> revoke_token(store& s, std::int64_t id, const std::optional<std::string>& owner,
                                std::int64_t now);

/// A remembered answer to an action sent with an Idempotency-Key.
struct idempotent_answer {
  int status = 0;
  std::string body;
};
/// Runs ACTION at most once per (LOGIN, KEY): the first call runs it inside one transaction
/// with recording its answer, so a retry (even concurrent, from another connection) gets the
/// recorded answer and nothing is done twice. Only a success (2xx) is recorded: after a
/// refusal (a stale ETag, a server error) nothing was done, and a retry runs the action again.
result<idempotent_answer, errc> once(store& s, const std::string& login, const std::string& key,
                                     std::int64_t now,
                                     const std::function<idempotent_answer()>& action);

}  // namespace hd::storage
