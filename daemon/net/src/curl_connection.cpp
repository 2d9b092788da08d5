#include "hd/net/curl_connection.hpp"
#include "hd/net/curl_handles.hpp"
// GCC 12 misreports coroutine frames as mismatched new/delete (GCC bug 109224).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <curl/curl.h>
#include <fmt/format.h>
#include <boost/asio/async_result.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <utility>

namespace hd::daemon {

namespace asio = boost::asio;

namespace {

// The connect phase's driver shared by every IMAP connection on one loop (and logger): one
// multi handle, so one wake-up socket pair for them all. It lives while a connection holds it.
std::shared_ptr<curl_multi_driver> shared_driver(asio::io_context& io, const logger& log) {
  static std::mutex m;
  static std::map<std::pair<asio::io_context*, const logger*>, std::weak_ptr<curl_multi_driver>>
      drivers;
  std::lock_guard lock(m);
  std::weak_ptr<curl_multi_driver>& slot = drivers[{&io, &log}];
  if (auto d = slot.lock()) return d;
  std::erase_if(drivers, [](const auto& kv) { return kv.second.expired(); });
  // The driver logs only a socket it could not watch (imap.watch_failed); the connect then
  // fails with curl's own error, which the session reports.
  auto d = curl_multi_driver::create(io, log, "imap", [](void* easy, int code) {
    char* p = nullptr;
    curl_easy_getinfo(static_cast<CURL*>(easy), CURLINFO_PRIVATE, &p);
    if (p == nullptr) return;
    if (auto me = reinterpret_cast<std::weak_ptr<curl_connection>*>(p)->lock()) me->connected(code);
  });
  d->keep_finished(true);
  drivers[{&io, &log}] = d;
  return d;
}

}  // namespace

std::shared_ptr<curl_connection> curl_connection::create(asio::io_context& io, const logger& log) {
  return std::make_shared<curl_connection>(io, log);
}

curl_connection::curl_connection(asio::io_context& io, const logger& log) : io_(io), log_(log) {}

curl_connection::~curl_connection() { close(); }

// The connect phase finished with CURLcode CODE (the driver keeps the handle: connect-only).
void curl_connection::connected(int code) {
  if (!on_connected_) return;  // cancelled or closed meanwhile
  if (code != CURLE_OK) {
    finish_connect(explain_curl_error(static_cast<CURLcode>(code), errbuf_.data(), peer_));
    return;
  }
  curl_socket_t sock = CURL_SOCKET_BAD;
  curl_easy_getinfo(easy_, CURLINFO_ACTIVESOCKET, &sock);
  if (sock == CURL_SOCKET_BAD) {
    finish_connect("connected, but curl has no socket");
    return;
  }
  driver_->take_over(easy_);  // the socket is ours from here
  io_sock_ = std::make_unique<asio::posix::stream_descriptor>(io_, sock);
  connected_ = true;
  finish_connect("");
}

void curl_connection::finish_connect(std::string error) {
  if (!on_connected_) return;
  auto done = std::move(on_connected_);
  on_connected_ = nullptr;
  // Completing from inside a curl callback chain would let the session re-enter curl: post.
  asio::post(io_, [done = std::move(done), error = std::move(error)] { done(error); });
}

asio::awaitable<io_status> curl_connection::connect(const imap_endpoint& ep) {
  close();
  easy_ = curl_easy_init();
  if (easy_ == nullptr) co_return io_status{"curl_easy_init failed"};
  // The connection's own connection cache: in the shared multi handle's cache, curl would
  // close our idle connections whenever another mailbox connects (docs/intake.md).
  share_ = curl_share_init();
  if (share_ == nullptr || curl_share_setopt(static_cast<CURLSH*>(share_), CURLSHOPT_SHARE,
                                             CURL_LOCK_DATA_CONNECT) != CURLSHE_OK) {
    close();
    co_return io_status{"curl_share_init failed"};
  }
  driver_ = shared_driver(io_, log_);
  self_ = std::make_unique<std::weak_ptr<curl_connection>>(weak_from_this());
  const char* scheme = ep.tls == tls_mode::implicit ? "imaps" : "imap";
  url_ = fmt::format("{}://{}:{}/", scheme, ep.host, ep.port);
  static_assert(sizeof(errbuf_) >= CURL_ERROR_SIZE);
  errbuf_[0] = '\0';
  peer_ = {"IMAP",
           ep.host,
           ep.port,
           ep.user,
           fmt::format("[[mailbox]] {}", ep.mailbox),
           ep.ca_file,
           ep.timeout_s,
           ep.connect_timeout_s};
  curl_options opt(easy_);
  opt.set(CURLOPT_URL, url_.c_str())
      .set(CURLOPT_CONNECT_ONLY, 1L)
      .set(CURLOPT_SHARE, static_cast<CURLSH*>(share_))
      .set(CURLOPT_PRIVATE, static_cast<void*>(self_.get()))
      .set(CURLOPT_ERRORBUFFER, errbuf_.data())
      .set(CURLOPT_CONNECTTIMEOUT, long(std::min(ep.connect_timeout_s, ep.timeout_s)))
      .set(CURLOPT_USE_SSL, long(ep.tls == tls_mode::none ? CURLUSESSL_NONE : CURLUSESSL_ALL))
      .set(CURLOPT_SSL_VERIFYPEER, 1L)
      .set(CURLOPT_SSL_VERIFYHOST, 2L)
      .set(CURLOPT_NOSIGNAL, 1L)
      .set(CURLOPT_PROTOCOLS_STR, "imap,imaps");
  if (!ep.ca_file.empty()) opt.set(CURLOPT_CAINFO, ep.ca_file.c_str());
  // Without a user, curl stops after the greeting, CAPABILITY and STARTTLS, and the caller
  // logs in itself (XOAUTH2: imap_client::authenticate_xoauth2).
  if (!ep.user.empty()) {
    opt.set(CURLOPT_USERNAME, ep.user.c_str()).set(CURLOPT_PASSWORD, ep.password.c_str());
  }
  if (!opt.ok()) {
    std::string why = opt.error();
    close();
    co_return io_status{why};
  }
  std::string error =
      co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::string)>(
          [this](auto handler) {
            auto h = std::make_shared<decltype(handler)>(std::move(handler));
            on_connected_ = [h](std::string e) { (*h)(std::move(e)); };
            // The driver's timer starts the transfer on the loop.
            if (std::string e = driver_->add(easy_); !e.empty()) finish_connect("curl: " + e);
          },
          asio::use_awaitable);
  if (!error.empty()) {
    close();
    co_return io_status{error};
  }
  co_return io_status{};
}

