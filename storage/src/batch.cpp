#include "hd/storage/batch.hpp"

#include "store_impl.hpp"

#include <optional>

namespace hd::storage {

struct write_batch::state {
  state(const sql::connection& c, const open_options& o) : db(c), opt(o) {}
  const sql::connection& db;
  const open_options& opt;
  std::optional<sql::transaction> tx;
  bool nested = false;  ///< a savepoint inside another batch (a mail's unit of work)
};

write_batch::write_batch(std::unique_ptr<state> s) : s_(std::move(s)) {}
write_batch::write_batch(write_batch&&) noexcept = default;
write_batch& write_batch::operator=(write_batch&&) noexcept = default;
write_batch::~write_batch() = default;

result<write_batch, errc> write_batch::begin(store& s) {
  return guarded([&]() -> result<write_batch, errc> {
    auto st = std::make_unique<state>(connection_of(s), detail::access::of(s).opt);
    st->nested = st->db.in_transaction();
    st->tx.emplace(st->db);
    return write_batch(std::move(st));
  });
}

result<void, errc> write_batch::commit() {
  if (!s_ || !s_->tx) return fail(errc::invalid, "batch: already committed");
  if (!s_->db.in_transaction()) {
    s_->tx.reset();
    return fail(errc::io, "database: an earlier failure rolled the whole batch back");
  }
  return guarded([&]() -> result<void, errc> {
    // Test hook: a group commit that fails (disk full, I/O error) as COMMIT itself would.
    if (!s_->nested && s_->opt.inject_fault && s_->opt.inject_fault("batch_commit")) {
      s_->tx.reset();  // rolls back, as SQLite does when COMMIT cannot write
      throw sql::sqlite_error(SQLITE_IOERR, "injected fault at the batch commit");
    }
    s_->tx->commit();
    s_->tx.reset();
    return {};
  });
}

}  // namespace hd::storage
