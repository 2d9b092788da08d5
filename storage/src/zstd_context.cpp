#include "zstd_context.hpp"

#include <map>
#include <memory>

namespace hd::storage {
namespace {
struct cctx_free {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct dctx_free {
  void operator()(ZSTD_DCtx* c) const { ZSTD_freeDCtx(c); }
};
}  // namespace

ZSTD_CCtx* thread_compressor(int level) {
  thread_local std::map<int, std::unique_ptr<ZSTD_CCtx, cctx_free>> contexts;
  auto& c = contexts[level];
  if (!c) {
    c.reset(ZSTD_createCCtx());
    if (c) {
      ZSTD_CCtx_setParameter(c.get(), ZSTD_c_compressionLevel, level);
      ZSTD_CCtx_setParameter(c.get(), ZSTD_c_checksumFlag, 1);
      ZSTD_CCtx_setParameter(c.get(), ZSTD_c_contentSizeFlag, 1);
    }
  }
  return c.get();
}

ZSTD_DCtx* thread_decompressor() {
  thread_local std::unique_ptr<ZSTD_DCtx, dctx_free> d(ZSTD_createDCtx());
  return d.get();
}

}  // namespace hd::storage
