// IMAP connections made by libcurl through the loop's one multi handle
// (hd/net/curl_connection.hpp): one descriptor each, and one connection's connect never closes
// another's idle connection. The server is a few lines of plain IMAP on 127.0.0.1 (a greeting and
// CAPABILITY: without a user, curl stops there), run on the same io_context.
#include "hd/net/curl_connection.hpp"

// GCC 12 misreports coroutine frames as mismatched new/delete (GCC bug 109224).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <doctest/doctest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
using asio::ip::tcp;
using hd::daemon::curl_connection;
using hd::daemon::imap_endpoint;
using hd::daemon::io_status;

namespace {

// Accepts connections and answers the greeting and CAPABILITY of each; keeps the sockets so
// the test can write to a client unasked.
struct fake_imap {
  explicit fake_imap(asio::io_context& io)
      : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}
  tcp::acceptor acceptor;
  std::vector<std::shared_ptr<tcp::socket>> clients;

  int port() const { return acceptor.local_endpoint().port(); }

  asio::awaitable<void> serve() {
    while (true) {
      auto s = std::make_shared<tcp::socket>(co_await acceptor.async_accept(asio::use_awaitable));
      clients.push_back(s);
      asio::co_spawn(acceptor.get_executor(), session(s), asio::detached);
    }
  }

  static asio::awaitable<void> session(std::shared_ptr<tcp::socket> s) {
    boost::system::error_code ec;
    co_await asio::async_write(*s, asio::buffer(std::string("* OK fake IMAP ready\r\n")),
                               asio::redirect_error(asio::use_awaitable, ec));
    std::string in;
    while (!ec) {
      std::size_t n = co_await asio::async_read_until(
          *s, asio::dynamic_buffer(in), "\r\n", asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      std::string line = in.substr(0, n);
      in.erase(0, n);
      std::string tag = line.substr(0, line.find(' '));
      std::string out = line.find("CAPABILITY") != std::string::npos
                            ? "* CAPABILITY IMAP4rev1\r\n" + tag + " OK done\r\n"
                            : tag + " BAD unexpected\r\n";
      co_await asio::async_write(*s, asio::buffer(out),
                                 asio::redirect_error(asio::use_awaitable, ec));
    }
  }
};

imap_endpoint plain(int port) {
  imap_endpoint ep;
  ep.host = "127.0.0.1";
  ep.port = port;
  ep.tls = hd::tls_mode::none;
  ep.mailbox = "test";
  ep.timeout_s = 10;
  ep.connect_timeout_s = 10;
  return ep;
}

int open_sockets() {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(e.path(), ec);
    if (!ec && target.string().rfind("socket:", 0) == 0) ++n;
  }
  return n;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  co_await t.async_wait(asio::use_awaitable);
}

}  // namespace

TEST_CASE("IMAP connections on one loop take one descriptor each") {
  asio::io_context io;
  hd::logger log(hd::log_level::error);
  fake_imap server(io);
  asio::co_spawn(io, server.serve(), asio::detached);
  int before = open_sockets();  // the listening socket
  constexpr int n = 5;
  std::vector<std::shared_ptr<curl_connection>> conns;
  std::vector<std::string> errors;
  int after = 0;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        for (int i = 0; i < n; ++i) {
          conns.push_back(curl_connection::create(io, log));
          io_status st = co_await conns.back()->connect(plain(server.port()));
          if (!st) errors.push_back(st.error);
        }
        co_await sleep_for(std::chrono::milliseconds(50));
        after = open_sockets();
        for (auto& c : conns) c->close();
        io.stop();
      },
      asio::detached);
  io.run();
  REQUIRE(errors.empty());
  // Each connection: our end and the server's end; once for all: curl's wake-up pair. A multi
  // handle per connection (its own wake-up pair) would be 4 per connection.
  CAPTURE(before);
  CAPTURE(after);
  CHECK(after - before <= 2 * n + 2);
  CHECK(after - before >= 2 * n);
}

TEST_CASE("a connection made later does not close an idle one with input waiting") {
  asio::io_context io;
  hd::logger log(hd::log_level::error);
  fake_imap server(io);
  asio::co_spawn(io, server.serve(), asio::detached);
  std::string got, error_a, error_b;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        auto a = curl_connection::create(io, log);
        io_status st = co_await a->connect(plain(server.port()));
        if (!st) error_a = "connect: " + st.error;
        // A line for A that A does not read yet (an IDLE notification), and more than the
        // 1 s curl waits between two prunings of a connection cache.
        if (!server.clients.empty())
          co_await asio::async_write(
              *server.clients[0], asio::buffer(std::string("* 1 EXISTS\r\n")), asio::use_awaitable);
        co_await sleep_for(std::chrono::milliseconds(1200));
        auto b = curl_connection::create(io, log);
        st = co_await b->connect(plain(server.port()));
        if (!st) error_b = st.error;
        // In a cache shared with B, curl would have found A idle with input waiting, taken it
        // for dead and closed it while connecting B.
        st = co_await a->read_some(got);
        if (!st) error_a = "read: " + st.error;
        a->close();
        b->close();
        io.stop();
      },
      asio::detached);
  io.run();
  CHECK(error_b.empty());
  CHECK(error_a.empty());
  CHECK(got == "* 1 EXISTS\r\n");
}
