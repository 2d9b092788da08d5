#pragma once
// storage: the only module that speaks SQL. It owns the schema and its migrations and offers
// domain verbs; no sqlite3 type leaves it. One store = one connection: use it from one thread.

#include "hd/common/error.hpp"
#include "hd/common/message.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd {
struct priority_config;  // hd/common/config.hpp
}  // namespace hd

namespace hd::storage {

enum class errc {
  cannot_open,     ///< the database file cannot be opened or created
  migration,       ///< the schema could not be brought up to date
  busy,            ///< another process holds the write lock past busy_timeout: retry later
  io,              ///< disk full, I/O error, corruption
  not_found,       ///< no such request, person, ...
  invalid,         ///< the call's arguments do not make sense
  not_a_database,  ///< the file exists but is not an SQLite database: a wrong path, not damage
  conflict,        ///< the request changed since the caller's view of it (acting::if_version)
};

struct open_options {
  bool synchronous_full = true;  ///< PRAGMA synchronous=FULL, else NORMAL
  int busy_timeout_ms = 5000;
  /// SQLite: a commit that leaves this many pages in the WAL copies them into the database
  /// file (PRAGMA wal_autocheckpoint; SQLite's own default is 1,000). [database]
  /// checkpoint_pages; see checkpoint_wal (requests.hpp).
  int wal_autocheckpoint_pages = 1000;
  bool migrate = true;  ///< bring the schema up to date on open
  /// Open read-only (SQLITE_OPEN_READONLY; implies no migration): for a check beside a running
  /// daemon, whose WAL files exist already.
  bool read_only = false;
  std::string tag_prefix = "#";  ///< request tag in subjects: "[" + tag_prefix + id + "]"
  int reopen_within_days = 60;   ///< a reply to a request closed longer ago opens a new one
  bool tag_in_body = false;      ///< also look for the request tag in the message text
  /// Messages per window of the full-text index (schema 19): once the open window holds this
  /// many, the next commit opens a new one. Search reads windows newest first, so a common
  /// word's cost grows with this, not with the history ([database] search_window_messages).
  std::int64_t search_window_messages = 250000;
  /// Search ranks the newest this many matching messages unless the search asks for another
  /// number ([database] search_candidates; search_options::candidates).
  int search_candidates = 20000;
  /// Test hook for crash consistency: called before each step of ingest with the step's name
  /// ("duplicate", "raw", "person", "thread", "request", "message", "addresses",
  /// "attachments", "outgoing", "checkpoint", "commit"), and before a write_batch's COMMIT
  /// ("batch_commit"); returning true makes that step fail
  /// as an I/O error, so the transaction rolls back. Leave empty in production.
  std::function<bool(std::string_view step)> inject_fault;
};

/// Where an inbound mail came from. UID fields are set for IMAP intake, empty for pipe mode.
struct mail_source {
  std::string mailbox;  ///< configured mailbox name ("stdin" when none)
  std::optional<std::string> folder;
  std::optional<std::int64_t> uidvalidity;
  std::optional<std::int64_t> uid;
};

/// What routing decided for a new request (the rules module fills it; empty = defaults).
struct routing {
  std::string category;
  std::string priority;
  std::string owner;  ///< user login
  std::vector<std::string> tags;
};

/// A mail to send, queued in the outbox (the replies issue's sender drains it).
struct outgoing_mail {
  std::string kind;                     ///< "ack", "reply", "forward", "redirect"
  std::string mail_from;                ///< envelope sender
  std::vector<std::string> recipients;  ///< envelope recipients
  std::string bytes;                    ///< the complete RFC 5322 message, CRLF line ends
  std::string message_id;               ///< its Message-ID without brackets (threads replies)
  std::string subject;                  ///< for the request's message list
  std::string text;                     ///< plain-text body, for the request's message list
};

/// Mails to queue, or the storage error met while deciding them (the unit of work then rolls
/// back: nothing half-decided is committed).
using outgoing_result = result<std::vector<outgoing_mail>, errc>;

/// Where a mail threads (docs/storage.md, "Threading"), found once per mail by thread_of
/// (directory.hpp) and handed to ingest through inbound::thread, so the rules' `followup` test
/// and the write agree by construction.
struct thread_found {
  /// The request the mail joins (merges followed); nullopt: a new request.
  std::optional<std::int64_t> request_id;
  std::string status;                     ///< that request's status, when there is one
  std::optional<std::int64_t> linked_to;  ///< a new request is linked to this one
  /// A request tag the sender quoted but takes no part in (ingest_outcome::ignored_tag).
  std::int64_t ignored_tag = 0;
  /// A customer's Message-ID of a request the sender takes no part in (ignored_reference).
  std::int64_t ignored_reference = 0;
};

/// What storing a mail works out from its raw bytes alone: their SHA-256 and the form they are
/// kept in (a zstd frame when smaller). IMAP intake does it on its parser thread, ahead of the
/// storage worker, so that the worker only writes (bench/README.md, section 1).
struct prepared_raw {
  std::string sha256;         ///< lowercase hex
  std::string bytes;          ///< as raw_messages.bytes keeps them
  std::int64_t encoding = 0;  ///< raw_messages.encoding
  std::size_t size = 0;       ///< of the raw mail it was made from
};

/// RAW's prepared_raw. Pure (no database), safe on any thread.
prepared_raw prepare_raw(std::string_view raw);

struct inbound {
  mail_source source;
  std::string_view raw;  ///< the original bytes, always stored
  /// prepare_raw(raw), when worked out ahead; null (or made from bytes of another length):
  /// ingest works it out.
  const prepared_raw* prepared = nullptr;
  const parsed_message* parsed;  ///< must not be null
  routing route;
  /// The priorities' due-time targets (the config's [[priority]]): a new request is written
  /// with its due times. Null: it waits for apply_deadlines (views.hpp).
  const std::vector<priority_config>* targets = nullptr;
  std::int64_t now = 0;  ///< seconds since the epoch
  /// Where it threads, from thread_of in the same transaction (the intake's unit of work);
  /// nullopt: ingest searches itself.
  std::optional<thread_found> thread = std::nullopt;
};

enum class ingest_kind { created, appended, duplicate };

struct ingest_outcome {
  ingest_kind kind = ingest_kind::created;
  std::int64_t request_id = 0;
  std::int64_t message_id = 0;  ///< our row id of the stored message (0 for a duplicate)
  std::int64_t person_id = 0;
  bool person_created = false;
  /// A request tag the mail quoted but that was not honoured because the sender has no part
  /// in that request (see docs/storage.md, "Threading"); 0 when none.
  std::int64_t ignored_tag = 0;
  /// A request whose (customer's) Message-ID the mail named in In-Reply-To/References but that
  /// it was not threaded into because the sender takes no part in it; the new request is
  /// linked to it (`linked_to`). 0 when none. Ids helpdeskd generated thread for anyone.
  std::int64_t ignored_reference = 0;
};

/// Orders of `requests list`: id; created or updated time; priority (most urgent first: the
/// shortest first-response target, then resolution target; none last); deadline (the nearest
/// due time first, requests without one last).
enum class request_sort { id, created, updated, priority, deadline };

struct request_filter {
  std::optional<std::string> status;  ///< open, pending, closed, merged
  std::optional<std::string> category;
  std::optional<std::string> owner;  ///< user login
  bool unassigned = false;
  int limit = 1000;
  bool flagged = false;                     ///< only requests with a flagged message
  std::optional<std::string> favourite_of;  ///< only this user's (login) favourites
  std::optional<std::int64_t> overdue_at;   ///< only open requests past a due time at this time
  request_sort sort = request_sort::id;
  bool descending = false;  ///< reverse the order (requests without a value stay last)
  std::optional<std::string> priority;
  std::optional<std::string> tag;
  std::optional<std::int64_t> person;         ///< person id
  std::optional<std::int64_t> company;        ///< company id (of the person)
  std::optional<std::int64_t> updated_since;  ///< updated at or after this time
  std::int64_t offset = 0;                    ///< skip this many (paging)
};

struct request_summary {
  std::int64_t id = 0;
  std::string title;
  std::string status;
  std::string priority;
  std::string category;
  std::string owner;
  std::string mailbox;
  std::int64_t person_id = 0;
  std::string person_name;
  std::string person_address;
  std::string company;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::int64_t message_count = 0;
};

/// The current schema version this build writes.
int schema_version();

/// True for a PostgreSQL URL (postgresql://... or postgres://...): store::open then uses the
/// PostgreSQL backend instead of an SQLite file.
bool is_postgres_url(std::string_view s);

class store;
namespace detail {
/// Lets a group of verbs live in its own header and .cpp (outbox.hpp, people.hpp, ...) as
/// free functions taking a store&, without every group editing this class.
struct access;
}  // namespace detail

class store {
 public:
  /// Opens (creating if needed) the database at PATH (":memory:" for a private in-memory one),
  /// sets WAL, foreign keys and busy_timeout, and migrates unless told not to. A PostgreSQL
  /// URL (is_postgres_url) opens that database instead; it must exist (the schema is made).
  static result<store, errc> open(const std::string& path, const open_options& opt = {});

