#include "hd/service/event_loop.hpp"
// GCC 12 misreports coroutine frames as mismatched new/delete (GCC bug 109224).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "hd/api/api.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/http/server.hpp"
#include "hd/intake/mailbox_batch.hpp"
#include "hd/intake/pipeline.hpp"
#include "hd/service/db_check_schedule.hpp"
#include "hd/service/descriptors.hpp"
#include "hd/service/lease_book.hpp"
#include "hd/service/mailbox_session.hpp"
#include "hd/service/outbox_sender.hpp"
#include "hd/service/readiness.hpp"
#include "hd/service/storage_worker.hpp"
#include "hd/service/webhook_sender.hpp"
#include "hd/storage/leases.hpp"
#include "hd/storage/mailbox_state.hpp"
#include "hd/storage/requests.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

namespace hd::daemon {
namespace {

namespace asio = boost::asio;

// SQLite: the search index's segments are merged once the intake's storage worker has had no
// job for this long, a step of about k_merge_step_pages index pages (4 KB each) at a time,
// each in its own short transaction (docs/storage.md, "Search"); then the WAL is copied into
// the database file (docs/storage.md, "Checkpoints").
constexpr auto k_merge_after_idle = std::chrono::seconds(2);
constexpr int k_merge_step_pages = 500;

class intake_service {
 public:
  intake_service(intake_setup setup, storage::store db, const service_env& env, bool once)
      : env_(env),
        once_(once),
        setup_(std::move(setup)),
        worker_(io_, std::move(db)),
        signals_(io_, SIGTERM, SIGINT, SIGHUP) {}

  int run() {
    worker_.on_job_error([this](const std::string& what) {
      env_.log.error("storage.job_failed", {{"reason", what}});
    });
    if (!setup_.cfg->database.postgres()) {
      worker_.set_idle_task(k_merge_after_idle, [](storage::store& db) {
        auto more = storage::merge_search_index(db, k_merge_step_pages);
        if (!more) throw std::runtime_error("merging the search index: " + more.error().message);
        if (*more) return true;
        auto copied = storage::checkpoint_wal(db);
        if (!copied) throw std::runtime_error("checkpoint: " + copied.error().message);
        return false;
      });
    }
    watch_signals();
    if (setup_.cfg->mailboxes.empty())
      env_.log.warn("run.no_mailboxes", {{"config", setup_.cfg->source}});
    fit_descriptors();
    // As a service, the outbox is sent (and postponed requests woken) all along, from this
    // loop; --once drains the outbox when it is done (cmd_run.cpp).
    if (!once_) start_outbox();
    if (!once_) start_checks();
    if (!once_ && !setup_.cfg->webhooks.empty()) start_webhooks(setup_.cfg);
    if (!once_ && setup_.cfg->http && !start_http()) return exit_code::config;
    ready_.expect(setup_.cfg->mailboxes.size());
    if (setup_.cfg->database.postgres()) start_leases();
    start_sessions();
    if (running_ == 0 && !outbox_ && !http_ && !webhooks_) {  // nothing to do: return at once
      signals_.cancel();
      if (checks_) checks_->stop();
    }
    io_.run();
    release_leases();
    checks_.reset();  // waits for a check that is still running
    outbox_.reset();  // records what its database thread still holds
    webhooks_.reset();
    http_.reset();
    api_.reset();  // joins its database threads; their last replies are dropped with io_
    return failed_ ? exit_code::temp_fail : exit_code::ok;
  }

