#include "hd/service/outbox_delivery.hpp"

#include "hd/net/curl_handles.hpp"
#include "hd/net/curl_multi.hpp"

#include "hd/templates/compose.hpp"

#include <curl/curl.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <algorithm>
#include <memory>
#include <utility>
#include <vector>

namespace hd::daemon {
namespace {

namespace asio = boost::asio;

constexpr int claim_batch = 50;

}  // namespace

result<smtp_transfer, smtp_errc> transfer_of(const smtp_config& cfg,
                                             const storage::outbox_item& item) {
  // An empty envelope sender is the null reverse-path <> (a redirected bounce).
  if (!item.mail_from.empty() && !templates::is_safe_addr_spec(item.mail_from)) {
    return fail(smtp_errc::bad_envelope, "the envelope sender is not a plain address");
  }
  for (const std::string& r : item.recipients) {
    if (!templates::is_safe_addr_spec(r)) {
      return fail(smtp_errc::bad_envelope, "a recipient is not a plain address");
    }
  }
  return smtp_transfer::make(cfg, {item.id, item.mail_from, item.recipients, item.bytes});
}

recorded record_result(const config& cfg, storage::store& db, const storage::outbox_item& item,
                       const send_outcome& o, std::int64_t now) {
  recorded r;
  auto note = [&](const auto& res) {
    if (!res) {
      r.ok = false;
      r.db_error = res.error().message;
    }
  };
  if (o.kind == delivery::sent) {
    note(storage::mark_sent(db, item.id, now, o.reply));
  } else if (o.kind == delivery::temporary && o.server) {
    // The server failed, not this mail: not counted as tried, due again shortly; the sender
    // holds the whole queue back while it probes the server (outbox_sender.cpp).
    std::int64_t retry_at = now + (cfg.smtp ? cfg.smtp->server_retry_min_s : 5);
    auto gave_up =
        storage::mark_server_deferred(db, item.id, now, retry_at, o.reply, storage::retry_policy{});
    note(gave_up);
    r.gave_up = gave_up && *gave_up;
  } else if (o.kind == delivery::temporary) {
    auto gave_up = storage::mark_deferred(db, item.id, now, o.reply, storage::retry_policy{});
    note(gave_up);
    r.gave_up = gave_up && *gave_up;
  } else {
    note(storage::mark_failed(db, item.id, now, o.reply));
    std::int64_t until = now + std::int64_t{cfg.ack.bounce_suppress_days} * 86400;
    // A suppression that cannot be written is a database error like the others: reported
    // (outbox.db_error), not dropped.
    for (const std::string& rcpt : item.recipients) {
      note(storage::suppress_address(db, rcpt, "rejected by the SMTP server: " + o.reply, until,
                                     now));
    }
  }
  return r;
}

void log_result(const logger& log, const storage::outbox_item& item, const send_outcome& o,
                const recorded& r) {
  std::string rcpt = item.recipients.empty() ? std::string() : item.recipients.front();
  std::int64_t request = item.request_id.value_or(0);
  if (o.kind == delivery::sent) {
    log.info("outbox.sent", {{"outbox", item.id}, {"request", request}, {"to", rcpt}});
  } else if (o.kind == delivery::temporary) {
    log.warn(r.gave_up ? "outbox.gave_up" : "outbox.deferred",
             {{"outbox", item.id}, {"request", request}, {"to", rcpt}, {"reply", o.reply}});
  } else {
    log.error("outbox.failed",
              {{"outbox", item.id}, {"request", request}, {"to", rcpt}, {"reply", o.reply}});
  }
  if (!r.ok) log.error("outbox.record_failed", {{"outbox", item.id}, {"reason", r.db_error}});
}

void record_outcome(const config& cfg, storage::store& db, const logger& log,
                    const storage::outbox_item& item, const send_outcome& o, std::int64_t now) {
  log_result(log, item, o, record_result(cfg, db, item, o, now));
}

namespace {

// One batch of claimed items, until every transfer is done: the same curl multi driver as the
// daemon's outbox sender, on a private io_context that this call runs to completion.
void send_batch(const config& cfg, storage::store& db, const logger& log,
                std::vector<storage::outbox_item>& items, std::int64_t now, drain_stats& st) {
  asio::io_context io;
  std::vector<std::pair<smtp_transfer, const storage::outbox_item*>> live;
  std::size_t running = 0;
  auto count = [&](const send_outcome& o) {
    (o.kind == delivery::sent        ? st.sent
     : o.kind == delivery::permanent ? st.failed
                                     : st.deferred)++;
    if (o.kind == delivery::temporary && o.server) st.server_down = true;
  };
  std::shared_ptr<curl_multi_driver> driver;
  driver = curl_multi_driver::create(io, log, "outbox", [&](void* easy, int code) {
    for (auto& [t, it] : live) {
      if (t.easy_handle() != easy) continue;
      send_outcome o = t.outcome(code);
      record_outcome(cfg, db, log, *it, o, now);
      count(o);
    }
    // The last one done: drop curl's cached connections, so that run() returns.
    if (--running == 0) asio::post(io, [&driver] { driver->shutdown(); });
  });
  driver->set_max_connections(static_cast<long>(cfg.smtp->max_parallel));
  live.reserve(items.size());
  for (const storage::outbox_item& it : items) {
    auto t = transfer_of(*cfg.smtp, it);
    if (!t) {
      send_outcome o{
          t.error().code == smtp_errc::bad_envelope ? delivery::permanent : delivery::temporary,
          t.error().message};
      record_outcome(cfg, db, log, it, o, now);
      count(o);
      continue;
    }
    live.emplace_back(std::move(*t), &it);
    if (std::string e = driver->add(live.back().first.easy_handle()); !e.empty()) {
      send_outcome o{delivery::temporary, "curl: " + e};
      record_outcome(cfg, db, log, it, o, now);
      count(o);
      live.pop_back();
      continue;
    }
    ++running;
  }
  if (running > 0) io.run();
  driver->shutdown();
}

}  // namespace

std::int64_t auto_reply_keep_s(const config& cfg) {
  constexpr std::int64_t day = 86400;
  return std::max<std::int64_t>(cfg.ack.rate_limit_window_s, day) + day;
}

result<int, storage::errc> prune_auto_reply_log(const config& cfg, storage::store& db,
                                                std::int64_t now) {
  return storage::prune_auto_replies(db, now - auto_reply_keep_s(cfg));
}

drain_stats drain_outbox(const config& cfg, storage::store& db, const logger& log,
                         std::int64_t now) {
  drain_stats st;
  if (auto p = prune_auto_reply_log(cfg, db, now); !p) {
    log.error("auto_replies.prune_failed", {{"reason", p.error().message}});
  } else if (*p > 0) {
    st.pruned = *p;
    log.info("auto_replies.pruned", {{"count", *p}});
  }
  if (!cfg.smtp) {
    log.warn("outbox.no_smtp", {{"reason", "no [smtp] section: nothing is sent"}});
    return st;
  }
  // A transfer cannot outlive several timeouts: anything claimed longer ago was interrupted.
  int stale_after = std::max(600, 10 * cfg.smtp->timeout_s);
  if (auto r = storage::recover_stale_sending(db, now, stale_after, cfg.smtp->resend_in_doubt);
      r && *r > 0) {
    st.recovered = *r;
    log.warn("outbox.recovered", {{"count", *r}});
  }
  for (;;) {
    auto items = storage::claim_outbox(db, now, claim_batch);
    if (!items) {
      log.error("outbox.claim_failed", {{"reason", items.error().message}});
      break;
    }
    if (items->empty()) break;
    st.attempted += static_cast<int>(items->size());
    send_batch(cfg, db, log, *items, now, st);
    // The server itself failed: the rest stays queued, untouched, for the next pass.
    if (st.server_down) break;
  }
  return st;
}

}  // namespace hd::daemon
