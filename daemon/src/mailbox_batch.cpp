#include "mailbox_batch.hpp"

#include "hd/daemon/ack.hpp"
#include "hd/daemon/pipeline.hpp"
#include "hd/storage/batch.hpp"
#include "routing.hpp"

#include <chrono>

#include <fmt/format.h>

namespace hd::daemon {
namespace {

mail_result store_one(storage::store& db, const intake_setup& setup, const batch_source& src,
                      const fetched_mail& m, std::int64_t now) {
  const config& cfg = *setup.cfg;
  storage::mail_source where{src.mailbox, src.folder, src.uidvalidity, m.uid};
  mail_result r;
  r.uid = m.uid;
  if (m.oversized > 0) {
    std::string reason =
        fmt::format("message of {} bytes exceeds max_message_bytes ({}); only its header was kept",
                    m.oversized, cfg.limits.max_message_bytes);
    auto q = db.quarantine(where, m.raw, reason, now);
    if (!q) {
      r.outcome = mail_outcome::failed;
      r.reason = q.error().message;
      return r;
    }
    r.outcome = mail_outcome::quarantined;
    r.quarantine = *q;
    r.reason = std::move(reason);
    return r;
  }
  intake_context cx{cfg, db, setup.rules, std::nullopt, setup.replies};
  intake_result in = intake(cx, where, m.raw, now);
  r.request = in.outcome.request_id;
  r.quarantine = in.quarantine_id;
  r.reason = in.reason;
  switch (in.status) {
    case intake_status::stored:
      r.outcome = in.outcome.kind == storage::ingest_kind::created ? mail_outcome::created
                                                                   : mail_outcome::appended;
      break;
    case intake_status::duplicate:
      r.outcome = mail_outcome::duplicate;
      break;
    case intake_status::quarantined:
      r.outcome = mail_outcome::quarantined;
      break;
    case intake_status::temp_failure:
      r.outcome = mail_outcome::failed;
      break;
  }
  return r;
}

// Stores mails from FIRST on in one write batch (group commit) of at most commit_batch mails
// or commit_batch_ms, and returns the index of the first mail not handled. Each mail is still
// atomic on its own (a savepoint). If the batch cannot commit, no mail of it counts as
// stored: their after-import actions must not run, and the next poll fetches them again.
std::size_t store_group(storage::store& db, const intake_setup& setup, const batch_source& src,
                        std::vector<fetched_mail>& mails, std::size_t first, std::int64_t now,
                        std::atomic<bool>& abort, const std::atomic<bool>* stop,
                        std::vector<mail_result>& out) {
  const database_config& limits = setup.cfg->database;
  auto batch = storage::write_batch::begin(db);
  if (!batch) {
    abort = true;
    out.push_back(mail_result{mails[first].uid, mail_outcome::failed, 0, 0, batch.error().message});
    return first + 1;
  }
  auto started = std::chrono::steady_clock::now();
  std::size_t first_result = out.size(), i = first;
  const auto budget = std::chrono::milliseconds(limits.commit_batch_ms);
  for (int n = 0; i < mails.size() && n < limits.commit_batch; ++n) {
    if (abort || (stop != nullptr && *stop)) break;
    out.push_back(store_one(db, setup, src, mails[i], now));
    if (out.back().outcome == mail_outcome::failed) abort = true;
    std::string().swap(mails[i++].raw);  // free the bytes as soon as they are stored
    if (std::chrono::steady_clock::now() - started > budget) break;
  }
  if (auto c = batch->commit(); !c) {
    abort = true;
    for (std::size_t k = first_result; k < out.size(); ++k) {
      if (!committed(out[k].outcome)) continue;
      out[k] = mail_result{out[k].uid, mail_outcome::failed, 0, 0, c.error().message};
    }
  }
  return i;
}

}  // namespace

result<intake_setup, config_errc> make_intake_setup(std::shared_ptr<const config> cfg) {
  auto rules = load_rules(*cfg);
  if (!rules) return fail(config_errc::invalid, rules.error().message);
  intake_setup s;
  s.rules = std::move(*rules);
  s.replies = reply_kit_for(*cfg);
  s.cfg = std::move(cfg);
  return s;
}

std::vector<mail_result> ingest_batch(storage::store& db, const intake_setup& setup,
                                      const batch_source& src, std::vector<fetched_mail>& mails,
                                      std::int64_t now, std::atomic<bool>& abort,
                                      const std::atomic<bool>* stop) {
  std::vector<mail_result> out;
  out.reserve(mails.size());
  std::size_t next = 0;
  while (next < mails.size() && !abort && (stop == nullptr || !*stop)) {
    next = store_group(db, setup, src, mails, next, now, abort, stop, out);
  }
  for (; next < mails.size(); ++next) {
    out.push_back(mail_result{mails[next].uid, mail_outcome::skipped, 0, 0, ""});
  }
  return out;
}

}  // namespace hd::daemon