 private:
  void start_sessions() {
    session_context cx{io_,
                       worker_,
                       env_.log,
                       env_.now,
                       &tokens_,
                       [this] {
                         if (outbox_) outbox_->poke();
                         if (webhooks_) webhooks_->poke();
                       },
                       [this](const std::string& name) { ready_.contacted(name); },
                       &budget_,
                       leases_.enabled() ? &leases_ : nullptr};
    std::vector<connection_plan> plans = plan_connections(*setup_.cfg);
    for (std::size_t i = 0; i < setup_.cfg->mailboxes.size(); ++i) {
      auto s = std::make_shared<mailbox_session>(cx, setup_, i, once_, std::move(plans[i]));
      sessions_.push_back(s);
      ++running_;
      asio::co_spawn(
          io_, [s]() { return s->run(); },
          [this, s](std::exception_ptr e, bool ok) {
            if (e) {
              ok = false;
              try {
                std::rethrow_exception(e);
              } catch (const std::exception& ex) {
                env_.log.error("run.session_crashed",
                               {{"mailbox", s->name()}, {"error", ex.what()}});
              }
            }
            if (!ok) failed_ = true;
            session_ended();
          });
    }
  }

  // PostgreSQL: several daemons share the mailboxes through leases (docs/scale-out.md). A
  // connection and thread of their own renew them every third of [database] lease_s, so a
  // long batch of mail never delays a renewal; the sessions read leases_ to know which
  // mailboxes they may fetch. --once takes its leases once and gives them back at the end.
  void start_leases() {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    me_.host = host;
    me_.pid = ::getpid();
    me_.started_at = env_.now();
    me_.id = fmt::format("{}:{}:{:08x}", me_.host, me_.pid, std::random_device{}());
    leases_.enable();
    auto db = storage::store::open(setup_.cfg->database.target(), store_options(*setup_.cfg));
    if (!db) {
      // A daemon without leases fetches nothing (it never takes a mailbox unasked); the
      // outbox and the API still run.
      env_.log.error("lease.open_failed", {{"reason", db.error().message}});
      return;
    }
    // The first round before the sessions start, so that they find their mailboxes held.
    std::int64_t now = env_.now();
    auto round = storage::take_leases(*db, me_, mailbox_names(), now, setup_.cfg->database.lease_s);
    if (round) renewed_at_ = now;
    env_.log.info("lease.started", {{"daemon", me_.id},
                                    {"lease_s", setup_.cfg->database.lease_s},
                                    {"mailboxes", setup_.cfg->mailboxes.size()},
                                    {"held", round ? round->held.size() : 0}});
    if (round) apply_leases(round->held, round->handed_over);
    lease_worker_.emplace(io_, std::move(*db));
    if (!once_) asio::co_spawn(io_, keep_leases(), asio::detached);
    if (!once_) start_search_windows();
  }

  // PostgreSQL: the search index's next window (a partial GIN index, schema 22) is made
  // before the ids reach it, on a connection and thread of its own: a build scans the whole
  // table (8 s at a million requests) and must delay neither intake nor the leases. A
  // failure only leaves the newest mail to be read by id until a later round.
  void start_search_windows() {
    auto db = storage::store::open(setup_.cfg->database.target(), store_options(*setup_.cfg));
    if (!db) {
      env_.log.warn("search_windows.open_failed", {{"reason", db.error().message}});
      return;
    }
    windows_worker_.emplace(io_, std::move(*db));
    asio::co_spawn(io_, keep_search_windows(), asio::detached);
  }

  struct windows_round {
    int made = 0;
    std::string error;  ///< empty: the round went through
  };

