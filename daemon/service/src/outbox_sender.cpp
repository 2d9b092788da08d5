#include "hd/service/outbox_sender.hpp"

#include "hd/common/backoff.hpp"
#include "hd/net/curl_multi.hpp"

#include "hd/service/outbox_delivery.hpp"
#include "hd/service/storage_worker.hpp"
#include "hd/storage/outbox.hpp"
#include "hd/storage/workflow.hpp"
#include "loop_jobs.hpp"

#include <curl/curl.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <vector>

namespace hd::daemon {
namespace {

namespace asio = boost::asio;

constexpr std::int64_t recover_every_s = 60;
constexpr std::int64_t prune_every_s = 3600;  // the auto-reply log's horizon, about hourly

struct claim_result {
  int woke = 0;
  int recovered = 0;
  int pruned = 0;
  std::string prune_error;
  std::vector<storage::outbox_item> items;
  std::string error;
};

}  // namespace

struct outbox_transfer {
  smtp_transfer t;
  storage::outbox_item item;
};

struct outbox_sender::impl : loop_jobs::loop_sender<impl, outbox_transfer> {
  using transfer = outbox_transfer;
  impl(asio::io_context& io, std::shared_ptr<const config> cfg, storage::store db,
       const logger& log, std::function<std::int64_t()> now, int interval_ms)
      : loop_sender(io, std::move(cfg), std::move(db), log, std::move(now), interval_ms, "outbox") {
  }

  // Wakes postponed requests and claims due mail for the free transfer slots.
  void tick() {
    if (stopping_ || claiming_) return;
    std::shared_ptr<const config> cfg = cfg_;
    int slots =
        cfg->smtp ? std::max(0, cfg->smtp->max_parallel - static_cast<int>(live_.size())) : 0;
    if (server_down_) {
      // One mail probes the server when its delay is up; the rest wait for its answer.
      bool due = !probing_ && std::chrono::steady_clock::now() >= next_probe_;
      slots = due ? std::min(slots, 1) : 0;
      if (slots > 0) probing_ = true;
    }
    std::int64_t now = now_();
    bool recover = cfg->smtp && now - last_recover_ >= recover_every_s;
    if (recover) last_recover_ = now;
    bool prune = now - last_prune_ >= prune_every_s;  // and at start
    if (prune) last_prune_ = now;
    claiming_ = true;
    on_db<claim_result>(
        [cfg, slots, now, recover, prune](storage::store& db) {
          claim_result r;
          if (auto w = storage::wake_postponed(db, now)) r.woke = *w;
          if (prune) {
            auto p = prune_auto_reply_log(*cfg, db, now);
            if (p) r.pruned = *p;
            if (!p) r.prune_error = p.error().message;
          }
          if (recover) {
            // A transfer cannot outlive several timeouts: anything older was interrupted.
            int stale_after = std::max(600, 10 * cfg->smtp->timeout_s);
            if (auto n = storage::recover_stale_sending(db, now, stale_after,
                                                        cfg->smtp->resend_in_doubt))
              r.recovered = *n;
          }
          if (slots == 0) return r;
          auto items = storage::claim_outbox(db, now, slots);
          if (items) r.items = std::move(*items);
          if (!items) r.error = items.error().message;
          return r;
        },
        [](impl& me, claim_result r) { me.claimed(std::move(r)); });
  }

  void claimed(claim_result r) {
    claiming_ = false;
    if (r.woke > 0) log_.info("requests.woke", {{"count", r.woke}});
    if (r.recovered > 0) log_.warn("outbox.recovered", {{"count", r.recovered}});
    if (r.pruned > 0) log_.info("auto_replies.pruned", {{"count", r.pruned}});
    if (!r.prune_error.empty())
      log_.error("auto_replies.prune_failed", {{"reason", r.prune_error}});
    if (!r.error.empty()) log_.error("outbox.claim_failed", {{"reason", r.error}});
    if (probing_) {
      probe_id_ = r.items.empty() ? 0 : r.items.front().id;
      probing_ = probe_id_ != 0;  // nothing due yet: probe at the next tick
    }
    for (storage::outbox_item& it : r.items) start(std::move(it));
  }

