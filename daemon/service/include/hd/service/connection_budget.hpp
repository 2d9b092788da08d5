#pragma once
// How many IMAP connections are open, or being opened, at once: counted slots per key (an
// account "user@host:port", a server "host:port"). A mailbox session takes its slots before it
// connects and gives them back when the connection closes; when a key is full the session
// waits in line (first come, first served) for one to be given back. Settings: [imap]
// (docs/config.md); behaviour: docs/intake.md, "Many mailboxes". Used on the loop thread only.

#include "hd/common/config.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace hd::daemon {

/// How one configured mailbox connects under [imap]'s limits.
struct connection_plan {
  std::string account;                ///< "user@host:port" (the host in lower case)
  std::string server;                 ///< "host:port"
  std::size_t account_mailboxes = 0;  ///< configured mailboxes of that account
  std::size_t server_mailboxes = 0;   ///< ... and of that server
  /// More mailboxes share the account (or server) than its limit allows, and this one is not
  /// among the first limit - 1 of them in the file: it does not keep a connection, but takes
  /// turns on the one connection left over: connect, poll, log out, wait poll_interval_s.
  bool takes_turns = false;
};

/// One plan per cfg.mailboxes entry, in the same order.
std::vector<connection_plan> plan_connections(const config& cfg);

/// What `config check` warns about: one line per account or server with more mailboxes than
/// its limit, naming the mailboxes that take turns. Empty when everything fits.
std::vector<std::string> connection_warnings(const config& cfg);

class connection_budget {
 public:
  /// One taken slot; gives it back (to the next in line, if any) when destroyed. A slot of a
  /// key without a limit holds nothing.
  class slot {
   public:
    slot() = default;
    slot(slot&& o) noexcept;
    slot& operator=(slot&& o) noexcept;
    slot(const slot&) = delete;
    slot& operator=(const slot&) = delete;
    ~slot();
    void release();

   private:
    friend class connection_budget;
    slot(connection_budget* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    connection_budget* owner_ = nullptr;
    std::string key_;
  };

  /// Takes a slot of KEY, waiting in line while LIMIT slots of it are taken (LIMIT 0: no
  /// limit, never waits). WAKE is the caller's timer: cancelling it gives up waiting, and the
  /// answer is then nullopt (the caller is stopping).
  boost::asio::awaitable<std::optional<slot>> acquire(std::string key, int limit,
                                                      boost::asio::steady_timer& wake);

  /// Slots of KEY taken now, and callers waiting for one.
  int in_use(const std::string& key) const;
  std::size_t waiting(const std::string& key) const;

 private:
  struct waiter {
    boost::asio::steady_timer* wake = nullptr;
    bool granted = false;
  };
  struct entry {
    int used = 0;
    std::deque<std::shared_ptr<waiter>> line;
  };
  void give_back(const std::string& key);

  std::unordered_map<std::string, entry> entries_;
};

}  // namespace hd::daemon
