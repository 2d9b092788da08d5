#pragma once
// hd_rank(messages_fts, weight...), search's ranking function: bm25, without the inverse
// document frequency when the query has one phrase (the same order, without reading every
// match of the word first). rank.cpp; docs/storage.md, "Search".

#include <sqlite3.h>

namespace hd::storage {

/// Registers hd_rank with API (FTS5 of one connection). Throws sql::sqlite_error on failure.
void register_rank_function(fts5_api* api);

}  // namespace hd::storage
