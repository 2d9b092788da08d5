#include "hd/intake/mailbox_batch.hpp"

#include "hd/intake/ack.hpp"
#include "hd/intake/language.hpp"
#include "hd/intake/pipeline.hpp"
#include "hd/intake/routing.hpp"
#include "hd/storage/batch.hpp"

#include <fmt/format.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace hd::daemon {
namespace {

// Parses a batch's mails on a second thread, a few ahead of the storage worker: parsing is
// pure (no database) and a good part of a mail's cost, so intake uses both cores. At most
// k_parse_ahead parsed mails wait, since they hold decoded attachments. The thread lives as
// long as the batch; this object is the only state the two threads share. The thread also
// detects each mail's language for its acknowledgement (with a detector of its own: a
// libexttextcat handle is not shared), so the storage worker only picks: detection was a
// tenth of intake's time on the storage worker (bench/README.md, section 1). It also hashes
// and compresses the raw mail for storing (storage::prepare_raw).
class parse_ahead {
 public:
  static constexpr std::size_t k_parse_ahead = 8;

  struct parsed {
    parse_result mail;
    language_guess language;
    std::optional<storage::prepared_raw> raw;  ///< storage::prepare_raw of the mail
  };

  parse_ahead(const config& cfg, const reply_kit* kit, const std::vector<fetched_mail>& mails)
      : cfg_(cfg), kit_(kit), mails_(mails), slots_(mails.size()) {
    if (mails.size() > 1) worker_ = std::thread([this] { run(); });
  }
  parse_ahead(const parse_ahead&) = delete;
  parse_ahead& operator=(const parse_ahead&) = delete;
  ~parse_ahead() {
    {
      std::lock_guard lock(m_);
      stop_ = true;
    }
    parser_cv_.notify_one();
    if (worker_.joinable()) worker_.join();
  }

  // Mail I's parse (mails are taken in order; some may be skipped).
  parsed take(std::size_t i) {
    std::optional<parsed> r;
    if (worker_.joinable()) {
      std::unique_lock lock(m_);
      taken_ = std::max(taken_, i);  // the worker may go up to i + k_parse_ahead
      wake_parser();
      if (ready_ <= i) {
        storage_waits_ = true;
        storage_cv_.wait(lock, [&] { return ready_ > i; });
        storage_waits_ = false;
      }
      r = std::move(slots_[i]);
      slots_[i].reset();
      taken_ = i + 1;
      wake_parser();
    }
    // No worker (one mail), or it could not parse this one (it threw): parse here.
    return r ? std::move(*r) : parsed{parse_for_intake(cfg_, mails_[i].raw), {}, {}};
  }

 private:
  // The language an acknowledgement of M would be detected in, when it may need one (no
  // Content-Language; whether the person has a language is only known when storing).
  language_guess guess(const language_detector* detector, const parse_result& m,
                       std::string_view raw) const {
    language_guess g;
    if (detector == nullptr || !m || !m->from || !cfg_.ack.enabled) return g;
    if (!raw_header(raw, "Content-Language").empty()) return g;
    g.done = true;
    g.language = detector->detect(language_sample(*m));
    return g;
  }

  void run() {
    std::unique_ptr<language_detector> detector;
    if (kit_ != nullptr && kit_->detector != nullptr)
      detector = language_detector::open(kit_->detector_languages, kit_->fingerprint_dir);
    for (std::size_t i = 0; i < mails_.size(); ++i) {
      {
        std::unique_lock lock(m_);
        if (!stop_ && i >= taken_ + k_parse_ahead) {
          parser_waits_at_ = i;
          parser_cv_.wait(lock, [&] { return stop_ || parser_may_go(); });
          parser_waits_at_.reset();
        }
        if (stop_) return;
      }
      std::optional<parsed> r;
      try {
        if (mails_[i].oversized == 0) {
          parse_result m = parse_for_intake(cfg_, mails_[i].raw);
          language_guess g = guess(detector.get(), m, mails_[i].raw);
          // Hashing and compressing the raw mail are the storage worker's too, unless done here.
          std::optional<storage::prepared_raw> raw;
          if (m) raw = storage::prepare_raw(mails_[i].raw);
          r = parsed{std::move(m), std::move(g), std::move(raw)};
        }
      } catch (const std::exception&) {
        r.reset();  // the storage worker parses it again and reports what happens
      }
      bool wake = false;
      {
        std::lock_guard lock(m_);
        slots_[i] = std::move(r);
        ready_ = i + 1;
        wake = storage_waits_;
      }
      if (wake) storage_cv_.notify_one();
    }
  }

