#pragma once
// Group commit: several writes (ingests, quarantines, discards) in one transaction, so a
// batch of fetched mail costs one fsync instead of one per mail.

#include "hd/storage/store.hpp"

#include <memory>

namespace hd::storage {

/// An open batch on a store: an IMAP batch's group commit, and each mail's unit of work in the
/// intake (pipeline.cpp), which nests in it as a savepoint. While it is open every verb on
/// the same store joins it: each
/// verb's own transaction becomes a savepoint, so a verb that fails still undoes only its own
/// work, but nothing is durable until commit(). Destroying an uncommitted batch rolls it all
/// back. The batch holds the database's write lock: keep it short (other processes wait up
/// to busy_timeout_ms for it).
class write_batch {
 public:
  /// Opens a batch (BEGIN IMMEDIATE). Fails with errc::busy when another writer holds the
  /// lock longer than busy_timeout_ms, or errc::io.
  static result<write_batch, errc> begin(store& s);
  write_batch(write_batch&&) noexcept;
  write_batch& operator=(write_batch&&) noexcept;
  ~write_batch();

  /// Commits every verb since begin(). Fails — and nothing of the batch is stored — when the
  /// commit fails or when an earlier failure (disk full, I/O error) made SQLite roll the
  /// whole transaction back: the caller must then treat every write of the batch as lost.
  result<void, errc> commit();

 private:
  struct state;
  explicit write_batch(std::unique_ptr<state> s);
  std::unique_ptr<state> s_;
};

}  // namespace hd::storage
