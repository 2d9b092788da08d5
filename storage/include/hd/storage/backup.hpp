#pragma once
// Online backup: a consistent copy of the database while helpdeskd keeps running.

#include "hd/storage/store.hpp"

#include <string>

namespace hd::storage {

/// Writes a consistent snapshot of the open database to DEST (a new file; an existing one is
/// refused) through SQLite's online backup API, so ingest may go on meanwhile: copying the
/// database file with cp while it is written can give a torn copy. The copy is checked with
/// PRAGMA integrity_check before this returns; a copy that fails it is removed (errc::io). Returns
/// the copy's size in bytes.
result<std::int64_t, errc> backup_to(store& s, const std::string& dest);

struct compact_report {
  std::int64_t bytes_before = 0;  ///< the database's pages before (page_count x page_size)
  std::int64_t bytes_after = 0;
  std::int64_t free_before = 0;  ///< of them, pages on the free list
};

/// Gives the database's unused pages back to the disk (SQLite's VACUUM: the file is written
/// anew, so it needs free space of up to its size beside it, and holds the write lock
/// throughout). After the migration to schema 18 packs the message bodies, the freed space
/// stays in the file until this runs. The caller keeps other writers away (the CLI takes the
/// lock `run` holds).
result<compact_report, errc> compact(store& s);

}  // namespace hd::storage
