#pragma once
// Message bodies kept compressed (schema 18): messages.body_text and body_html hold either
// TEXT, as before, or a BLOB that is one zstd frame of the UTF-8 text. Two SQL functions,
// registered on every connection with the hd_fold tokenizer, are the only way in and out:
//   hd_pack(x)  TEXT -> a zstd BLOB when that is smaller (and x at least k_pack_min bytes),
//               else x unchanged; NULL stays NULL. Writers wrap bound bodies in it.
//   hd_text(x)  a zstd BLOB -> its TEXT; TEXT and NULL unchanged. Readers, the full-text
//               index's feed and its triggers wrap body columns in it.
// The body text is valid UTF-8 (the parser's output), so a BLOB is never a body kept as is.

#include <sqlite3.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hd::storage {

/// Bodies shorter than this stay TEXT: a frame's header and checksum (about 13 bytes) and the
/// lack of repetition in a few words make packing them pointless.
inline constexpr std::size_t k_pack_min = 64;

/// TEXT as a zstd frame, or nullopt when that would not be smaller.
std::optional<std::string> pack_text(std::string_view text);

/// The text of a frame made by pack_text. Throws sql::sqlite_error (SQLITE_CORRUPT) when the
/// frame is damaged.
std::string unpack_text(std::string_view frame);

/// Registers hd_pack and hd_text on DB.
void register_text_functions(sqlite3* db);

}  // namespace hd::storage
