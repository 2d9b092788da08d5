#include "hd/service/mailbox_session.hpp"
// GCC 12 misreports coroutine frames as mismatched new/delete (GCC bug 109224).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "hd/common/backoff.hpp"
#include "hd/storage/mailbox_state.hpp"

#include <fmt/format.h>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace hd::daemon {

namespace asio = boost::asio;

namespace {

constexpr std::size_t batch_mails = 100;                // per UID FETCH of bodies
constexpr std::int64_t batch_bytes = 16 * 1024 * 1024;  // ... or this many bytes
constexpr std::size_t uids_per_command = 500;           // after-import commands
constexpr std::chrono::seconds max_idle{29 * 60};       // RFC 2177
constexpr int first_backoff_s = 5;
constexpr int max_backoff_s = 300;

std::string_view outcome_name(mail_outcome o) {
  switch (o) {
    case mail_outcome::created:
      return "created";
    case mail_outcome::appended:
      return "appended";
    case mail_outcome::duplicate:
      return "duplicate";
    case mail_outcome::quarantined:
      return "quarantined";
    case mail_outcome::failed:
      return "failed";
    case mail_outcome::skipped:
      return "skipped";
  }
  return "?";
}

}  // namespace

struct mailbox_session::in_flight {
  explicit in_flight(asio::io_context& io) : signal(io) {
    signal.expires_at(asio::steady_timer::time_point::max());
  }
  asio::steady_timer signal;  ///< cancelled when the results arrive
  std::vector<mail_result> results;
  bool done = false;
};

mailbox_session::mailbox_session(session_context cx, intake_setup setup, std::size_t index,
                                 bool once, connection_plan plan)
    : cx_(std::move(cx)),
      setup_(std::move(setup)),
      cfg_(setup_.cfg),
      mb_(cfg_->mailboxes.at(index)),
      once_(once),
      client_(cx_.io, cx_.log, mb_.timeout_s,
              static_cast<std::size_t>(cfg_->limits.max_message_bytes +
                                       cfg_->limits.max_header_bytes + 1024 * 1024)),
      sleeper_(cx_.io),
      plan_(std::move(plan)),
      slot_wait_(cx_.io) {}

void mailbox_session::lease_lost() {
  lost_ = true;
  client_.interrupt();
  sleeper_.cancel();
  slot_wait_.cancel();
}

void mailbox_session::stop() {
  stopping_ = true;
  client_.interrupt();
  sleeper_.cancel();
  slot_wait_.cancel();
}

