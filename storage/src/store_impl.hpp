#pragma once
// The store's private state, shared by the .cpp files that implement its verbs.

#include "hd/common/config.hpp"
#include "hd/storage/store.hpp"
#include "sql.hpp"

#include <fmt/format.h>

namespace hd::storage {

struct store::impl {
  sql::connection db;
  open_options opt;
  std::string url;  ///< the PostgreSQL URL, to reconnect after a lost connection; empty on SQLite
  /// Opens a new PostgreSQL connection when the last one was lost and no transaction is open
  /// on it (a lost transaction is rolled back by the server; the verb inside it has failed).
  /// Throws pg_error (temporary) while the server cannot be reached.
  void reconnect_if_lost();
};

namespace detail {
struct access {
  static store::impl& of(store& s) { return *s.p_; }
};
}  // namespace detail

/// The connection behind a store, for verbs written as free functions in their own files.
/// On PostgreSQL a lost connection is replaced first (see reconnect_if_lost).
inline const sql::connection& connection_of(store& s) {
  auto& p = detail::access::of(s);
  if (!p.db.ok()) p.reconnect_if_lost();
  return p.db;
}

/// True when the store is on PostgreSQL (for the verbs that exist only for SQLite's file).
inline bool on_postgres(store& s) { return detail::access::of(s).db.postgres(); }

/// The error of a verb that exists only for SQLite's file (backup, compact, page checks).
inline error<errc> sqlite_only(std::string_view verb) {
  return error<errc>{errc::invalid,
                     fmt::format("{}: works on SQLite databases only (docs/scale-out.md)", verb)};
}

/// Maps an SQLite failure to the module's error codes.
inline error<errc> to_error(const sql::sqlite_error& e) {
  int primary = e.code & 0xff;
  errc c = primary == SQLITE_BUSY || primary == SQLITE_LOCKED ? errc::busy : errc::io;
  return error<errc>{c, fmt::format("database: {}", e.what())};
}

/// Maps a PostgreSQL failure: a temporary one (the connection lost, the server restarting, a
/// serialization failure) is busy, to be retried; nothing of the failed transaction was
/// written. The rest (a constraint violated, bad data) is io, as on SQLite.
inline error<errc> to_error(const sql::pg_error& e) {
  return error<errc>{e.temporary() ? errc::busy : errc::io,
                     fmt::format("database: {} (SQLSTATE {})", e.what(), e.sqlstate)};
}

/// NAME as an SQL identifier in double quotes (SQLite and PostgreSQL alike), for table and
/// column names read from the schema (recover, db copy).
inline std::string quoted(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

/// Runs F, turning storage-internal exceptions into result errors.
template <class F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const sql::sqlite_error& e) {
    return to_error(e);
  } catch (const sql::pg_error& e) {
    return to_error(e);
  }
}

/// Advances the mailbox checkpoint (UIDVALIDITY, highest stored UID) for a mail with a UID.
void save_checkpoint_if_uid(const sql::connection& db, const mail_source& s);

struct person_ref {
  std::int64_t id = 0;
  bool created = false;
};

/// The person with address FROM.addr (ASCII case-insensitive), or a new one named FROM.name,
/// placed under the company owning the longest suffix of its domain ("support.bigcorp.nl"
/// lands under the owner of "bigcorp.nl"). Joins the caller's transaction.
person_ref find_or_create_person(const sql::connection& db, const address& from, std::int64_t now);

/// Queues one outgoing mail in the outbox and records it as an outbound message of the request
/// (REQUEST_ID 0: a mail of no request, only queued).
void queue_outgoing(const sql::connection& db, std::int64_t request_id, const outgoing_mail& m,
                    std::int64_t now);

/// Narrows read_summaries to one request, person or company.
struct summary_scope {
  std::optional<std::int64_t> request, person, company;
};
/// Request summaries matching F (and SCOPE), by id.
std::vector<request_summary> read_summaries(const sql::connection& db, const request_filter& f,
                                            const summary_scope& scope);

/// Indexes queued messages for full-text search before each outermost commit on DB, once
/// the schema has the queue (see fts_queue.cpp). Called after migrations.
void enable_deferred_index(const sql::connection& db, std::int64_t window_messages);

/// The migrations: entry i takes the schema from version i to i + 1.
struct migration {
  const char* name;
  const char* sql;
};
const std::vector<migration>& migrations();

/// A request's due times from its priority's targets ([[priority]]; 0 hours = none) and its
/// creation time; nullopt when TARGETS has no such priority (only deadlines_set is set then).
struct due_times {
  std::optional<std::int64_t> first_response, resolution;
};
std::optional<due_times> due_times_of(const std::vector<priority_config>& targets,
                                      std::string_view priority, std::int64_t created_at);

}  // namespace hd::storage
