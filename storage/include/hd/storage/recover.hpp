#pragma once
// Recovery of a damaged database: the rows SQLite can still read, table by table, into a new
// file with the current schema (`helpdeskd db recover`, docs/faults.md).

#include "hd/storage/store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace hd::storage {

struct table_recovery {
  std::string table;
  std::int64_t copied = 0;      ///< rows written into the new file
  std::int64_t unreadable = 0;  ///< rowids (or, for a WITHOUT ROWID table, 1) that failed
  std::string problem;          ///< why the table could not be read at all, "" when it could
};

struct recovery_report {
  std::vector<table_recovery> tables;
  bool complete() const {
    for (const table_recovery& t : tables)
      if (t.unreadable > 0 || !t.problem.empty()) return false;
    return true;
  }
};

/// Copies the readable rows of every table of the database at SRC (opened read-only, never
/// written) into DEST, a new file created with the current schema (an existing DEST is
/// refused: errc::invalid). Each table is read in rowid ranges; a range SQLite
/// answers with SQLITE_CORRUPT is read again row by row and the rows that still fail are
/// counted unreadable. Derived data is rebuilt, not copied: the full-text index, the outbox
/// and mailbox counters. Errors: the files cannot be opened or DEST cannot be written.
result<recovery_report, errc> recover_database(const std::string& src, const std::string& dest);

}  // namespace hd::storage
