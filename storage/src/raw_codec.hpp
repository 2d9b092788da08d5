#pragma once
// How raw mail is kept in raw_messages.bytes (column `encoding`, schema 12): 0 as received,
// 1 one zstd frame of it. New mail is compressed when that makes it smaller; rows written
// before schema 12 stay as they were and read the same.

#include "sql.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace hd::storage {

enum class raw_encoding : std::int64_t { none = 0, zstd = 1 };

struct stored_raw {
  std::string bytes;
  raw_encoding encoding;
};

/// RAW as it is to be stored.
stored_raw encode_raw(std::string_view raw);

/// The original bytes of a stored row (SIZE: raw_messages.size, checked against the frame).
/// Throws sql::sqlite_error (SQLITE_CORRUPT) when a zstd frame cannot be read back.
std::string decode_raw(std::string_view stored, std::int64_t encoding, std::int64_t size);

}  // namespace hd::storage
