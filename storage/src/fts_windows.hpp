#pragma once
// The full-text index split by age (schema 19; storage/src/fts_queue.cpp, docs/storage.md
// "Search"): each window is an FTS5 table over the messages of one id range.

#include "sql.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hd::storage {

struct window {
  std::string name;                ///< the FTS5 table: messages_fts, messages_fts_<lo>, ...
  std::int64_t lo = 0;             ///< its messages have lo <= id < hi
  std::optional<std::int64_t> hi;  ///< none: the open window, where new messages go
  std::int64_t rows = 0;           ///< messages indexed into it (deletes not counted)
};

/// Whether the schema has windows (19 and later; before, messages_fts is the one index).
bool has_windows(const sql::connection& db);

/// The windows, newest (highest lo) first.
std::vector<window> read_windows(const sql::connection& db);

/// Writes the messages' delete and update triggers again for the windows there are: each
/// takes a message's old words out of the window of its id (through hd_text).
void write_window_triggers(const sql::connection& db);

/// PostgreSQL's windows (schema 22, schema_pg.cpp): each a partial GIN index over the
/// messages with lo <= id < hi.
struct pg_window {
  std::int64_t lo = 0;
  std::int64_t hi = 0;
};

/// PostgreSQL's windows, newest (highest lo) first.
std::vector<pg_window> read_pg_windows(const sql::connection& db);

/// Makes PostgreSQL's windows of SIZE ids without holding inserts (CREATE INDEX
/// CONCURRENTLY, pg_windows.cpp) while the newest window starts at or below the largest
/// message id (plus SIZE when AHEAD, so that the next SIZE messages have one), and builds
/// again those whose build was left half-done. Does nothing inside a transaction. Returns how
/// many it built.
int make_pg_windows(const pg::connection& c, std::int64_t size, bool ahead);

}  // namespace hd::storage