asio::awaitable<void> mailbox_session::sleep(std::chrono::seconds d) {
  if (stopping_) co_return;
  boost::system::error_code ec;
  sleeper_.expires_after(d);
  co_await sleeper_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<void> mailbox_session::record(bool ok, std::string error, std::int64_t backlog) {
  std::string name = mb_.name;
  std::int64_t now = cx_.now();
  // Jobs are named locals: GCC 12 mishandles lambda temporaries inside co_await expressions.
  std::function<result<void, storage::errc>(storage::store&)> job = [name, now, ok, error,
                                                                     backlog](storage::store& db) {
    return ok ? storage::record_poll_success(db, name, now, backlog)
              : storage::record_poll_error(db, name, now, error);
  };
  auto r = co_await cx_.worker.run(std::move(job));
  if (!r) cx_.log.warn("imap.status_not_saved", {{"mailbox", name}, {"reason", r.error().message}});
}

asio::awaitable<bool> mailbox_session::run() {
  if (plan_.takes_turns) {
    cx_.log.warn("imap.taking_turns",
                 {{"mailbox", mb_.name},
                  {"account", plan_.account},
                  {"mailboxes", static_cast<std::int64_t>(plan_.account_mailboxes)},
                  {"why",
                   "more mailboxes than [imap] max_connections_per_account or "
                   "max_connections_per_server allow: poll in turns, no IDLE"}});
  }
  io_status st;
  while (true) {
    // On PostgreSQL another daemon may hold the mailbox: wait until this one does (the event
    // loop renews the leases and takes expired ones). Checked once a second, in memory.
    if (cx_.leases != nullptr && !cx_.leases->holds(mb_.name)) {
      cx_.log.info("imap.lease_waiting", {{"mailbox", mb_.name}});
      if (cx_.contacted) cx_.contacted(mb_.name);  // ready: another daemon serves it
      if (once_) co_return true;
      while (!stopping_ && !cx_.leases->holds(mb_.name)) co_await sleep(std::chrono::seconds(1));
      if (stopping_) co_return true;
      lost_ = false;
      cx_.log.info("imap.lease_taken", {{"mailbox", mb_.name}});
    }
    st = co_await serve();
    client_.close();
    server_slot_.reset();  // the connection is closed: its slots go to the next in line
    account_slot_.reset();
    if (std::exchange(lost_, false) && !stopping_) {
      cx_.log.info("imap.lease_lost", {{"mailbox", mb_.name}});
      continue;
    }
    if (st && std::exchange(reconnect_, false) && !stopping_) continue;  // a new access token
    if (st && plan_.takes_turns && !once_ && !stopping_) {               // polled in its turn
      co_await sleep(std::chrono::seconds(mb_.poll_interval_s));
      if (stopping_) co_return true;
      continue;
    }
    if (st || st.aborted || stopping_) co_return true;  // polled (--once), or stopped
    ++failures_;
    // 5 s doubling up to 5 min, plus jitter: mailboxes that failed together (the server went
    // away) do not all come back at the same moment.
    std::int64_t delay = backoff_with_jitter(failures_, first_backoff_s, max_backoff_s, rng_);
    cx_.log.error("imap.failed",
                  {{"mailbox", mb_.name}, {"error", st.error}, {"retry_in_s", once_ ? 0 : delay}});
    if (cx_.contacted) cx_.contacted(mb_.name);
    co_await record(false, st.error, 0);
    if (once_) co_return false;
    co_await sleep(std::chrono::seconds(delay));
    if (stopping_) co_return true;
  }
}

asio::awaitable<std::optional<connection_budget::slot>> mailbox_session::take_slot(
    const std::string& key, int limit, std::string_view setting) {
  if (limit > 0 && cx_.budget->in_use(key) >= limit) {
    cx_.log.info("imap.waiting_for_connection",
                 {{"mailbox", mb_.name},
                  {"for", key},
                  {"limit", fmt::format("[imap] {} = {}", setting, limit)},
                  {"waiting", static_cast<std::int64_t>(cx_.budget->waiting(key) + 1)}});
  }
  co_return co_await cx_.budget->acquire(key, limit, slot_wait_);
}

asio::awaitable<io_status> mailbox_session::serve() {
  // Slots before the connection: the account's and the server's for as long as it is open,
  // and one of the server's connection attempts until the folder is selected.
  std::optional<connection_budget::slot> connecting;
  if (cx_.budget != nullptr) {
    const imap_config& lim = cfg_->imap;
    if (!(account_slot_ = co_await take_slot(plan_.account, lim.max_connections_per_account,
                                             "max_connections_per_account")) ||
        !(server_slot_ = co_await take_slot(plan_.server, lim.max_connections_per_server,
                                            "max_connections_per_server")) ||
        !(connecting =
              co_await take_slot("connecting to " + plan_.server, lim.max_connecting_per_server,
                                 "max_connecting_per_server")))
      co_return io_status{"", true};  // stopped while waiting
  }
  const bool oauth = mb_.auth == imap_auth::xoauth2;
  // With XOAUTH2, libcurl connects and secures without a user; we log in ourselves.
  imap_endpoint ep{mb_.host,
                   mb_.port,
                   mb_.tls,
                   mb_.ca_file,
                   oauth ? std::string() : mb_.user,
                   mb_.password.reveal(),
                   mb_.timeout_s,
                   mb_.name,
                   mb_.connect_timeout_s};
  io_status st = co_await client_.connect(ep);
  if (!st) co_return io_status{st.error.empty() ? "" : "connect: " + st.error, st.aborted};
  if (oauth && !(st = co_await login_xoauth2())) co_return st;
  bool use_idle = mb_.idle && !plan_.takes_turns && client_.has_capability("IDLE");
  cx_.log.info("imap.connected", {{"mailbox", mb_.name},
                                  {"host", mb_.host},
                                  {"port", mb_.port},
                                  {"tls", to_string(mb_.tls)},
                                  {"idle", use_idle}});
  if (!(st = co_await select())) co_return st;
  connecting.reset();
  if (cx_.contacted) cx_.contacted(mb_.name);
  if (!(st = co_await recover_actions())) co_return st;
  while (true) {
    if (!(st = co_await poll())) co_return st;
    failures_ = 0;
    if (repoll_ && !stopping_) continue;  // a mail vanished mid-fetch: list the folder again
    if (once_ || plan_.takes_turns || stopping_) break;
    auto period = std::min(std::chrono::seconds(mb_.poll_interval_s), max_idle);
    if (oauth) {  // servers may end a session whose token expired: log in again before that
      auto left =
          std::chrono::ceil<std::chrono::seconds>(renew_at_ - std::chrono::steady_clock::now());
      if ((reconnect_ = left.count() <= 0)) break;
      period = std::min(period, left);
    }
    if (use_idle) {
      idle_end why = idle_end::error;
      if (!(st = co_await client_.idle(period, why))) co_return st;
      cx_.log.debug("imap.idle_end",
                    {{"mailbox", mb_.name}, {"why", why == idle_end::news ? "news" : "period"}});
    } else {
      co_await sleep(period);
      if (stopping_) break;
    }
  }
  if ((once_ || plan_.takes_turns || reconnect_) && !stopping_) {
    command_reply bye;
    std::string logout = "LOGOUT";
    co_await client_.command(logout, bye);  // best effort
  }
  co_return io_status{};
}

// A rejected token is refreshed once and tried again: the server may have revoked it before
// its announced expiry.
asio::awaitable<io_status> mailbox_session::login_xoauth2() {
  if (cx_.tokens == nullptr) co_return io_status{"XOAUTH2 is not available"};
  io_status st;
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto token = co_await cx_.tokens->get(mb_, attempt > 0);
    if (!token) {
      std::string hint = token.error().code == oauth2_errc::refused
                             ? " (a new refresh token is needed: docs/intake.md, OAuth2)"
                             : "";
      co_return io_status{"OAuth2: " + token.error().message + hint};
    }
    renew_at_ = token->renew_at;
    if (token->refreshed) {
      cx_.log.info("oauth2.refreshed",
                   {{"mailbox", mb_.name}, {"expires_in_s", token->lifetime.count()}});
    }
    bool rejected = false;
    st = co_await client_.authenticate_xoauth2(mb_.user, token->token, rejected);
    if (st || !rejected) co_return st;
    if (attempt == 0) {
      cx_.log.warn("oauth2.rejected", {{"mailbox", mb_.name},
                                       {"error", st.error},
                                       {"action", "refreshing the token, trying once more"}});
    }
  }
  co_return io_status{st.error + " (with a fresh token: check the user and the app's IMAP access)"};
}

