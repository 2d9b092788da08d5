#pragma once
// Read-side verbs on requests: everything about one request, full-text search, attachments,
// and row counts (diagnostics, crash-consistency tests).

#include "hd/common/message.hpp"
#include "hd/storage/store.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hd::storage {

/// An attachment of a stored message; the bytes are stored once per SHA-256.
struct attachment_info {
  std::int64_t message_id = 0;  ///< our row id of the message
  int position = 0;             ///< 0-based order within the message
  std::string filename;         ///< as mailparse made it safe; still sanitise before writing
  std::string content_type;
  std::string disposition;
  std::optional<std::string> content_id;
  std::string sha256;
  std::int64_t size = 0;
};

struct message_detail {
  std::int64_t id = 0;
  std::string direction;                  ///< "in", "out" or "note"
  std::optional<std::string> message_id;  ///< RFC 5322 Message-ID without brackets
  std::string from_address;
  std::string from_name;
  std::vector<address> to, cc;  ///< as stored (lower-case addresses); empty for old mail
  std::string subject;
  std::string body_text;
  std::optional<std::string> body_html;
  std::optional<std::int64_t> sent_at;  ///< the mail's Date
  std::int64_t created_at = 0;          ///< when we stored it
  std::string author;                   ///< user login for notes and replies, else empty
  bool flagged = false;                 ///< an agent flagged it (requests flag)
  std::vector<attachment_info> attachments;
  std::vector<std::string> defects;  ///< inbound mail: what the parser repaired, in order
};

struct event_info {
  std::int64_t id = 0;
  std::int64_t at = 0;
  std::string actor;  ///< "system", "rules", or a user login
  std::string kind;
  std::string detail;
};

/// Everything an agent needs to answer a request.
struct request_detail {
  request_summary summary;
  std::optional<std::int64_t> closed_at, postponed_until, merged_into, linked_to;
  std::optional<std::int64_t> first_response_due, resolution_due;  ///< from the priority
  std::vector<std::int64_t> follow_ups;  ///< requests linked to this one (newer ones)
  std::vector<std::string> tags;
  std::vector<std::string> person_addresses;  ///< every address of the person
  std::optional<std::int64_t> company_id;
  std::vector<message_detail> messages;  ///< oldest first
  std::vector<event_info> events;        ///< oldest first
};

/// Request ID with its person, company, messages (bodies included), attachments (metadata),
/// tags and events. errc::not_found when there is no such request.
result<request_detail, errc> show_request(store& s, std::int64_t id);

/// The tags of each of REQUESTS (sorted by name), for lists that show them; a request without
/// tags has no entry. One query whatever the number of requests.
result<std::map<std::int64_t, std::vector<std::string>>, errc> tags_of(
    store& s, const std::vector<std::int64_t>& requests);

struct search_options {
  int limit = 50;        ///< at most this many requests
  bool literal = false;  ///< treat the query as plain words, not FTS5 query syntax
  /// Ranking looks at the newest this many matching messages only: exact below that, and
  /// the cost of a word found in most mail stays flat as the database grows (docs/storage.md).
  /// 0: the store's open_options::search_candidates ([database] search_candidates, 20,000).
  int candidates = 0;
};

struct search_hit {
  request_summary request;
  std::int64_t message_id = 0;  ///< the best-matching message of the request
  std::string snippet;          ///< text around the match, matches marked with [ and ]
  double score = 0;             ///< bm25; lower is better
};

/// Full-text search over message subjects and bodies, one hit per request, best first
/// (subject matches weigh more) among the newest options.candidates matching messages. QUERY uses
/// SQLite FTS5 syntax (words, "phrases", prefix*, AND/OR/NOT, subject:word) unless options.literal;
/// case and diacritics are ignored ("cafe" finds "Café"; æ and ø stay distinct letters).
/// errc::invalid with a readable message when the query is empty or malformed.
result<std::vector<search_hit>, errc> search_requests(store& s, std::string_view query,
                                                      const search_options& options = {});

/// Indexes for search, now, the messages another writer queued (fts_queue: the bench's bulk
/// copy, the sqlite3 shell), into the index's windows as helpdeskd's own commits do; they are
/// otherwise indexed at this connection's next commit. Returns how many there were.
result<std::int64_t, errc> index_queued_messages(store& s);

/// One step of merging the search index's segments (SQLite; docs/storage.md, "Search"): about
/// PAGES pages of merged postings written, in one transaction, in the newest window that has
/// 16 segments of one size (or a merge under way). Commits do not merge: the daemon calls
/// this when it has been idle for a while, again while it returns true. False: nothing was
/// left to merge (always on PostgreSQL).
result<bool, errc> merge_search_index(store& s, int pages);

/// SQLite: copies the WAL's pages into the database file (a PASSIVE checkpoint: it neither
/// waits for nor stops readers and writers, and copies what they allow). The daemon calls it
/// once it has been idle, so that a burst of mail is copied in one pass after it rather than
/// in its commits (docs/storage.md, "Checkpoints"). Returns the pages copied; nothing on
/// PostgreSQL or an in-memory database.
result<int, errc> checkpoint_wal(store& s);

/// SQLite: the page cache of this store's connection, MIB MiB (PRAGMA cache_size; SQLite's
/// default is 2 MiB). The daemon gives the connection it stores mail on [database] cache_mb,
/// so that the pages a burst of mail reads stay cached between its transactions
/// (docs/storage.md, "The page cache"). Nothing on PostgreSQL.
result<void, errc> set_page_cache(store& s, int mib);

/// PostgreSQL: makes the search index's next windows (schema 22: a partial GIN index per
/// [database] search_window_messages ids) once the newest message is within a window of the
/// last one. The store does so at open, and a daemon with each lease round; making one scans
/// the table while inserts wait. Returns how many it made: nearly always 0, and always on
/// SQLite, whose windows roll at commit.
result<int, errc> keep_search_windows(store& s);

struct attachment_data {
  attachment_info info;
  std::string bytes;
};

/// The attachments of request ID (only of message MESSAGE_ID when set), with their bytes.
/// errc::not_found when the request (or that message of it) does not exist.
result<std::vector<attachment_data>, errc> request_attachments(
    store& s, std::int64_t id, std::optional<std::int64_t> message_id = std::nullopt);

/// The original bytes of inbound message MESSAGE_ID, exactly as received (stored compressed;
/// see docs/storage.md). errc::not_found when there is no such message or it has no raw mail
/// (notes, outgoing mail); errc::io when the stored bytes cannot be read back.
result<std::string, errc> message_raw(store& s, std::int64_t message_id);

/// The number of rows of every table (FTS shadow tables included), by table name.
result<std::vector<std::pair<std::string, std::int64_t>>, errc> row_counts(store& s);

}  // namespace hd::storage
