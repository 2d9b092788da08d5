#include "hd/service/webhook_sender.hpp"

#include "hd/intake/pipeline.hpp"
#include "hd/net/curl_multi.hpp"
#include "hd/net/webhook_post.hpp"
#include "hd/service/storage_worker.hpp"
#include "hd/storage/webhooks.hpp"
#include "loop_jobs.hpp"

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

constexpr std::int64_t prune_every_s = 3600;

struct claim_result {
  int requeued = 0;
  int pruned = 0;
  std::vector<storage::webhook_delivery> items;
  std::string error;
};

struct recorded {
  std::string error;
};

const webhook_config* find_endpoint(const config& c, const std::string& name) {
  for (const webhook_config& w : c.webhooks) {
    if (w.name == name) return &w;
  }
  return nullptr;
}

}  // namespace

struct webhook_transfer {
  std::unique_ptr<webhook_post> post;
  storage::webhook_delivery item;
};

struct webhook_sender::impl : loop_jobs::loop_sender<impl, webhook_transfer> {
  using transfer = webhook_transfer;
  impl(asio::io_context& io, std::shared_ptr<const config> cfg, storage::store db,
       const logger& log, std::function<std::int64_t()> now, int interval_ms)
      : loop_sender(io, std::move(cfg), std::move(db), log, std::move(now), interval_ms,
                    "webhook") {}

  // Claims due deliveries for every endpoint with a free slot. The first claim after start
  // first queues again what a previous run left 'sending'.
  void tick() {
    if (stopping_ || claiming_) return;
    std::shared_ptr<const config> cfg = cfg_;
    std::vector<std::pair<std::string, int>> wanted;
    for (const webhook_config& w : cfg->webhooks) {
      int slots = w.max_parallel - in_flight_[w.name];
      if (slots > 0) wanted.emplace_back(w.name, slots);
    }
    bool recover = !recovered_;
    std::int64_t now = now_();
    // The log's retention, per endpoint, about once an hour (and at start).
    std::vector<std::pair<std::string, std::int64_t>> prune;
    if (now - last_prune_ >= prune_every_s) {
      last_prune_ = now;
      for (const webhook_config& w : cfg->webhooks) {
        if (w.keep_days > 0) prune.emplace_back(w.name, now - std::int64_t{86400} * w.keep_days);
      }
    }
    if (wanted.empty() && !recover && prune.empty()) return;
    recovered_ = true;
    claiming_ = true;
    on_db<claim_result>(
        [wanted, now, recover, prune](storage::store& db) {
          claim_result r;
          if (recover) {
            auto n = storage::requeue_sending_webhooks(db, now);
            if (n) r.requeued = *n;
            if (!n) r.error = n.error().message;
          }
          for (const auto& [name, before] : prune) {
            auto n = storage::prune_webhook_deliveries(db, name, before);
            if (n) r.pruned += *n;
            if (!n) r.error = n.error().message;
          }
          for (const auto& [name, slots] : wanted) {
            auto items = storage::claim_webhook_deliveries(db, now, name, slots);
            if (!items) {
              r.error = items.error().message;
              break;
            }
            for (auto& d : *items) r.items.push_back(std::move(d));
          }
          return r;
        },
        [](impl& me, claim_result r) { me.claimed(std::move(r)); });
  }

  void claimed(claim_result r) {
    claiming_ = false;
    if (r.requeued > 0) log_.warn("webhook.requeued", {{"count", r.requeued}});
    if (r.pruned > 0) log_.info("webhook.pruned", {{"count", r.pruned}});
    if (!r.error.empty()) log_.error("webhook.claim_failed", {{"reason", r.error}});
    for (storage::webhook_delivery& d : r.items) start(std::move(d));
  }

  void start(storage::webhook_delivery d) {
    const webhook_config* ep = find_endpoint(*cfg_, d.endpoint);
    if (ep == nullptr) {  // removed by a reload since the claim: back to the queue
      record(std::move(d), {false, 0, "the endpoint is not configured"}, now_());
      return;
    }
    webhook_request req{ep->url,   d.event, d.delivery_id, ep->secret_key.reveal(),
                        d.payload, now_(),  ep->timeout_s};
    auto post = webhook_post::make(req);
    if (!post) {
      record(std::move(d), {false, 0, "curl could not make the request"}, now_());
      return;
    }
    curl_multi_driver& drv = driver();
    void* easy = post->easy_handle();
    ++in_flight_[d.endpoint];
    ++stats_.started;
    live_.emplace(easy, transfer{std::move(post), std::move(d)});
    if (std::string err = drv.add(easy); !err.empty()) finished(easy, -1, err);
  }

