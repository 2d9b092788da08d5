#pragma once
// The worker-thread half of IMAP intake: one batch of fetched mails through the intake
// pipeline, in UID order. Each mail is atomic (request + checkpoint together, a savepoint);
// mails are committed in groups ([database] commit_batch / commit_batch_ms), one fsync per
// group. The first temporary failure stops the batch and every later batch of the same poll,
// so the checkpoint never moves past a mail that was not stored.

#include "hd/common/config.hpp"
#include "hd/rules/script.hpp"
#include "hd/storage/store.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hd::daemon {

struct reply_kit;

/// Everything the pipeline needs that is loaded once, at start and on SIGHUP: shared by the
/// loop thread and the storage worker, never changed after it is built.
struct intake_setup {
  std::shared_ptr<const config> cfg;
  std::shared_ptr<const rules::script> rules;  ///< null: no rules
  std::shared_ptr<const reply_kit> replies;    ///< null: loaded per mail
};

/// Loads the rules and reply templates for CFG. An error (the rules do not compile) names
/// every problem.
result<intake_setup, config_errc> make_intake_setup(std::shared_ptr<const config> cfg);

/// A mail as fetched: its bytes, or only its header when it is over the size limit.
struct fetched_mail {
  std::int64_t uid = 0;
  std::string raw;
  std::int64_t oversized = 0;  ///< RFC822.SIZE when only the header was fetched, else 0
};

enum class mail_outcome { created, appended, duplicate, quarantined, failed, skipped };

struct mail_result {
  std::int64_t uid = 0;
  mail_outcome outcome = mail_outcome::skipped;
  std::int64_t request = 0;     ///< for created/appended/duplicate
  std::int64_t quarantine = 0;  ///< for quarantined
  std::string reason;           ///< for quarantined and failed
  std::string ack_suppressed;   ///< why no acknowledgement went out (intake_result)
  bool ack_problem = false;
};

/// True when the mail is committed to the database (the after-import action may run).
inline bool committed(mail_outcome o) {
  return o != mail_outcome::failed && o != mail_outcome::skipped;
}

/// Where a batch comes from.
struct batch_source {
  std::string mailbox;
  std::string folder;
  std::int64_t uidvalidity = 0;
};

/// Stores MAILS (ascending UIDs) through the pipeline. ABORT is shared by the batches of one
/// poll: set here on a temporary failure, and when set (or STOP) the remaining mails are
/// skipped. Runs on the storage worker thread.
std::vector<mail_result> ingest_batch(storage::store& db, const intake_setup& setup,
                                      const batch_source& src, std::vector<fetched_mail>& mails,
                                      std::int64_t now, std::atomic<bool>& abort,
                                      const std::atomic<bool>* stop);

}  // namespace hd::daemon