asio::awaitable<io_status> mailbox_session::select() {
  auto folder = imap::quote(mb_.folder);
  if (!folder) co_return io_status{"the folder name cannot be sent to IMAP"};
  command_reply r;
  std::string cmd = "SELECT " + *folder;
  io_status st = co_await client_.command(cmd, r);
  if (!st) co_return st;
  uidvalidity_ = 0;
  for (const imap::response& u : r.untagged) {
    if (u.code == "UIDVALIDITY") uidvalidity_ = std::strtoll(u.code_arg.c_str(), nullptr, 10);
  }
  if (uidvalidity_ <= 0) co_return io_status{"SELECT: the server sent no UIDVALIDITY"};
  std::string name = mb_.name, fname = mb_.folder;
  std::function<result<std::optional<storage::checkpoint>, storage::errc>(storage::store&)> job =
      [name, fname](storage::store& db) { return storage::read_checkpoint(db, name, fname); };
  auto cp = co_await cx_.worker.run(std::move(job));
  if (!cp) co_return io_status{cp.error().message};
  last_uid_ = 0;
  if (*cp && (*cp)->uidvalidity == uidvalidity_) {
    last_uid_ = (*cp)->last_uid;
  } else if (*cp) {
    cx_.log.warn("imap.uidvalidity_changed", {{"mailbox", mb_.name},
                                              {"folder", mb_.folder},
                                              {"old", (*cp)->uidvalidity},
                                              {"new", uidvalidity_},
                                              {"action", "rescan (stored mail is not repeated)"}});
  }
  co_return io_status{};
}

// Mail at or below the checkpoint is stored; if it is still in the folder under move/delete,
// a crash (or stop) came between the commit and the action: do the action now.
asio::awaitable<io_status> mailbox_session::recover_actions() {
  if (last_uid_ == 0 || (mb_.action != after_import::move && mb_.action != after_import::remove))
    co_return io_status{};
  command_reply r;
  std::string cmd = fmt::format("UID SEARCH UID 1:{}", last_uid_);
  io_status st = co_await client_.command(cmd, r);
  if (!st) co_return st;
  std::vector<std::int64_t> uids;
  for (const imap::response& u : r.untagged) {
    for (std::int64_t uid : u.search) {
      if (uid <= last_uid_) uids.push_back(uid);
    }
  }
  if (uids.empty()) co_return io_status{};
  std::sort(uids.begin(), uids.end());
  cx_.log.info("imap.recover_actions",
               {{"mailbox", mb_.name}, {"count", uids.size()}, {"action", to_string(mb_.action)}});
  co_return co_await after_import(uids);
}

