#pragma once
// What IMAP intake keeps per mailbox besides the mail: the UID checkpoint (written by
// store::ingest and store::quarantine in the mail's own transaction, read here), and the poll
// status behind `helpdeskd status` (last success, last error, backlog), plus outbox counts.

#include "hd/storage/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::storage {

/// A folder's checkpoint: everything up to last_uid under uidvalidity is stored.
struct checkpoint {
  std::int64_t uidvalidity = 0;
  std::int64_t last_uid = 0;
};

/// The checkpoint of MAILBOX/FOLDER; nullopt when nothing has been stored from it yet.
result<std::optional<checkpoint>, errc> read_checkpoint(store& s, std::string_view mailbox,
                                                        std::string_view folder);

/// A poll of MAILBOX succeeded at NOW; BACKLOG mails above the checkpoint remain (0 normally).
result<void, errc> record_poll_success(store& s, std::string_view mailbox, std::int64_t now,
                                       std::int64_t backlog);

/// A poll (or connection) of MAILBOX failed at NOW with ERROR (no secrets in it).
result<void, errc> record_poll_error(store& s, std::string_view mailbox, std::int64_t now,
                                     std::string_view error);

/// What `helpdeskd status` shows for one mailbox.
struct mailbox_status {
  std::string mailbox;
  std::optional<std::int64_t> last_success_at;
  std::optional<std::int64_t> last_error_at;
  std::string last_error;  ///< the most recent error, kept after later successes
  std::int64_t backlog = 0;
  std::optional<checkpoint> state;  ///< of the folder recorded for it (first one found)
  std::int64_t stored = 0;          ///< raw mails stored from this mailbox
};

/// Status of every mailbox that was ever polled or stored from, by name.
result<std::vector<mailbox_status>, errc> list_mailbox_status(store& s);

/// Outbox rows per status.
struct outbox_counts {
  std::int64_t queued = 0, sending = 0, sent = 0, failed = 0;
};
/// Read from outbox_counts, kept by triggers: on SQLite one row per status; on PostgreSQL
/// rows of +1 and -1 that are summed (several daemons write the outbox at once, and one row
/// per status updated in place made each daemon's transaction wait for the other's commit).
result<outbox_counts, errc> count_outbox(store& s);
/// PostgreSQL: folds outbox_counts' rows into one per status (the same sums), so they do
/// not pile up. Run by each daemon's lease round (every lease_s / 3); it waits for no
/// writer. Nothing on SQLite.
result<void, errc> fold_outbox_counts(store& s);

}  // namespace hd::storage
