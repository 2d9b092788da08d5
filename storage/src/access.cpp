#include "hd/storage/access.hpp"

#include "hd/common/digest.hpp"
#include "store_impl.hpp"

namespace hd::storage {
namespace {

using sql::statement;

token_info read_token(const statement& st) {
  return token_info{st.integer(0),     st.text(1),        st.text(2),
                    st.text(3),        st.text(4),        st.integer(5),
                    st.opt_integer(6), st.opt_integer(7), st.opt_integer(8)};
}

constexpr const char* token_columns =
    "id, login, name, scope, kind, created_at, expires_at, last_used_at, revoked_at";

}  // namespace

result<void, errc> set_password_hash(store& s, const std::string& login, const std::string& hash,
                                     std::int64_t now) {
  return guarded([&]() -> result<void, errc> {
    statement st(connection_of(s), R"(INSERT INTO user_passwords (login, hash, updated_at)
                                      VALUES (?1, ?2, ?3) ON CONFLICT (login)
                                      DO UPDATE SET hash = ?2, updated_at = ?3)");
    st.bind(1, login).bind(2, hash).bind(3, now).run();
    return {};
  });
}

result<std::optional<std::string>, errc> password_hash(store& s, const std::string& login) {
  return guarded([&]() -> result<std::optional<std::string>, errc> {
    statement st(connection_of(s), "SELECT hash FROM user_passwords WHERE login = ?1");
    st.bind(1, login);
    if (!st.step()) return std::optional<std::string>{};
    return std::optional<std::string>(st.text(0));
  });
}

result<std::int64_t, errc> create_token(store& s, const new_token& t, std::int64_t now) {
  if (t.scope != "read" && t.scope != "write")
    return error<errc>{errc::invalid, fmt::format("scope '{}': use read or write", t.scope)};
  if (t.kind != "token" && t.kind != "session")
    return error<errc>{errc::invalid, fmt::format("token kind '{}' is unknown", t.kind)};
  if (t.secret.size() < 32) return error<errc>{errc::invalid, "a token secret is too short"};
  return guarded([&]() -> result<std::int64_t, errc> {
    const sql::connection& db = connection_of(s);
    statement st(db, R"(INSERT INTO api_tokens (login, name, scope, kind, hash, created_at,
                                                expires_at)
                        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id)");
    st.bind(1, t.login)
        .bind(2, t.name)
        .bind(3, t.scope)
        .bind(4, t.kind)
        .bind(5, sha256_hex(t.secret))
        .bind(6, now)
        .bind(7, t.expires_at);
    return sql::new_id(st);
  });
}

result<std::optional<token_info>, errc> find_token(store& s, std::string_view secret,
                                                   std::int64_t now) {
  return guarded([&]() -> result<std::optional<token_info>, errc> {
    const sql::connection& db = connection_of(s);
    statement st(db, fmt::format(R"(SELECT {} FROM api_tokens WHERE hash = ?1
                                    AND revoked_at IS NULL
                                    AND (expires_at IS NULL OR expires_at > ?2))",
                                 token_columns));
    st.bind(1, sha256_hex(secret)).bind(2, now);
    if (!st.step()) return std::optional<token_info>{};
    token_info t = read_token(st);
    // End the read before writing: an UPDATE under a read still open would have to upgrade
    // the snapshot, which WAL refuses at once (SQLITE_BUSY_SNAPSHOT, no busy wait) whenever
    // intake committed meanwhile, and a caller would get 503 for a valid token.
    st.reset();
    if (!t.last_used_at || *t.last_used_at + 60 <= now) {
      // last_used_at is bookkeeping (to the minute): a database too busy to note it now does
      // not refuse the caller; the next call notes it.
      try {
        statement used(db, "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1");
        used.bind(1, t.id).bind(2, now).run();
        t.last_used_at = now;
      } catch (const sql::sqlite_error& e) {
        if ((e.code & 0xff) != SQLITE_BUSY && (e.code & 0xff) != SQLITE_LOCKED) throw;
      }
    }
    return std::optional<token_info>(std::move(t));
  });
}

result<std::vector<token_info>, errc> list_tokens(store& s, const std::string& login) {
  return guarded([&]() -> result<std::vector<token_info>, errc> {
    statement st(connection_of(s),
                 fmt::format("SELECT {} FROM api_tokens WHERE ?1 = '' OR login = ?1 "
                             "ORDER BY id DESC",
                             token_columns));
    st.bind(1, login);
    std::vector<token_info> out;
    while (st.step()) out.push_back(read_token(st));
    return out;
  });
}

result<void, errc> revoke_token(store& s, std::int64_t id, const std::optional<std::string>& owner,
                                std::int64_t now) {
  return guarded([&]() -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    statement st(db, R"(UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?3)
                        WHERE id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR login = ?2))");
    st.bind(1, id).bind(2, owner).bind(3, now).run();
    if (db.changes() == 0)
      return error<errc>{errc::not_found, fmt::format("there is no token {}", id)};
    return {};
  });
}

result<idempotent_answer, errc> once(store& s, const std::string& login, const std::string& key,
                                     std::int64_t now,
                                     const std::function<idempotent_answer()>& action) {
  return guarded([&]() -> result<idempotent_answer, errc> {
    const sql::connection& db = connection_of(s);
    // BEGIN IMMEDIATE: a concurrent retry on another connection waits here, then sees the
    // answer recorded by the first.
    sql::transaction tx(db);
    statement find(db, "SELECT status, body FROM idempotency_keys WHERE login = ?1 AND key = ?2");
    find.bind(1, login).bind(2, key);
    if (find.step()) return idempotent_answer{static_cast<int>(find.integer(0)), find.text(1)};
    idempotent_answer a = action();
    if (a.status < 200 || a.status >= 300) return a;  // not done: a retry may do it
    statement save(db, R"(INSERT INTO idempotency_keys (login, key, status, body, created_at)
                          VALUES (?1, ?2, ?3, ?4, ?5))");
    save.bind(1, login).bind(2, key).bind(3, a.status).bind(4, a.body).bind(5, now).run();
    tx.commit();
    return a;
  });
}

}  // namespace hd::storage