asio::awaitable<io_status> mailbox_session::poll() {
  client_.clear_news();
  repoll_ = false;
  command_reply list;
  std::string cmd = fmt::format("UID FETCH {}:* (UID RFC822.SIZE)", last_uid_ + 1);
  io_status st = co_await client_.command(cmd, list);
  if (!st) co_return st;
  std::vector<std::pair<std::int64_t, std::int64_t>> todo;  // uid, size
  for (const imap::response& u : list.untagged) {
    if (u.fetch && u.fetch->uid && *u.fetch->uid > last_uid_)
      todo.emplace_back(*u.fetch->uid, u.fetch->size.value_or(0));
  }
  std::sort(todo.begin(), todo.end());
  todo.erase(std::unique(todo.begin(), todo.end()), todo.end());
  abort_ = std::make_shared<std::atomic<bool>>(false);
  std::int64_t done = 0;
  std::shared_ptr<in_flight> prev, batch;
  io_status fin;
  const std::int64_t limit = cfg_->limits.max_message_bytes;
  for (std::size_t i = 0; i < todo.size() && !stopping_ && st && !repoll_;) {
    std::vector<std::int64_t> uids, sizes;
    std::int64_t bytes = 0, size = todo[i].second;
    bool header_only = size > limit;
    if (header_only) {
      sizes.push_back(size);
      uids.push_back(todo[i++].first);
    } else {
      while (i < todo.size() && todo[i].second <= limit && uids.size() < batch_mails &&
             (uids.empty() || bytes + todo[i].second <= batch_bytes)) {
        bytes += todo[i].second;
        sizes.push_back(todo[i].second);
        uids.push_back(todo[i++].first);
      }
    }
    std::vector<fetched_mail> mails;
    st = co_await fetch(uids, sizes, header_only, mails);
    if (prev) {
      batch = std::exchange(prev, nullptr);
      fin = co_await finish(batch, done);
      if (st) st = fin;
    }
    if (st) prev = submit(std::move(mails));
  }
  if (prev) {
    batch = std::exchange(prev, nullptr);
    fin = co_await finish(batch, done);
    if (st) st = fin;
  }
  if (!st) co_return st;
  if (!todo.empty() || once_) {
    cx_.log.info(
        "imap.polled",
        {{"mailbox", mb_.name}, {"new", todo.size()}, {"stored", done}, {"last_uid", last_uid_}});
  }
  std::string no_error;
  co_await record(true, no_error, static_cast<std::int64_t>(todo.size()) - done);
  co_return io_status{};
}

asio::awaitable<io_status> mailbox_session::fetch(const std::vector<std::int64_t>& uids,
                                                  const std::vector<std::int64_t>& sizes,
                                                  bool header_only,
                                                  std::vector<fetched_mail>& out) {
  command_reply r;
  std::string cmd = fmt::format("UID FETCH {} (UID {})", imap::uid_set(uids),
                                header_only ? "BODY.PEEK[HEADER]" : "BODY.PEEK[]");
  io_status st = co_await client_.command(cmd, r);
  if (!st) co_return st;
  for (imap::response& u : r.untagged) {
    if (!u.fetch || !u.fetch->uid || !u.fetch->body) continue;
    if (!std::binary_search(uids.begin(), uids.end(), *u.fetch->uid)) continue;
    out.push_back(
        fetched_mail{*u.fetch->uid, std::move(*u.fetch->body), header_only ? sizes.front() : 0});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.uid < b.uid; });
  // A mail expunged by another client after the listing comes back as `BODY[] NIL` (Dovecot)
  // or not at all. Keep only the mail before it and list the folder again (repoll_): storing
  // it empty would quarantine a phantom and move the checkpoint past a mail never seen.
  std::size_t k = 0;
  while (k < uids.size() && k < out.size() && out[k].uid == uids[k] &&
         (!out[k].raw.empty() || sizes[k] == 0))
    ++k;
  if (k == uids.size()) co_return io_status{};
  if (uids[k] == std::exchange(vanished_uid_, uids[k]))  // listed again, still no body
    co_return io_status{fmt::format("UID {} is listed but its body does not come back", uids[k])};
  cx_.log.warn("imap.vanished",
               {{"mailbox", mb_.name}, {"uid", uids[k]}, {"action", "list the folder again"}});
  out.resize(k);
  repoll_ = true;
  co_return io_status{};
}