asio::awaitable<io_status> curl_connection::wait(bool for_write) {
  if (!io_sock_) co_return io_status{"not connected"};
  boost::system::error_code ec;
  co_await io_sock_->async_wait(for_write ? asio::posix::descriptor_base::wait_write
                                          : asio::posix::descriptor_base::wait_read,
                                asio::redirect_error(asio::use_awaitable, ec));
  if (ec == asio::error::operation_aborted) co_return io_status{"", true};
  if (ec) co_return io_status{ec.message()};
  co_return io_status{};
}

asio::awaitable<io_status> curl_connection::write(const std::string& data) {
  std::size_t off = 0;
  io_status w;
  while (off < data.size()) {
    if (!connected_) co_return io_status{"not connected"};
    std::size_t n = 0;
    CURLcode rc = curl_easy_send(easy_, data.data() + off, data.size() - off, &n);
    if (rc == CURLE_OK) {
      off += n;
      continue;
    }
    if (rc != CURLE_AGAIN) co_return io_status{fmt::format("send: {}", curl_easy_strerror(rc))};
    w = co_await wait(true);
    if (!w) co_return w;
  }
  co_return io_status{};
}

asio::awaitable<io_status> curl_connection::read_some(std::string& out) {
  char buf[65536];
  io_status w;
  while (true) {
    if (!connected_) co_return io_status{"not connected"};
    std::size_t n = 0;
    CURLcode rc = curl_easy_recv(easy_, buf, sizeof buf, &n);
    if (rc == CURLE_OK) {
      if (n == 0) co_return io_status{"the server closed the connection"};
      out.append(buf, n);
      co_return io_status{};
    }
    if (rc != CURLE_AGAIN) co_return io_status{fmt::format("recv: {}", curl_easy_strerror(rc))};
    w = co_await wait(false);
    if (!w) co_return w;
  }
}

void curl_connection::cancel() {
  if (io_sock_) io_sock_->cancel();
  if (on_connected_) {
    // Abandon the attempt (curl closes its socket); close() cleans up the handles.
    if (driver_ && easy_ != nullptr) driver_->remove(easy_);
    finish_connect("cancelled");
  }
}

void curl_connection::close() {
  if (io_sock_) {
    io_sock_->release();  // curl closes the socket below
    io_sock_.reset();
  }
  on_connected_ = nullptr;
  connected_ = false;
  if (driver_ && easy_ != nullptr) driver_->remove(easy_);
  driver_.reset();
  if (easy_ != nullptr) curl_easy_cleanup(easy_);
  easy_ = nullptr;
  // After the easy handle: a share still in use cannot be cleaned up.
  if (share_ != nullptr) curl_share_cleanup(static_cast<CURLSH*>(share_));
  share_ = nullptr;
  self_.reset();
}

}  // namespace hd::daemon