  const config& cfg_;
  const reply_kit* kit_;  ///< may be null: no detection ahead
  const std::vector<fetched_mail>& mails_;
  std::vector<std::optional<parsed>> slots_;
  // Called with m_ held. A parser that waits for room is woken once half the look-ahead is
  // free, not at every mail taken: each wake-up is a system call on the storage worker, and
  // waking the parser twice a mail cost 3 % of its time (bench/README.md, section 1).
  bool parser_may_go() const {
    return parser_waits_at_ && *parser_waits_at_ + k_parse_ahead / 2 <= taken_ + k_parse_ahead;
  }
  void wake_parser() {
    if (parser_may_go()) parser_cv_.notify_one();
  }

  std::mutex m_;
  std::condition_variable parser_cv_;           ///< the parser waits here for room
  std::condition_variable storage_cv_;          ///< the storage worker waits here for a parsed mail
  std::size_t ready_ = 0;                       ///< mails [0, ready_) are parsed (or skipped)
  std::size_t taken_ = 0;                       ///< the storage worker is at mail taken_
  std::optional<std::size_t> parser_waits_at_;  ///< the mail the parser waits to parse
  bool storage_waits_ = false;
  bool stop_ = false;
  std::thread worker_;
};

mail_result store_one(storage::store& db, const intake_setup& setup, const batch_source& src,
                      const fetched_mail& m, parse_ahead& parser, std::size_t index,
                      std::int64_t now) {
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
  intake_result in;
  try {
    parse_ahead::parsed p = parser.take(index);
    in = intake_parsed(cx, where, m.raw, std::move(p.mail), now, &p.language,
                       p.raw ? &*p.raw : nullptr);
  } catch (const std::exception& e) {
    // A bug met on this mail (expected failures are values): its transaction has rolled back.
    // Keep the raw mail with the exception's text and move on, so the checkpoint passes it and
    // the next start does not meet the same mail again.
    in = quarantine_after_exception(db, where, m.raw, e.what(), now);
  }
  r.request = in.outcome.request_id;
  r.quarantine = in.quarantine_id;
  r.reason = in.reason;
  r.ack_suppressed = in.ack_suppressed;
  r.ack_problem = in.ack_problem;
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
                        std::vector<fetched_mail>& mails, parse_ahead& parser, std::size_t first,
                        std::int64_t now, std::atomic<bool>& abort, const std::atomic<bool>* stop,
                        std::vector<mail_result>& out) {
  const database_config& limits = setup.cfg->database;
  auto batch = storage::write_batch::begin(db);
  if (!batch) {
    abort = true;
    out.push_back(mail_result{
        mails[first].uid, mail_outcome::failed, 0, 0, batch.error().message, {}, false});
    return first + 1;
  }
  auto started = std::chrono::steady_clock::now();
  std::size_t first_result = out.size(), i = first;
  const auto budget = std::chrono::milliseconds(limits.commit_batch_ms);
  for (int n = 0; i < mails.size() && n < limits.commit_batch; ++n) {
    if (abort || (stop != nullptr && *stop)) break;
    out.push_back(store_one(db, setup, src, mails[i], parser, i, now));
    if (out.back().outcome == mail_outcome::failed) abort = true;
    std::string().swap(mails[i++].raw);  // free the bytes as soon as they are stored
    if (std::chrono::steady_clock::now() - started > budget) break;
  }
  if (auto c = batch->commit(); !c) {
    abort = true;
    for (std::size_t k = first_result; k < out.size(); ++k) {
      if (!committed(out[k].outcome)) continue;
      out[k] = mail_result{out[k].uid, mail_outcome::failed, 0, 0, c.error().message, {}, false};
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
  {
    parse_ahead parser(*setup.cfg, setup.replies.get(), mails);
    while (next < mails.size() && !abort && (stop == nullptr || !*stop)) {
      next = store_group(db, setup, src, mails, parser, next, now, abort, stop, out);
    }
  }
  for (; next < mails.size(); ++next) {
    out.push_back(mail_result{mails[next].uid, mail_outcome::skipped, 0, 0, "", {}, false});
  }
  return out;
}

}  // namespace hd::daemon
