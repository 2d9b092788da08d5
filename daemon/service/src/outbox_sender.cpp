#include "hd/service/outbox_sender.hpp"

#include "hd/net/curl_handles.hpp"

#include "hd/service/outbox_delivery.hpp"
#include "hd/service/storage_worker.hpp"
#include "hd/storage/outbox.hpp"
#include "hd/storage/workflow.hpp"

#include <curl/curl.h>
#include <poll.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
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

// One socket curl asked us to watch. The descriptor is released, never closed: the socket is
// curl's. Only the watch map owns it, so CURL_POLL_REMOVE deregisters it at once (curl may
// reuse the number for its next socket).
struct watch {
  watch(asio::io_context& io, int fd) : sd(io, fd) {}
  ~watch() { sd.release(); }  // cancels pending waits (operation_aborted)
  asio::posix::stream_descriptor sd;
  int want = 0;  // CURL_POLL_IN / OUT / INOUT
  bool reading = false, writing = false;
};

// Whether FD is ready for EVENTS now. Asio's reactor is edge-triggered: readiness that arrived
// while we were not waiting for it would never be reported again, so look before waiting.
bool ready_now(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (events | POLLERR | POLLHUP)) != 0;
}

struct claim_result {
  int woke = 0;
  int recovered = 0;
  std::vector<storage::outbox_item> items;
  std::string error;
};

}  // namespace

struct outbox_sender::impl : std::enable_shared_from_this<impl> {
  struct transfer {
    smtp_transfer t;
    storage::outbox_item item;
  };

  impl(asio::io_context& io, std::shared_ptr<const config> cfg, storage::store db,
       const logger& log, std::function<std::int64_t()> now, int interval_ms)
      : io_(io),
        cfg_(std::move(cfg)),
        log_(log),
        now_(std::move(now)),
        interval_ms_(interval_ms),
        tick_timer_(io),
        curl_timer_(io),
        db_(io, std::move(db)) {
    db_.on_job_error([this](const std::string& what) {
      log_.error("outbox.job_failed", {{"reason", what}});
    });
  }

  ~impl() {
    stopping_ = true;
    tick_timer_.cancel();
    // Transfers still running are abandoned: their items stay 'sending' and are recovered.
    for (auto& [easy, tr] : live_) curl_multi_remove_handle(multi_.get(), easy);
    live_.clear();
    shutdown_curl();
    // db_ is destroyed next (it is the last member): it records what it still holds.
  }

  // Runs JOB on the database thread, then DONE with its result on the loop thread (unless the
  // sender is gone by then). The work guard keeps io.run() going while the job is out.
  template <class R>
  void on_db(std::function<R(storage::store&)> job, std::function<void(impl&, R)> done) {
    auto guard = asio::make_work_guard(io_);
    db_.submit([job = std::move(job), done = std::move(done), weak = weak_from_this(), &io = io_,
                guard](storage::store& db) mutable {
      R r = job(db);
      asio::post(io, [weak, done = std::move(done), r = std::move(r)]() mutable {
        if (auto me = weak.lock()) done(*me, std::move(r));
      });
      guard.reset();
    });
  }

