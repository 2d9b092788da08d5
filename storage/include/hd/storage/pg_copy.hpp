#pragma once
// Moving over to PostgreSQL: `helpdeskd db copy --to postgresql://...` copies an SQLite
// database into an empty PostgreSQL database and verifies the copy (issue 18 point 3;
// docs/scale-out.md, "Moving over").

#include "hd/storage/store.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::storage {

struct table_copy {
  std::string table;
  std::int64_t rows = 0;  ///< copied, and counted again on PostgreSQL
  std::string digest;     ///< of the table's content, equal on both sides (16 hex digits)
};

struct copy_report {
  std::vector<table_copy> tables;
  std::int64_t rows = 0;
  std::int64_t bytes = 0;  ///< of text and binary values sent (raw mail, bodies, ...)
};

/// Copies every table of the SQLite database at SQLITE_PATH (brought to this build's schema
/// first, as any command does; nothing else is written to it) into the PostgreSQL database
/// at URL, which must be empty (or hold only an empty schema this build made): migrated, then
/// filled in one transaction with bound parameters, ids kept and sequences moved past them,
/// triggers off while copying (the counters and queued webhooks are copied as they are).
/// Before COMMIT every table is counted and its content digested on both sides (a sum of
/// per-row SHA-256 digests over the same columns, so row order does not matter); any
/// difference rolls everything back. The full-text index is not copied: PostgreSQL computes
/// its search column from the messages. PROGRESS, when set, gets a line per table.
///
/// Errors: errc::cannot_open (either side cannot be opened), errc::busy (PostgreSQL is
/// unreachable or went away: nothing was written, try again), errc::invalid (the target is
/// not empty, or a value PostgreSQL refuses, such as text that is not UTF-8, named by table
/// and row), errc::io (the verification found a difference).
result<copy_report, errc> copy_to_postgres(
    const std::string& sqlite_path, const std::string& url,
    const std::function<void(std::string_view)>& progress = {});

}  // namespace hd::storage
