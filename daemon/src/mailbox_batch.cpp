#include "mailbox_batch.hpp"

#include "hd/daemon/ack.hpp"
#include "hd/daemon/pipeline.hpp"
#include "routing.hpp"

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
  for (fetched_mail& m : mails) {
    if (abort || (stop != nullptr && *stop)) {
      out.push_back(mail_result{m.uid, mail_outcome::skipped, 0, 0, ""});
      continue;
    }
    out.push_back(store_one(db, setup, src, m, now));
    if (out.back().outcome == mail_outcome::failed) abort = true;
    std::string().swap(m.raw);  // free the bytes as soon as they are stored
  }
  return out;
}

}  // namespace hd::daemon
