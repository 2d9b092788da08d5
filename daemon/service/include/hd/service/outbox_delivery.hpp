#pragma once
// The outbox's delivery bookkeeping: what a finished SMTP transfer means for its outbox row
// (sent, deferred with backoff, failed and suppressed), and the blocking one-pass drain used
// by `outbox drain` and `run --once`. The service's event loop drives the same transfers
// without blocking (outbox_sender.hpp).

#include "hd/common/config.hpp"
#include "hd/common/error.hpp"
#include "hd/common/log.hpp"
#include "hd/net/smtp.hpp"
#include "hd/storage/outbox.hpp"
#include "hd/storage/store.hpp"

#include <cstdint>
#include <string>

namespace hd::daemon {

/// A transfer for outbox ITEM: its envelope checked as plain addr-specs first (bad_envelope:
/// never retried, mark it failed).
result<smtp_transfer, smtp_errc> transfer_of(const smtp_config& cfg,
                                             const storage::outbox_item& item);

/// What recording an outcome did.
struct recorded {
  bool ok = true;        ///< false: a storage error (the item stays 'sending', recovered later)
  bool gave_up = false;  ///< a temporary failure of a mail too old to retry: now failed
  std::string db_error;  ///< the storage error, when not ok
};

/// Records OUTCOME for outbox ITEM in the database: sent, deferred with backoff, or failed (a
/// permanent failure also suppresses automatic mail to the recipients for
/// [ack] bounce_suppress_days). No logging: safe on a database thread.
recorded record_result(const config& cfg, storage::store& db, const storage::outbox_item& item,
                       const send_outcome& outcome, std::int64_t now);

/// Logs the one line for a recorded outcome (outbox.sent / deferred / gave_up / failed, and
/// outbox.record_failed on a storage error).
void log_result(const logger& log, const storage::outbox_item& item, const send_outcome& outcome,
                const recorded& r);

/// record_result, then log_result.
void record_outcome(const config& cfg, storage::store& db, const logger& log,
                    const storage::outbox_item& item, const send_outcome& outcome,
                    std::int64_t now);

/// How long the auto-reply log keeps an entry: the longest look-back of the checks that read it
/// ([ack] rate_limit_window_s; a day for "this request was already acknowledged today") and a
/// day more, for a clock set back.
std::int64_t auto_reply_keep_s(const config& cfg);

/// Deletes the auto-reply log's entries older than auto_reply_keep_s(CFG) at NOW: how many
/// went. The log is only ever read inside that horizon, and without pruning it grows by a row
/// for every acknowledgement and redirect ever queued.
result<int, storage::errc> prune_auto_reply_log(const config& cfg, storage::store& db,
                                                std::int64_t now);

struct drain_stats {
  int recovered = 0;  ///< items found 'sending' from an interrupted run and re-queued
  int pruned = 0;     ///< auto-reply log entries past their horizon, deleted first
  int attempted = 0;
  int sent = 0;
  int deferred = 0;
  int failed = 0;
  bool server_down = false;  ///< the server itself failed: the pass stopped there
};

/// Sends every outbox item due at NOW, in one pass (blocking: for `outbox drain` and
/// `run --once`; the daemon drives smtp_transfer from its event loop instead). Without an
/// [smtp] section nothing is sent. The auto-reply log is pruned first (prune_auto_reply_log),
/// so that a deployment run from cron keeps it small too.
drain_stats drain_outbox(const config& cfg, storage::store& db, const logger& log,
                         std::int64_t now);

}  // namespace hd::daemon
