#include "hd/service/connection_budget.hpp"
// GCC 12 misreports coroutine frames as mismatched new/delete (GCC bug 109224).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

namespace hd::daemon {

namespace asio = boost::asio;

std::vector<connection_plan> plan_connections(const config& cfg) {
  std::vector<connection_plan> plans;
  std::map<std::string, std::size_t> per_account, per_server;
  for (const mailbox_config& m : cfg.mailboxes) {
    std::string host = m.host;
    for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    connection_plan p;
    p.server = fmt::format("{}:{}", host, m.port);
    p.account = fmt::format("{}@{}", m.user, p.server);
    ++per_account[p.account];
    ++per_server[p.server];
    plans.push_back(std::move(p));
  }
  // The first limit - 1 mailboxes of a group that does not fit keep their connection (IDLE);
  // the rest share the one left over.
  auto keeps = [](std::size_t rank, std::size_t members, int limit) {
    return limit <= 0 || members <= static_cast<std::size_t>(limit) ||
           rank + 1 < static_cast<std::size_t>(limit);
  };
  std::map<std::string, std::size_t> rank_account, rank_server;
  for (connection_plan& p : plans) {
    p.account_mailboxes = per_account[p.account];
    p.server_mailboxes = per_server[p.server];
    std::size_t ra = rank_account[p.account]++, rs = rank_server[p.server]++;
    p.takes_turns = !keeps(ra, p.account_mailboxes, cfg.imap.max_connections_per_account) ||
                    !keeps(rs, p.server_mailboxes, cfg.imap.max_connections_per_server);
  }
  return plans;
}

std::vector<std::string> connection_warnings(const config& cfg) {
  std::vector<connection_plan> plans = plan_connections(cfg);
  std::vector<std::string> out;
  auto report = [&](bool account, int limit) {
    std::map<std::string, std::vector<std::string>> turns;
    std::map<std::string, std::size_t> members;
    for (std::size_t i = 0; i < plans.size(); ++i) {
      const std::string& key = account ? plans[i].account : plans[i].server;
      std::size_t n = account ? plans[i].account_mailboxes : plans[i].server_mailboxes;
      if (limit <= 0 || n <= static_cast<std::size_t>(limit)) continue;
      members[key] = n;
      if (plans[i].takes_turns) turns[key].push_back(cfg.mailboxes[i].name);
    }
    for (const auto& [key, names] : turns) {
      out.push_back(
          fmt::format("{} mailboxes use {} {} but [imap] {} is {}: {} take turns on one connection "
                      "(poll every poll_interval_s, no IDLE): {}",
                      members[key], account ? "account" : "server", key,
                      account ? "max_connections_per_account" : "max_connections_per_server", limit,
                      names.size(), fmt::join(names, ", ")));
    }
  };
  report(true, cfg.imap.max_connections_per_account);
  report(false, cfg.imap.max_connections_per_server);
  return out;
}

connection_budget::slot::slot(slot&& o) noexcept
    : owner_(std::exchange(o.owner_, nullptr)), key_(std::move(o.key_)) {}

connection_budget::slot& connection_budget::slot::operator=(slot&& o) noexcept {
  if (this != &o) {
    release();
    owner_ = std::exchange(o.owner_, nullptr);
    key_ = std::move(o.key_);
  }
  return *this;
}

connection_budget::slot::~slot() { release(); }

void connection_budget::slot::release() {
  if (connection_budget* b = std::exchange(owner_, nullptr)) b->give_back(key_);
}

asio::awaitable<std::optional<connection_budget::slot>> connection_budget::acquire(
    std::string key, int limit, asio::steady_timer& wake) {
  if (limit <= 0) co_return slot();
  entry& e = entries_[key];
  if (e.used < limit && e.line.empty()) {
    ++e.used;
    co_return slot(this, std::move(key));
  }
  // In line until a slot is passed on to us, or WAKE is cancelled (stop), or the coroutine is
  // destroyed with the loop: the guard leaves the line (or gives back a slot passed on but
  // not taken) on every way out, so the line never points at a timer that is gone.
  struct in_line {
    connection_budget* budget;
    const std::string& key;
    std::shared_ptr<waiter> w = std::make_shared<waiter>();
    bool taken = false;
    ~in_line() {
      if (!w->granted) {
        std::deque<std::shared_ptr<waiter>>& line = budget->entries_[key].line;
        line.erase(std::remove(line.begin(), line.end(), w), line.end());
      } else if (!taken) {
        budget->give_back(key);
      }
    }
  } guard{this, key};
  guard.w->wake = &wake;
  e.line.push_back(guard.w);
  wake.expires_at(asio::steady_timer::time_point::max());
  boost::system::error_code ec;
  co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (!guard.w->granted) co_return std::nullopt;
  // Whoever gave the slot back passed it on to us without lowering the count.
  guard.taken = true;
  co_return slot(this, key);
}

void connection_budget::give_back(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  entry& e = it->second;
  if (!e.line.empty()) {
    std::shared_ptr<waiter> next = e.line.front();
    e.line.pop_front();
    next->granted = true;
    next->wake->cancel();
    return;
  }
  if (--e.used == 0) entries_.erase(it);
}

int connection_budget::in_use(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? 0 : it->second.used;
}

std::size_t connection_budget::waiting(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? 0 : it->second.line.size();
}

}  // namespace hd::daemon
