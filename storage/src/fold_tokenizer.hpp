#pragma once
// "hd_fold", the full-text tokenizer of messages_fts: SQLite's unicode61 (case folded,
// remove_diacritics 2), then the letters Unicode gives no decomposition folded to what people
// type on keyboards without them: ß -> ss, æ -> ae, ø -> o, œ -> oe, ł -> l, đ and ð -> d,
// þ -> th. "grosshandler" then finds "Großhändler" and "hosten" finds "høsten" (docs/storage.md,
// "Search"). Offsets stay those of the original text, so snippets show it as written.

#include <sqlite3.h>

#include <string>
#include <string_view>

namespace hd::storage {

/// Registers hd_fold on DB, and hd_rank, search's ranking function (rank.hpp). Every connection
/// that touches messages_fts needs it; without it FTS5 answers "no such tokenizer: hd_fold". Throws
/// sql::sqlite_error when FTS5 is missing.
void register_fold_tokenizer(sqlite3* db);

/// Makes SQLite register hd_fold on every connection this process opens from now on
/// (sqlite3_auto_extension, which adds the entry point once however often it is called).
/// store::open calls it, once per process, before opening, so any other connection of the
/// process (a test's own, the backup target) has it too. Programs outside (the sqlite3
/// shell) do not: docs/storage.md, "Search".
void register_fold_tokenizer_everywhere();

/// One token (already lower-cased, diacritics removed) with the letters above folded.
std::string fold_token(std::string_view token);

}  // namespace hd::storage