std::shared_ptr<mailbox_session::in_flight> mailbox_session::submit(
    std::vector<fetched_mail> mails) {
  auto b = std::make_shared<in_flight>(cx_.io);
  batch_source src{mb_.name, mb_.folder, uidvalidity_};
  const std::atomic<bool>* stop = &cx_.worker.stop_flag();
  cx_.worker.submit([b, setup = setup_, src, mails = std::move(mails), now = cx_.now(),
                     abort = abort_, stop, &io = cx_.io](storage::store& db) mutable {
    auto results = ingest_batch(db, setup, src, mails, now, *abort, stop);
    // b (with its timer) must be released on the loop thread, never here.
    asio::post(io, [b = std::move(b), results = std::move(results)]() mutable {
      b->results = std::move(results);
      b->done = true;
      b->signal.cancel();
    });
  });
  return b;
}

asio::awaitable<io_status> mailbox_session::finish(const std::shared_ptr<in_flight>& b,
                                                   std::int64_t& done) {
  boost::system::error_code ec;
  if (!b->done) co_await b->signal.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  std::vector<std::int64_t> stored;
  std::string failure;
  for (const mail_result& r : b->results) {
    log_result(r);
    if (committed(r.outcome)) {
      stored.push_back(r.uid);
      last_uid_ = std::max(last_uid_, r.uid);
      ++done;
    } else if (r.outcome == mail_outcome::failed && failure.empty()) {
      failure = r.reason;
    }
  }
  // Mail was stored, so the connection worked: a later failure starts the backoff at 5 s
  // again (a long fetch cut twice must not wait as if the server had been down all along).
  if (!stored.empty()) failures_ = 0;
  if (!stored.empty() && cx_.stored) cx_.stored();
  io_status st;
  if (!stopping_) st = co_await after_import(stored);
  if (!failure.empty()) co_return io_status{"storing mail failed: " + failure};
  co_return st;
}

void mailbox_session::log_result(const mail_result& r) {
  switch (r.outcome) {
    case mail_outcome::created:
    case mail_outcome::appended:
    case mail_outcome::duplicate:
      cx_.log.info("imap.stored", {{"mailbox", mb_.name},
                                   {"uid", r.uid},
                                   {"result", outcome_name(r.outcome)},
                                   {"request", r.request}});
      if (!r.ack_suppressed.empty()) {
        cx_.log.write(r.ack_problem ? log_level::warn : log_level::info, "ack.suppressed",
                      {{"mailbox", mb_.name},
                       {"uid", r.uid},
                       {"request", r.request},
                       {"reason", r.ack_suppressed}});
      }
      break;
    case mail_outcome::quarantined:
      cx_.log.warn("imap.quarantined", {{"mailbox", mb_.name},
                                        {"uid", r.uid},
                                        {"quarantine", r.quarantine},
                                        {"reason", r.reason}});
      break;
    case mail_outcome::failed:
      cx_.log.error("imap.store_failed",
                    {{"mailbox", mb_.name}, {"uid", r.uid}, {"reason", r.reason}});
      break;
    case mail_outcome::skipped:
      break;
  }
}

asio::awaitable<io_status> mailbox_session::after_import(const std::vector<std::int64_t>& uids) {
  if (uids.empty() || mb_.action == after_import::keep) co_return io_status{};
  auto target = imap::quote(mb_.move_to);
  io_status st;
  command_reply r;
  std::vector<std::string> cmds;
  for (std::size_t i = 0; i < uids.size(); i += uids_per_command) {
    std::vector<std::int64_t> part(uids.begin() + i,
                                   uids.begin() + std::min(uids.size(), i + uids_per_command));
    std::string set = imap::uid_set(part);
    std::string expunge = client_.has_capability("UIDPLUS") ? "UID EXPUNGE " + set : "EXPUNGE";
    switch (mb_.action) {
      case after_import::keep:
        break;
      case after_import::seen:
        cmds.push_back("UID STORE " + set + " +FLAGS.SILENT (\\Seen)");
        break;
      case after_import::move:
        if (!target) co_return io_status{"move_to cannot be sent to IMAP"};
        if (client_.has_capability("MOVE")) {
          cmds.push_back("UID MOVE " + set + " " + *target);
          break;
        }
        cmds.push_back("UID COPY " + set + " " + *target);
        [[fallthrough]];
      case after_import::remove:
        cmds.push_back("UID STORE " + set + " +FLAGS.SILENT (\\Deleted)");
        cmds.push_back(expunge);
        break;
    }
  }
  for (const std::string& cmd : cmds) {
    st = co_await client_.command(cmd, r);
    if (!st) break;
  }
  if (st) {
    cx_.log.debug(
        "imap.after_import",
        {{"mailbox", mb_.name}, {"action", to_string(mb_.action)}, {"count", uids.size()}});
  }
  co_return st;
}

}  // namespace hd::daemon