  void start(storage::outbox_item item) {
    auto t = transfer_of(*cfg_->smtp, item);
    if (!t) {
      bool permanent = t.error().code == smtp_errc::bad_envelope;
      record(std::move(item),
             {permanent ? delivery::permanent : delivery::temporary, t.error().message});
      return;
    }
    curl_multi_driver& d = driver(cfg_->smtp ? cfg_->smtp->max_parallel : 4);
    void* easy = t->easy_handle();
    item.bytes.clear();  // the transfer has its own copy
    live_.emplace(easy, transfer{std::move(*t), std::move(item)});
    ++stats_.started;
    if (std::string err = d.add(easy); !err.empty()) {
      auto node = live_.extract(easy);
      record(std::move(node.mapped().item), {delivery::temporary, err});
    }
  }

  // The driver removed EASY from its multi handle: record the transfer's result.
  void finished(void* easy, int code) {
    auto it = live_.find(easy);
    if (it == live_.end()) return;
    send_outcome o = it->second.t.outcome(code);
    storage::outbox_item item = std::move(it->second.item);
    live_.erase(it);  // frees the easy handle (no longer in the multi handle)
    record(std::move(item), std::move(o));
  }

  // Records the result on the database thread, then logs it and looks for more work.
  void record(storage::outbox_item item, send_outcome o) {
    std::shared_ptr<const config> cfg = cfg_;
    std::int64_t now = now_();
    auto shared = std::make_shared<const std::pair<storage::outbox_item, send_outcome>>(
        std::move(item), std::move(o));
    on_db<recorded>(
        [cfg, shared, now](storage::store& db) {
          return record_result(*cfg, db, shared->first, shared->second, now);
        },
        [shared](impl& me, recorded r) {
          log_result(me.log_, shared->first, shared->second, r);
          me.server_answered(shared->first.id, shared->second);
          delivery k = shared->second.kind;
          ++(k == delivery::sent        ? me.stats_.sent
             : k == delivery::permanent ? me.stats_.failed
                                        : me.stats_.deferred);
          me.after_finish();
        });
  }

  // Per-server backoff: a failure of the server itself (not of one mail) marks it down; it
  // is then probed with one mail after server_retry_min_s, doubling up to server_retry_max_s,
  // plus up to 25% jitter. Any answer about a mail (sent, or a reply to it) means it is up.
  void server_answered(std::int64_t id, const send_outcome& o) {
    bool was_probe = probing_ && id == probe_id_;
    if (was_probe) probing_ = false;
    if (o.kind != delivery::temporary || !o.server) {
      if (server_down_) {
        log_.info("outbox.server_back", {{"after_failures", server_failures_}});
        server_down_ = false;
      }
      server_failures_ = 0;
      return;
    }
    if (server_down_ && !was_probe) return;  // a transfer started before it went down
    server_down_ = true;
    ++server_failures_;
    const smtp_config* smtp = cfg_->smtp ? &*cfg_->smtp : nullptr;
    std::int64_t delay_ms =
        backoff_with_jitter(server_failures_, 1000LL * (smtp ? smtp->server_retry_min_s : 5),
                            1000LL * (smtp ? smtp->server_retry_max_s : 20), rng_);
    next_probe_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
    log_.warn("outbox.server_down",
              {{"failures", server_failures_}, {"probe_in_ms", delay_ms}, {"reply", o.reply}});
  }

  sender_stats stats_;
  bool server_down_ = false;
  bool probing_ = false;       // a probe is claimed or in flight
  std::int64_t probe_id_ = 0;  // the outbox item probing the server
  int server_failures_ = 0;    // consecutive failures of the server itself
  std::chrono::steady_clock::time_point next_probe_{};
  std::int64_t last_recover_ = 0;
  std::int64_t last_prune_ = 0;
};

outbox_sender::outbox_sender(asio::io_context& io, std::shared_ptr<const config> cfg,
                             storage::store db, const logger& log,
                             std::function<std::int64_t()> now, int interval_ms)
    : p_(std::make_shared<impl>(io, std::move(cfg), std::move(db), log, std::move(now),
                                interval_ms)) {
  p_->begin();
}

outbox_sender::~outbox_sender() = default;

void outbox_sender::reconfigure(std::shared_ptr<const config> cfg) {
  if (p_->driver_ && cfg->smtp) p_->driver_->set_max_connections(cfg->smtp->max_parallel);
  p_->cfg_ = std::move(cfg);
}

void outbox_sender::poke() { p_->poke(); }

void outbox_sender::stop() { p_->stop(); }

sender_stats outbox_sender::stats() const {
  sender_stats s = p_->stats_;
  s.in_flight = static_cast<int>(p_->live_.size());
  return s;
}

}  // namespace hd::daemon