  asio::awaitable<void> keep_search_windows() {
    while (!stopping_) {
      std::function<windows_round(storage::store&)> job = [](storage::store& db) {
        auto made = storage::keep_search_windows(db);
        return made ? windows_round{*made, {}} : windows_round{0, made.error().message};
      };
      windows_round r = co_await windows_worker_->run<windows_round>(std::move(job));
      if (stopping_) break;
      if (!r.error.empty()) env_.log.warn("search_windows.failed", {{"reason", r.error}});
      if (r.made > 0) env_.log.info("search_windows.made", {{"windows", r.made}});
      boost::system::error_code ec;
      windows_timer_.expires_after(
          std::chrono::seconds(std::max(1, setup_.cfg->database.lease_s / 3)));
      co_await windows_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }

  std::vector<std::string> mailbox_names() const {
    std::vector<std::string> names;
    for (const mailbox_config& m : setup_.cfg->mailboxes) names.push_back(m.name);
    return names;
  }

  struct lease_round {
    bool ok = false;
    storage::lease_round_result result;
    std::string error;
  };

  asio::awaitable<void> keep_leases() {
    while (!stopping_) {
      boost::system::error_code ec;
      lease_timer_.expires_after(
          std::chrono::seconds(std::max(1, setup_.cfg->database.lease_s / 3)));
      co_await lease_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (stopping_) break;
      std::vector<std::string> names = mailbox_names();
      int lease_s = setup_.cfg->database.lease_s;
      std::int64_t now = env_.now();
      // The job is built before co_await: GCC 12 mis-destroys a lambda temporary with
      // non-trivial captures inside a co_await expression.
      std::function<lease_round(storage::store&)> job = [me = me_, names, now,
                                                         lease_s](storage::store& db) {
        auto r = storage::take_leases(db, me, names, now, lease_s);
        // Housekeeping of the shared database rides on the round: the outbox counters'
        // +1/-1 rows are folded (a failure is harmless: they are summed either way).
        (void)storage::fold_outbox_counts(db);
        return r ? lease_round{true, std::move(*r), {}} : lease_round{false, {}, r.error().message};
      };
      lease_round r = co_await lease_worker_->run<lease_round>(std::move(job));
      if (stopping_) break;
      std::set<std::string> held;
      if (r.ok) {
        held = std::move(r.result.held);
        renewed_at_ = now;
      } else {
        // The database is away: the leases stay ours until they would expire, then another
        // daemon may take them, so this one stops fetching.
        bool valid = renewed_at_ > 0 && env_.now() - renewed_at_ < lease_s;
        env_.log.warn("lease.renew_failed", {{"reason", r.error}, {"keeping", valid}});
        if (valid) held = leases_.held();
      }
      apply_leases(held, r.result.handed_over);
    }
  }

  // HANDED_OVER: given up on purpose, so that another daemon takes its share of the
  // mailboxes (info); any other mailbox no longer held was lost (warn).
  void apply_leases(const std::set<std::string>& held, const std::set<std::string>& handed_over) {
    for (const std::string& m : held) {
      if (!leases_.held().contains(m)) env_.log.info("lease.taken", {{"mailbox", m}});
    }
    for (const std::string& m : leases_.held()) {
      if (held.contains(m)) continue;
      if (handed_over.contains(m)) {
        env_.log.info("lease.handed_over", {{"mailbox", m}});
      } else {
        env_.log.warn("lease.lost", {{"mailbox", m}});
      }
      for (auto& s : sessions_) {
        if (s->name() == m) s->lease_lost();
      }
    }
    leases_.set(held);
  }

  // A clean stop hands the mailboxes over at once (the next renewal of another daemon takes
  // them) instead of after the lease runs out.
  void release_leases() {
    if (!lease_worker_) return;
    lease_worker_->submit(
        [id = me_.id](storage::store& db) { (void)storage::release_leases(db, id); });
    lease_worker_.reset();  // runs the queued release, then joins the thread
  }

  // One descriptor per connection: raise the soft limit to what the configuration can open,
  // and say so loudly when the hard limit (LimitNOFILE=) is below it.
  void fit_descriptors() {
    std::int64_t needed = descriptors_needed(*setup_.cfg);
    descriptor_limit lim = fit_descriptor_limit(needed);
    if (lim.raised)
      env_.log.info("run.descriptors_raised", {{"soft", lim.soft}, {"needed", needed}});
    if (!lim.fits(needed)) {
      env_.log.error(
          "run.too_few_descriptors",
          {{"soft", lim.soft},
           {"hard", lim.hard},
           {"needed", needed},
           {"action",
            "some connections will fail: raise LimitNOFILE= in the unit (or ulimit -n)"}});
    }
  }

  // The integrity check again every [database] check_every_s, off the storage worker. On
  // damage the service stops taking mail as on SIGTERM (the mail in hand is finished) and
  // exits 75: systemd restarts it, and the check at start refuses until the database is
  // recovered (docs/faults.md).
  void start_checks() {
    checks_.emplace(io_, setup_.cfg, env_.log, env_.now, [this] {
      if (stopping_) return;
      env_.log.error("run.stopping",
                     {{"reason", "database damaged"}, {"exit", exit_code::temp_fail}});
      failed_ = true;
      stop_taking_mail();
    });
    checks_->start();
  }

  void start_outbox() {
    // Its own connection: results are recorded on the sender's database thread, never here.
    auto db = open_store(*setup_.cfg);
    if (!db) {
      env_.log.error("outbox.open_failed", {{"reason", db.error().message}});
      return;
    }
    outbox_.emplace(io_, setup_.cfg, std::move(*db), env_.log, env_.now);
  }

  // Webhook deliveries (docs/api.md, "Webhooks"): their own connection and database thread.
  // Opening the store stores CFG's subscriptions.
  void start_webhooks(std::shared_ptr<const config> cfg) {
    auto db = open_store(*cfg);
    if (!db) {
      env_.log.error("webhook.open_failed", {{"reason", db.error().message}});
      return;
    }
    webhooks_.emplace(io_, std::move(cfg), std::move(*db), env_.log, env_.now);
  }

  // The HTTP API (docs/api.md): its own database threads, the server on this loop.
  bool start_http() {
    const http_config& h = *setup_.cfg->http;
    api_env e;
    e.cfg = setup_.cfg;
    e.log = &env_.log;
    e.now = env_.now;
    e.openapi = openapi_document();
    e.limiter = std::make_shared<login_limiter>(h.login_failures_per_account,
                                                h.login_failures_per_address, h.login_window_s);
    http_.emplace(
        io_, h,
        [this](http::request r, http::reply_fn reply) {
          api_->handle(std::move(r), std::move(reply));
        },
        env_.log);
    e.stats = http_->stats();
    try {
      api_.emplace(std::move(e), setup_.cfg->database.target(), store_options(*setup_.cfg),
                   h.workers);
    } catch (const std::exception& ex) {
      env_.log.error("http.start_failed", {{"reason", ex.what()}});
      return false;
    }
    if (auto ok = http_->start(); !ok) {
      env_.log.error("http.start_failed", {{"reason", ok.error().message}});
      return false;
    }
    env_.log.info("http.listening", {{"address", http_->local_address()}});
    return true;
  }

  void session_ended() {
    if (--running_ > 0) return;
    sessions_.clear();
    if (pending_ && !stopping_) {
      setup_ = std::move(*pending_);
      pending_.reset();
      env_.log.info("config.applied", {{"mailboxes", setup_.cfg->mailboxes.size()}});
      start_sessions();
      if (running_ > 0) return;
    }
    // Nothing left to do: io_.run() returns (a service without mailboxes keeps sending and
    // serving).
    if ((!outbox_ && !http_ && !webhooks_) || stopping_) {
      signals_.cancel();
      if (checks_) checks_->stop();
    }
  }

  // SIGTERM, SIGINT or a damaged database: the mail in hand is finished, nothing new is
  // taken, and io_.run() returns once the sessions and senders are done.
  void stop_taking_mail() {
    if (stopping_) return;
    stopping_ = true;
    ready_.stopping();
    if (checks_) checks_->stop();
    lease_timer_.cancel();
    windows_timer_.cancel();
    if (outbox_) outbox_->stop();
    if (webhooks_) webhooks_->stop();
    if (http_) http_->stop();
    worker_.request_stop();
    tokens_.stop();
    for (auto& s : sessions_) s->stop();
    if (running_ == 0) signals_.cancel();  // no session will end to do it
  }

  void watch_signals() {
    signals_.async_wait([this](boost::system::error_code ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP && once_) {
        env_.log.info("config.reload_ignored", {{"reason", "run --once"}});
      } else if (sig == SIGHUP) {
        ready_.reloading();
        reload();
        ready_.reloaded();
      } else {
        env_.log.info("run.stopping", {{"signal", sig == SIGTERM ? "TERM" : "INT"}});
        stop_taking_mail();
        if (running_ == 0) return;  // signals_ is cancelled (a service without mailboxes)
      }
      watch_signals();
    });
  }