  // The driver removed EASY from its multi handle (or ADD_ERROR: it could not take it).
  void finished(void* easy, int code, const std::string& add_error = {}) {
    auto it = live_.find(easy);
    if (it == live_.end()) return;
    webhook_outcome o =
        add_error.empty() ? it->second.post->outcome(code) : webhook_outcome{false, 0, add_error};
    storage::webhook_delivery d = std::move(it->second.item);
    live_.erase(it);
    --in_flight_[d.endpoint];
    record(std::move(d), std::move(o), now_());
  }

  // Records the attempt on the database thread: delivered, retried after a backoff, or failed
  // once the endpoint's max_attempts are used up.
  void record(storage::webhook_delivery d, webhook_outcome o, std::int64_t now) {
    const webhook_config* ep = find_endpoint(*cfg_, d.endpoint);
    std::optional<std::int64_t> retry_at;
    if (!o.delivered) {
      if (ep == nullptr) {
        retry_at = now + 60;  // not tried: no attempt counted against it
      } else if (d.attempts < ep->max_attempts) {
        retry_at = now + webhook_backoff_s(d.attempts, ep->backoff_min_s, ep->backoff_max_s, rng_);
      }
    }
    bool uncounted = ep == nullptr;
    auto shared = std::make_shared<
        const std::tuple<storage::webhook_delivery, webhook_outcome, std::optional<std::int64_t>>>(
        std::move(d), std::move(o), retry_at);
    on_db<recorded>(
        [shared, now, uncounted](storage::store& db) {
          const auto& [item, out, at] = *shared;
          recorded r;
          auto w = storage::record_webhook_attempt(db, item.id, now, out.delivered, out.status,
                                                   out.error, at, uncounted);
          if (!w) r.error = w.error().message;
          return r;
        },
        [shared](impl& me, recorded r) {
          me.log_result(std::get<0>(*shared), std::get<1>(*shared), std::get<2>(*shared), r);
          me.after_finish();
        });
  }

  void log_result(const storage::webhook_delivery& d, const webhook_outcome& o,
                  std::optional<std::int64_t> retry_at, const recorded& r) {
    if (!r.error.empty()) {
      log_.error("webhook.record_failed", {{"delivery", d.delivery_id}, {"reason", r.error}});
    }
    if (o.delivered) {
      ++stats_.delivered;
      log_.info("webhook.delivered", {{"endpoint", d.endpoint},
                                      {"event", d.event},
                                      {"delivery", d.delivery_id},
                                      {"attempt", d.attempts},
                                      {"status", o.status}});
    } else if (retry_at) {
      ++stats_.retried;
      log_.warn("webhook.deferred", {{"endpoint", d.endpoint},
                                     {"event", d.event},
                                     {"delivery", d.delivery_id},
                                     {"attempt", d.attempts},
                                     {"retry_in_s", *retry_at - now_()},
                                     {"error", o.error}});
    } else {
      ++stats_.failed;
      log_.error("webhook.failed", {{"endpoint", d.endpoint},
                                    {"event", d.event},
                                    {"delivery", d.delivery_id},
                                    {"attempts", d.attempts},
                                    {"error", o.error}});
    }
  }

  std::map<std::string, int> in_flight_;  // by endpoint
  webhook_stats stats_;
  bool recovered_ = false;
  std::int64_t last_prune_ = 0;
};

webhook_sender::webhook_sender(asio::io_context& io, std::shared_ptr<const config> cfg,
                               storage::store db, const logger& log,
                               std::function<std::int64_t()> now, int interval_ms)
    : p_(std::make_shared<impl>(io, std::move(cfg), std::move(db), log, std::move(now),
                                interval_ms)) {
  p_->begin();
}

webhook_sender::~webhook_sender() = default;

void webhook_sender::reconfigure(std::shared_ptr<const config> cfg) {
  p_->cfg_ = cfg;
  auto subs = webhook_subscriptions(*cfg);
  p_->on_db<recorded>(
      [subs](storage::store& db) {
        recorded r;
        if (auto w = storage::set_webhook_subscriptions(db, subs); !w) r.error = w.error().message;
        return r;
      },
      [](impl& me, recorded r) {
        if (!r.error.empty()) me.log_.error("webhook.subscriptions_failed", {{"reason", r.error}});
      });
}

void webhook_sender::poke() { p_->poke(); }

void webhook_sender::stop() { p_->stop(); }

webhook_stats webhook_sender::stats() const {
  webhook_stats s = p_->stats_;
  s.in_flight = static_cast<int>(p_->live_.size());
  return s;
}

}  // namespace hd::daemon
