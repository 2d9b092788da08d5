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

}  // namespace hd::storage