  void reload() {
    auto c = env_.reload();
    if (!c) {
      env_.log.error("config.reload_failed", {{"error", c.error().message},
                                              {"action", "keeping the running configuration"}});
      return;
    }
    if (c->database.target() != setup_.cfg->database.target())
      env_.log.warn("config.reload_database", {{"note", "a new database needs a restart"}});
    auto s = make_intake_setup(std::make_shared<const config>(std::move(*c)));
    if (!s) {
      env_.log.error("config.reload_failed", {{"error", s.error().message},
                                              {"action", "keeping the running configuration"}});
      return;
    }
    env_.log.info("config.reloaded", {{"config", s->cfg->source}});
    if (outbox_) outbox_->reconfigure(s->cfg);
    if (webhooks_) {
      webhooks_->reconfigure(s->cfg);
    } else if (!once_ && !s->cfg->webhooks.empty()) {
      start_webhooks(s->cfg);
    }
    if (api_) api_->reconfigure(s->cfg);
    if (checks_) checks_->reconfigure(s->cfg);
    pending_ = std::move(*s);
    if (running_ == 0) {
      setup_ = std::move(*pending_);
      pending_.reset();
      start_sessions();
      return;
    }
    for (auto& session : sessions_) session->stop();
  }

  const service_env& env_;
  bool once_;
  intake_setup setup_;
  std::optional<intake_setup> pending_;  ///< a reloaded setup waiting for sessions to stop
  connection_budget budget_;  ///< before io_: the sessions' slots go back to it until the end
  asio::io_context io_;
  token_source tokens_{io_};  ///< kept across reloads
  storage_worker worker_;
  asio::signal_set signals_;
  readiness ready_;  ///< sd_notify: READY once every mailbox was contacted, STOPPING, RELOADING
  std::vector<std::shared_ptr<mailbox_session>> sessions_;
  lease_book leases_;                           ///< PostgreSQL: the mailboxes this daemon holds
  std::optional<storage_worker> lease_worker_;  ///< their connection and thread
  storage::daemon_info me_;                     ///< this daemon in the daemons table
  asio::steady_timer lease_timer_{io_};
  std::optional<storage_worker> windows_worker_;  ///< PostgreSQL: makes the search windows
  asio::steady_timer windows_timer_{io_};
  std::int64_t renewed_at_ = 0;  ///< when the leases were last renewed (0: never)
  std::optional<outbox_sender> outbox_;
  std::optional<webhook_sender> webhooks_;
  std::optional<http::server> http_;
  std::optional<api> api_;                   ///< after http_: the server's handler uses it
  std::optional<db_check_schedule> checks_;  ///< [database] check_every_s (service mode)
  int running_ = 0;
  bool failed_ = false;
  bool stopping_ = false;
};

}  // namespace

int run_intake(config cfg, storage::store db, const service_env& env, bool once) {
  auto setup = make_intake_setup(std::make_shared<const config>(std::move(cfg)));
  if (!setup) {
    env.log.error("run.rules_invalid", {{"error", setup.error().message}});
    return exit_code::config;
  }
  intake_service service(std::move(*setup), std::move(db), env, once);
  return service.run();
}

}  // namespace hd::daemon
