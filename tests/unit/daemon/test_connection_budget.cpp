// [imap] connection limits: which mailboxes keep a connection and which take turns, and the
// counted slots sessions wait for (first come, first served; a stopped waiter leaves the line).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include "hd/service/connection_budget.hpp"

#include <doctest/doctest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace hd;
using namespace hd::daemon;
namespace asio = boost::asio;

namespace {

mailbox_config box(std::string name, std::string user, std::string host, int port = 993) {
  mailbox_config m;
  m.name = std::move(name);
  m.user = std::move(user);
  m.host = std::move(host);
  m.port = port;
  return m;
}

// Runs what is ready, without waiting: a waiter's timer is due never, so run() would not return.
void settle(asio::io_context& io) {
  io.restart();
  while (io.poll() > 0) {
  }
}

std::vector<bool> turns(const config& c) {
  std::vector<bool> out;
  for (const connection_plan& p : plan_connections(c)) out.push_back(p.takes_turns);
  return out;
}

}  // namespace

TEST_CASE("mailboxes that fit their account's limit all keep a connection") {
  config c;
  c.imap.max_connections_per_account = 2;
  c.mailboxes = {box("a", "support", "imap.example.com"), box("b", "support", "imap.example.com"),
                 box("c", "sales", "imap.example.com")};
  CHECK(turns(c) == std::vector<bool>{false, false, false});
  std::vector<connection_plan> p = plan_connections(c);
  CHECK(p[0].account == "support@imap.example.com:993");
  CHECK(p[0].server == "imap.example.com:993");
  CHECK(p[0].account_mailboxes == 2);
  CHECK(p[2].account_mailboxes == 1);
  CHECK(p[2].server_mailboxes == 3);
  CHECK(connection_warnings(c).empty());
}

TEST_CASE("beyond the account's limit, all but the first limit - 1 take turns on one slot") {
  config c;
  c.imap.max_connections_per_account = 3;
  c.mailboxes = {box("a", "support", "IMAP.Example.com"), box("b", "support", "imap.example.com"),
                 box("c", "support", "imap.example.com"), box("d", "support", "imap.example.com"),
                 box("other", "support", "imap.example.com", 143)};
  // The host's case does not make another account; another port does.
  CHECK(turns(c) == std::vector<bool>{false, false, true, true, false});
  std::vector<std::string> w = connection_warnings(c);
  REQUIRE(w.size() == 1);
  CHECK(w[0] ==
        "4 mailboxes use account support@imap.example.com:993 but [imap] "
        "max_connections_per_account is 3: 2 take turns on one connection (poll every "
        "poll_interval_s, no IDLE): c, d");

  c.imap.max_connections_per_account = 0;  // no limit
  CHECK(turns(c) == std::vector<bool>{false, false, false, false, false});
  c.imap.max_connections_per_account = 1;  // one connection: everyone takes turns
  CHECK(turns(c) == std::vector<bool>{true, true, true, true, false});
}

TEST_CASE("the server's limit counts every account on it") {
  config c;
  c.imap.max_connections_per_server = 2;
  c.mailboxes = {box("a", "u1", "h"), box("b", "u2", "h"), box("c", "u3", "h"),
                 box("d", "u4", "elsewhere")};
  CHECK(turns(c) == std::vector<bool>{false, true, true, false});
  std::vector<std::string> w = connection_warnings(c);
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("3 mailboxes use server h:993 but [imap] max_connections_per_server is 2") == 0);
}

TEST_CASE("slots are given in order of asking, never more than the limit at once") {
  asio::io_context io;
  connection_budget budget;
  std::vector<std::unique_ptr<asio::steady_timer>> timers;
  std::vector<std::optional<connection_budget::slot>> held(4);
  std::vector<int> order;
  for (int i = 0; i < 4; ++i) {
    timers.push_back(std::make_unique<asio::steady_timer>(io));
    asio::co_spawn(
        io,
        [&, i]() -> asio::awaitable<void> {
          held[i] = co_await budget.acquire("acct", 2, *timers[i]);
          order.push_back(i);
        },
        asio::detached);
  }
  settle(io);
  CHECK(order == std::vector<int>{0, 1});
  CHECK(budget.in_use("acct") == 2);
  CHECK(budget.waiting("acct") == 2);

  held[1]->release();  // passed on to the first in line, the count unchanged
  settle(io);
  CHECK(order == std::vector<int>{0, 1, 2});
  CHECK(budget.in_use("acct") == 2);
  CHECK(budget.waiting("acct") == 1);

  held[0].reset();
  settle(io);
  CHECK(order == std::vector<int>{0, 1, 2, 3});
  held[2].reset();
  held[3].reset();
  CHECK(budget.in_use("acct") == 0);
  CHECK(budget.waiting("acct") == 0);
}

TEST_CASE("a waiter that is stopped leaves the line and gets no slot") {
  asio::io_context io;
  connection_budget budget;
  asio::steady_timer t0(io), t1(io), t2(io);
  std::optional<connection_budget::slot> first, stopped, last;
  bool stopped_answered = false;
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { first = co_await budget.acquire("s", 1, t0); },
      asio::detached);
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        stopped = co_await budget.acquire("s", 1, t1);
        stopped_answered = true;
      },
      asio::detached);
  asio::co_spawn(
      io, [&]() -> asio::awaitable<void> { last = co_await budget.acquire("s", 1, t2); },
      asio::detached);
  settle(io);
  REQUIRE(first.has_value());
  CHECK(budget.waiting("s") == 2);

  t1.cancel();  // the session stops while it waits
  settle(io);
  CHECK(stopped_answered);
  CHECK_FALSE(stopped.has_value());
  CHECK(budget.waiting("s") == 1);

  first.reset();  // goes to the last one, not to the stopped one
  settle(io);
  CHECK(last.has_value());
  CHECK(budget.in_use("s") == 1);
}

TEST_CASE("without a limit nothing is counted and nobody waits") {
  asio::io_context io;
  connection_budget budget;
  asio::steady_timer t(io);
  int got = 0;
  for (int i = 0; i < 3; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          std::optional<connection_budget::slot> s = co_await budget.acquire("x", 0, t);
          if (s) ++got;
        },
        asio::detached);
  }
  settle(io);
  CHECK(got == 3);
  CHECK(budget.in_use("x") == 0);
}
