// Message bodies kept as zstd frames (schema 18); see text_codec.hpp.
#include "text_codec.hpp"

#include "sql.hpp"
#include "zstd_context.hpp"

#include <zstd.h>

namespace hd::storage {
namespace {

// Level 3, zstd's default: bodies are packed on the storage worker, once per mail.
constexpr int zstd_level = 3;

void sql_pack(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
    sqlite3_result_value(ctx, argv[0]);  // NULL, or a BLOB packed already
    return;
  }
  const char* p = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  int n = sqlite3_value_bytes(argv[0]);
  try {
    if (auto frame = pack_text(std::string_view(p, static_cast<std::size_t>(n)))) {
      sqlite3_result_blob64(ctx, frame->data(), frame->size(), SQLITE_TRANSIENT);
      return;
    }
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_value(ctx, argv[0]);
}

void sql_text(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
    sqlite3_result_value(ctx, argv[0]);  // TEXT kept as is, or NULL
    return;
  }
  const char* p = static_cast<const char*>(sqlite3_value_blob(argv[0]));
  int n = sqlite3_value_bytes(argv[0]);
  try {
    std::string text = unpack_text(std::string_view(p, static_cast<std::size_t>(n)));
    sqlite3_result_text64(ctx, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  } catch (const sql::sqlite_error& e) {
    sqlite3_result_error(ctx, e.what(), -1);
    sqlite3_result_error_code(ctx, SQLITE_CORRUPT);
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(ctx);
  }
}

}  // namespace

std::optional<std::string> pack_text(std::string_view text) {
  if (text.size() < k_pack_min) return std::nullopt;
  ZSTD_CCtx* c = thread_compressor(zstd_level);
  if (c == nullptr) return std::nullopt;
  std::string out(ZSTD_compressBound(text.size()), '\0');
  std::size_t n = ZSTD_compress2(c, out.data(), out.size(), text.data(), text.size());
  if (ZSTD_isError(n) || n >= text.size()) return std::nullopt;
  out.resize(n);
  return out;
}

std::string unpack_text(std::string_view frame) {
  unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  // A body is at most the largest mail allowed; a frame claiming more is damage.
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (1ULL << 31)) {
    throw sql::sqlite_error(SQLITE_CORRUPT, "message body: the stored zstd frame is damaged");
  }
  std::string out(static_cast<std::size_t>(size), '\0');
  ZSTD_DCtx* d = thread_decompressor();
  std::size_t n = d != nullptr
                      ? ZSTD_decompressDCtx(d, out.data(), out.size(), frame.data(), frame.size())
                      : ZSTD_decompress(out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n) || n != out.size()) {
    throw sql::sqlite_error(SQLITE_CORRUPT, "message body: the stored zstd frame is damaged");
  }
  return out;
}

void register_text_functions(sqlite3* db) {
  constexpr int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  if (int rc = sqlite3_create_function_v2(db, "hd_pack", 1, flags, nullptr, &sql_pack, nullptr,
                                          nullptr, nullptr);
      rc != SQLITE_OK) {
    throw sql::sqlite_error(rc, "cannot register hd_pack");
  }
  if (int rc = sqlite3_create_function_v2(db, "hd_text", 1, flags, nullptr, &sql_text, nullptr,
                                          nullptr, nullptr);
      rc != SQLITE_OK) {
    throw sql::sqlite_error(rc, "cannot register hd_text");
  }
}

}  // namespace hd::storage
