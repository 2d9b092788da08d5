#pragma once
// One configured mailbox's intake: connect (libcurl: TLS, login) -> SELECT (UIDVALIDITY) ->
// read the checkpoint -> redo after-import actions a crash left undone -> poll: list UIDs
// above the checkpoint with their RFC822.SIZE, fetch BODY.PEEK[] in batches (never \Seen),
// store each batch on the storage worker while the next one is fetched, and only after the
// commit run the after-import action -> IDLE (or sleep) -> poll again. On any error the
// connection is dropped and the mailbox backs off (5 s doubling to 5 min) without affecting
// the others.

#include "hd/common/config.hpp"
#include "hd/common/log.hpp"
#include "hd/intake/mailbox_batch.hpp"
#include "hd/net/imap_client.hpp"
#include "hd/net/oauth2.hpp"
#include "hd/service/connection_budget.hpp"
#include "hd/service/lease_book.hpp"
#include "hd/service/storage_worker.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace hd::daemon {

/// What sessions share: the loop, the storage worker, the log and the clock.
struct session_context {
  boost::asio::io_context& io;
  storage_worker& worker;
  const logger& log;
  std::function<std::int64_t()> now;
  /// XOAUTH2 access tokens (null: auth = "xoauth2" mailboxes fail).
  token_source* tokens = nullptr;
  /// Called on the loop thread after a batch committed mail (acknowledgements may be queued),
  /// so the outbox sends them now rather than at its next tick. May be empty.
  std::function<void()> stored;
  /// Called on the loop thread when the mailbox has selected its folder or an attempt failed
  /// (service readiness, readiness.hpp). May be empty.
  std::function<void(const std::string&)> contacted;
  /// The [imap] connection limits shared by every session (null: no limits).
  connection_budget* budget = nullptr;
  /// The mailboxes this daemon holds (PostgreSQL's leases); null: all of them.
  const lease_book* leases = nullptr;
};

class mailbox_session {
 public:
  /// Intake for setup.cfg->mailboxes[INDEX]. ONCE: one poll, then log out. PLAN: its entry of
  /// plan_connections (which slots it takes; whether it takes turns).
  mailbox_session(session_context cx, intake_setup setup, std::size_t index, bool once,
                  connection_plan plan = {});

  /// Long-running: returns when stopped. Once: returns whether the poll succeeded.
  boost::asio::awaitable<bool> run();
  /// Stops after the step in hand (a mail being stored is finished first).
  void stop();
  /// The mailbox's lease went to another daemon (or could not be renewed in time): the
  /// connection is closed after the step in hand, and the session waits for the lease again.
  void lease_lost();
  const std::string& name() const { return mb_.name; }

 private:
  struct in_flight;
  boost::asio::awaitable<io_status> serve();
  /// Waits for a slot of KEY under LIMIT ([imap] SETTING); nullopt when stopped meanwhile.
  boost::asio::awaitable<std::optional<connection_budget::slot>> take_slot(
      const std::string& key, int limit, std::string_view setting);
  boost::asio::awaitable<io_status> login_xoauth2();
  boost::asio::awaitable<io_status> select();
  boost::asio::awaitable<io_status> recover_actions();
  boost::asio::awaitable<io_status> poll();
  /// Fetches UIDS (listed with SIZES); a mail gone since the listing ends OUT there and
  /// sets repoll_.
  boost::asio::awaitable<io_status> fetch(const std::vector<std::int64_t>& uids,
                                          const std::vector<std::int64_t>& sizes, bool header_only,
                                          std::vector<fetched_mail>& out);
  std::shared_ptr<in_flight> submit(std::vector<fetched_mail> mails);
  boost::asio::awaitable<io_status> finish(const std::shared_ptr<in_flight>& b, std::int64_t& done);
  boost::asio::awaitable<io_status> after_import(const std::vector<std::int64_t>& uids);
  boost::asio::awaitable<void> sleep(std::chrono::seconds d);
  boost::asio::awaitable<void> record(bool ok, std::string error, std::int64_t backlog);
  void log_result(const mail_result& r);

  session_context cx_;
  intake_setup setup_;
  std::shared_ptr<const config> cfg_;
  const mailbox_config& mb_;
  bool once_;
  imap_client client_;
  boost::asio::steady_timer sleeper_;
  connection_plan plan_;
  boost::asio::steady_timer slot_wait_;  ///< cancelled by stop() while waiting for a slot
  /// Held while connected: given back after the connection is closed.
  std::optional<connection_budget::slot> account_slot_, server_slot_;
  std::shared_ptr<std::atomic<bool>> abort_;
  std::int64_t uidvalidity_ = 0;
  std::int64_t last_uid_ = 0;  ///< highest UID handed to the worker in this session
  int failures_ = 0;
  std::minstd_rand rng_{std::random_device{}()};  ///< the backoff's jitter
  bool stopping_ = false;
  bool lost_ = false;       ///< lease_lost(): serve() ends, then wait for the lease
  bool reconnect_ = false;  ///< serve() ended to log in again with a renewed access token
  std::chrono::steady_clock::time_point renew_at_;  ///< XOAUTH2: the token's renewal time

  bool repoll_ = false;            ///< a fetched mail had vanished: poll again at once
  std::int64_t vanished_uid_ = 0;  ///< the last such UID (the same one twice is an error)
};

}  // namespace hd::daemon
