#pragma once
// zstd compression contexts for storage's frames (raw mail, message bodies): one per thread and
// level, reused, so a frame does not pay for allocating and setting up the tables each time.

#include <zstd.h>

namespace hd::storage {

/// This thread's context for LEVEL, with the content size and a content checksum in every
/// frame (damage is reported on reading, never handed out as text or mail). Null when zstd
/// cannot allocate one: the caller then keeps its bytes as they are.
ZSTD_CCtx* thread_compressor(int level);

/// This thread's decompression context (null when zstd cannot allocate one).
ZSTD_DCtx* thread_decompressor();

}  // namespace hd::storage