  store(store&&) noexcept;
  store& operator=(store&&) noexcept;
  ~store();

  /// The schema version of the open database.
  result<int, errc> version();
  /// Applies every pending migration, each in its own transaction. Returns the new version.
  result<int, errc> migrate();
  /// Applies pending migrations up to VERSION only (for tests of old schemas and staged
  /// upgrades). errc::migration when VERSION is below the current one or unknown.
  result<int, errc> migrate_to(int version);

  /// Stores one inbound mail in one transaction: raw bytes, person (found or created),
  /// request (new or threaded, by IN.thread when given), message, attachments, mailbox
  /// checkpoint. Idempotent: a mail seen before (same UID, same Message-ID from the same
  /// sender, or same bytes) is reported as ingest_kind::duplicate and nothing is written.
  /// Inside a write_batch (batch.hpp) it is a savepoint: the intake's unit of work then queues
  /// the acknowledgement (queue_mails, outbox.hpp) and commits all at once.
  result<ingest_outcome, errc> ingest(const inbound& in);

  /// Keeps a mail that could not be made into a request, with the reason. Returns its id.
  result<std::int64_t, errc> quarantine(const mail_source& src, std::string_view raw,
                                        std::string_view reason, std::int64_t now);

  result<std::vector<request_summary>, errc> list_requests(const request_filter& f);
  /// How many requests match F (its limit, offset and order ignored).
  result<std::int64_t, errc> count_requests(const request_filter& f);

 private:
  friend struct detail::access;
  struct impl;
  explicit store(std::unique_ptr<impl> p);
  std::unique_ptr<impl> p_;
};

}  // namespace hd::storage
