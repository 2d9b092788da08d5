// hd_fold wraps FTS5's own unicode61 tokenizer, as FTS5's porter tokenizer does (fts5.h,
// "Custom Tokenizers"): unicode61 splits and normalises, and each token it reports is folded
// before it reaches FTS5, with its offsets unchanged.
#include "fold_tokenizer.hpp"
#include "text_codec.hpp"

#include "rank.hpp"
#include "sql.hpp"

#include <array>
#include <memory>
#include <new>

namespace hd::storage {
namespace {

struct fold {
  std::string_view from, to;  // UTF-8
};
// Lower case only: unicode61 has folded the case already (Æ -> æ, ẞ -> ß).
constexpr std::array<fold, 8> k_folds{{{"\xC3\x9F", "ss"},    // ß
                                       {"\xC3\xA6", "ae"},    // æ
                                       {"\xC3\xB8", "o"},     // ø
                                       {"\xC5\x93", "oe"},    // œ
                                       {"\xC5\x82", "l"},     // ł
                                       {"\xC4\x91", "d"},     // đ
                                       {"\xC3\xB0", "d"},     // ð
                                       {"\xC3\xBE", "th"}}};  // þ

fts5_api* fts5_of(sqlite3* db) {
  fts5_api* api = nullptr;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, nullptr) != SQLITE_OK) return nullptr;
  sqlite3_bind_pointer(st, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
  sqlite3_step(st);
  sqlite3_finalize(st);
  return api;
}

// The registered tokenizer's user data: unicode61, found once per connection.
struct base {
  fts5_tokenizer api{};
  void* user = nullptr;
};

// One instance (one per FTS5 table using it): a unicode61 instance made with the same options.
struct instance {
  const base* b = nullptr;
  Fts5Tokenizer* inner = nullptr;
};

struct call {
  void* ctx;
  int (*token)(void*, int, const char*, int, int, int);
  std::string buf;
};

int on_token(void* p, int flags, const char* text, int n, int start, int end) {
  auto* c = static_cast<call*>(p);
  std::string_view t(text, static_cast<std::size_t>(n));
  bool ascii = true;
  for (char ch : t) ascii = ascii && static_cast<unsigned char>(ch) < 0x80;
  if (ascii) return c->token(c->ctx, flags, text, n, start, end);
  c->buf = fold_token(t);
  return c->token(c->ctx, flags, c->buf.data(), static_cast<int>(c->buf.size()), start, end);
}

int x_create(void* user, const char** args, int nargs, Fts5Tokenizer** out) {
  const auto* b = static_cast<const base*>(user);
  auto inst = std::unique_ptr<instance>(new (std::nothrow) instance{b, nullptr});
  if (!inst) return SQLITE_NOMEM;
  int rc = b->api.xCreate(b->user, args, nargs, &inst->inner);
  if (rc != SQLITE_OK) return rc;
  *out = reinterpret_cast<Fts5Tokenizer*>(inst.release());
  return SQLITE_OK;
}

void x_delete(Fts5Tokenizer* t) {
  std::unique_ptr<instance> inst(reinterpret_cast<instance*>(t));
  if (inst->inner != nullptr) inst->b->api.xDelete(inst->inner);
}

int x_tokenize(Fts5Tokenizer* t, void* ctx, int flags, const char* text, int n,
               int (*token)(void*, int, const char*, int, int, int)) {
  auto* inst = reinterpret_cast<instance*>(t);
  try {
    call c{ctx, token, {}};
    return inst->b->api.xTokenize(inst->inner, &c, flags, text, n, &on_token);
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  }
}

void destroy(void* user) { delete static_cast<base*>(user); }

// sqlite3_auto_extension's entry point, called for each new connection.
int auto_entry(sqlite3* db, char** err, const sqlite3_api_routines* /*api*/) {
  try {
    register_fold_tokenizer(db);
    return SQLITE_OK;
  } catch (const sql::sqlite_error& e) {
    if (err != nullptr) *err = sqlite3_mprintf("%s", e.what());
    return e.code;
  }
}

}  // namespace

std::string fold_token(std::string_view token) {
  std::string out;
  out.reserve(token.size() + 4);
  for (std::size_t i = 0; i < token.size();) {
    bool folded = false;
    for (const fold& f : k_folds) {
      if (token.substr(i, f.from.size()) == f.from) {
        out += f.to;
        i += f.from.size();
        folded = true;
        break;
      }
    }
    if (!folded) out += token[i++];
  }
  return out;
}

void register_fold_tokenizer(sqlite3* db) {
  fts5_api* api = fts5_of(db);
  if (api == nullptr || api->iVersion < 2) {
    throw sql::sqlite_error(SQLITE_ERROR, "this SQLite has no FTS5: full-text search needs it");
  }
  auto b = std::make_unique<base>();
  if (int rc = api->xFindTokenizer(api, "unicode61", &b->user, &b->api); rc != SQLITE_OK) {
    throw sql::sqlite_error(rc, "FTS5 has no unicode61 tokenizer");
  }
  fts5_tokenizer mine{&x_create, &x_delete, &x_tokenize};
  base* raw = b.release();
  if (int rc = api->xCreateTokenizer(api, "hd_fold", raw, &mine, &destroy); rc != SQLITE_OK) {
    delete raw;
    throw sql::sqlite_error(rc, "cannot register the hd_fold tokenizer");
  }
  register_rank_function(api);
  register_text_functions(db);
}

void register_fold_tokenizer_everywhere() {
  // The entry point's real signature; SQLite declares it as void(*)(void) for all kinds.
  using entry = void (*)();
  sqlite3_auto_extension(reinterpret_cast<entry>(&auto_entry));
}

}  // namespace hd::storage