  void schedule() {
    tick_timer_.expires_after(std::chrono::milliseconds(interval_ms_));
    tick_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto me = weak.lock();
      if (ec || !me || me->stopping_) return;
      me->tick();
      me->schedule();
    });
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
    claiming_ = true;
    on_db<claim_result>(
        [cfg, slots, now, recover](storage::store& db) {
          claim_result r;
          if (auto w = storage::wake_postponed(db, now)) r.woke = *w;
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
    if (!ensure_multi()) {
      record(std::move(item), {delivery::temporary, "curl_multi_init failed"});
      return;
    }
    CURL* easy = static_cast<CURL*>(t->easy_handle());
    item.bytes.clear();  // the transfer has its own copy
    live_.emplace(easy, transfer{std::move(*t), std::move(item)});
    ++stats_.started;
    // Adding asks for a timeout (usually 0 ms) through on_timer: the loop starts the transfer.
    if (CURLMcode rc = curl_multi_add_handle(multi_.get(), easy); rc != CURLM_OK) {
      auto node = live_.extract(easy);
      record(std::move(node.mapped().item), {delivery::temporary, curl_multi_strerror(rc)});
    }
  }

  bool ensure_multi() {
    if (multi_) return true;
    multi_.reset(curl_multi_init());
    if (!multi_) return false;
    CURLM* m = multi_.get();
    curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &impl::on_socket);
    curl_multi_setopt(m, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &impl::on_timer);
    curl_multi_setopt(m, CURLMOPT_TIMERDATA, this);
    long parallel = cfg_->smtp ? cfg_->smtp->max_parallel : 4;
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, parallel);
    return true;
  }

  // CURLMOPT_SOCKETFUNCTION: watch S for what curl wants, or stop watching it.
  static int on_socket(CURL* /*easy*/, curl_socket_t s, int what, void* userp, void* /*sockp*/) {
    auto* me = static_cast<impl*>(userp);
    if (what == CURL_POLL_REMOVE) {
      me->watches_.erase(s);
      return 0;
    }
    std::shared_ptr<watch>& w = me->watches_[s];
    if (!w) {
      try {
        w = std::make_shared<watch>(me->io_, s);
      } catch (const boost::system::system_error& e) {
        me->watches_.erase(s);
        me->log_.error("outbox.watch_failed", {{"error", e.what()}});
        return -1;  // curl fails the transfer
      }
    }
    w->want = what;
    me->arm(s);
    return 0;
  }

  // CURLMOPT_TIMERFUNCTION: one steady_timer. Even a 0 ms timeout goes through the loop, so
  // curl is never re-entered from inside its own callback.
  static int on_timer(CURLM* /*multi*/, long timeout_ms, void* userp) {
    auto* me = static_cast<impl*>(userp);
    if (timeout_ms < 0) {
      me->curl_timer_.cancel();
      return 0;
    }
    me->curl_timer_.expires_after(std::chrono::milliseconds(timeout_ms));
    me->curl_timer_.async_wait([weak = me->weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self) return;
      self->drive(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
  }

  void arm(int s) {
    auto it = watches_.find(s);
    if (it == watches_.end()) return;
    watch& w = *it->second;
    for (bool for_write : {false, true}) {
      if (!(w.want & (for_write ? CURL_POLL_OUT : CURL_POLL_IN))) continue;
      bool& busy = for_write ? w.writing : w.reading;
      if (busy) continue;
      busy = true;
      auto handler = [weak = weak_from_this(), ww = std::weak_ptr<watch>(it->second), s,
                      for_write](boost::system::error_code ec) {
        auto me = weak.lock();
        if (!me || ec == asio::error::operation_aborted) return;
        if (auto live = ww.lock()) (for_write ? live->writing : live->reading) = false;
        if (ww.expired()) return;  // curl stopped watching it meanwhile
        me->drive(s, ec ? CURL_CSELECT_ERR : for_write ? CURL_CSELECT_OUT : CURL_CSELECT_IN);
        me->arm(s);
      };
      if (ready_now(s, for_write ? POLLOUT : POLLIN)) {
        asio::post(io_, [handler]() mutable { handler(boost::system::error_code()); });
      } else {
        w.sd.async_wait(for_write ? asio::posix::descriptor_base::wait_write
                                  : asio::posix::descriptor_base::wait_read,
                        std::move(handler));
      }
    }
  }

  void drive(curl_socket_t s, int ev_bitmask) {
    if (!multi_) return;
    int running = 0;
    curl_multi_socket_action(multi_.get(), s, ev_bitmask, &running);
    check_done();
  }

  void check_done() {
    int left = 0;
    while (multi_) {
      CURLMsg* msg = curl_multi_info_read(multi_.get(), &left);
      if (msg == nullptr) break;
      if (msg->msg != CURLMSG_DONE) continue;
      CURL* easy = msg->easy_handle;
      CURLcode code = msg->data.result;
      auto it = live_.find(easy);
      if (it == live_.end()) continue;
      send_outcome o = it->second.t.outcome(code);
      curl_multi_remove_handle(multi_.get(), easy);
      storage::outbox_item item = std::move(it->second.item);
      live_.erase(it);  // frees the easy handle (no longer in the multi handle)
      record(std::move(item), std::move(o));
    }
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
    std::int64_t delay_ms = 1000LL * (smtp ? smtp->server_retry_min_s : 5);
    std::int64_t max_ms = 1000LL * (smtp ? smtp->server_retry_max_s : 20);
    for (int i = 1; i < server_failures_ && delay_ms < max_ms; ++i) delay_ms *= 2;
    delay_ms = std::min(delay_ms, max_ms);
    delay_ms += std::uniform_int_distribution<std::int64_t>(0, delay_ms / 4)(rng_);
    next_probe_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
    log_.warn("outbox.server_down",
              {{"failures", server_failures_}, {"probe_in_ms", delay_ms}, {"reply", o.reply}});
  }

  void after_finish() {
    if (!stopping_) {
      tick();  // a slot is free: more may be due
    } else if (live_.empty()) {
      shutdown_curl();
    }
  }

  void stop() {
    stopping_ = true;
    tick_timer_.cancel();
    if (live_.empty()) shutdown_curl();
  }

  // No transfer is running: drop curl's cached connections, its timer and every watch, so
  // nothing of ours keeps the loop busy.
  void shutdown_curl() {
    curl_timer_.cancel();
    multi_.reset();  // may report CURL_POLL_REMOVE for cached connections
    watches_.clear();
  }

  asio::io_context& io_;
  std::shared_ptr<const config> cfg_;
  const logger& log_;
  std::function<std::int64_t()> now_;
  int interval_ms_;
  asio::steady_timer tick_timer_;
  asio::steady_timer curl_timer_;
  std::map<int, std::shared_ptr<watch>> watches_;
  std::map<CURL*, transfer> live_;
  curl_multi_ptr multi_;
  sender_stats stats_;
  bool claiming_ = false;
  bool stopping_ = false;
  bool server_down_ = false;
  bool probing_ = false;       // a probe is claimed or in flight
  std::int64_t probe_id_ = 0;  // the outbox item probing the server
  int server_failures_ = 0;    // consecutive failures of the server itself
  std::chrono::steady_clock::time_point next_probe_{};
  std::minstd_rand rng_{std::random_device{}()};
  std::int64_t last_recover_ = 0;
  storage_worker db_;  // last: destroyed first, finishing the jobs it holds
};

outbox_sender::outbox_sender(asio::io_context& io, std::shared_ptr<const config> cfg,
                             storage::store db, const logger& log,
                             std::function<std::int64_t()> now, int interval_ms)
    : p_(std::make_shared<impl>(io, std::move(cfg), std::move(db), log, std::move(now),
                                interval_ms)) {
  asio::post(io, [weak = std::weak_ptr<impl>(p_)] {
    if (auto me = weak.lock()) me->tick();
  });
  p_->schedule();
}

outbox_sender::~outbox_sender() = default;

void outbox_sender::reconfigure(std::shared_ptr<const config> cfg) {
  if (p_->multi_ && cfg->smtp) {
    curl_multi_setopt(p_->multi_.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS,
                      static_cast<long>(cfg->smtp->max_parallel));
  }
  p_->cfg_ = std::move(cfg);
}

void outbox_sender::poke() {
  asio::post(p_->io_, [weak = std::weak_ptr<impl>(p_)] {
    if (auto me = weak.lock()) me->tick();
  });
}

void outbox_sender::stop() { p_->stop(); }

sender_stats outbox_sender::stats() const {
  sender_stats s = p_->stats_;
  s.in_flight = static_cast<int>(p_->live_.size());
  return s;
}

}  // namespace hd::daemon
