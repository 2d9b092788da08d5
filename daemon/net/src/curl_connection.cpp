#include "hd/net/curl_connection.hpp"
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

namespace hd::daemon {

namespace asio = boost::asio;

// One socket libcurl asked us to watch while it connects. The descriptor is released, never
// closed: the socket is curl's.
struct curl_connection::watch {
  explicit watch(asio::io_context& io, int s) : sd(io, s) {}
  ~watch() { sd.release(); }
  asio::posix::stream_descriptor sd;
  int want = 0;  ///< CURL_POLL_IN / OUT / INOUT
  bool reading = false, writing = false;
};

std::shared_ptr<curl_connection> curl_connection::create(asio::io_context& io) {
  return std::make_shared<curl_connection>(io);
}

curl_connection::curl_connection(asio::io_context& io) : io_(io), timer_(io) {}

curl_connection::~curl_connection() { close(); }

int curl_connection::on_socket(void* /*e*/, int s, int what, void* userp, void* /*sockp*/) {
  auto* self = static_cast<curl_connection*>(userp);
  if (what == CURL_POLL_REMOVE) {
    self->watches_.erase(s);  // cancels pending waits, releases the descriptor
    return 0;
  }
  auto& w = self->watches_[s];
  if (!w) w = std::make_unique<watch>(self->io_, s);
  w->want = what;
  self->arm(s);
  return 0;
}

int curl_connection::on_timer(void* /*m*/, long timeout_ms, void* userp) {
  auto* self = static_cast<curl_connection*>(userp);
  if (timeout_ms < 0) {
    self->timer_.cancel();
    return 0;
  }
  // Even a 0 ms timeout goes through the loop: curl must not be re-entered from here.
  self->timer_.expires_after(std::chrono::milliseconds(timeout_ms));
  self->timer_.async_wait([weak = self->weak_from_this()](boost::system::error_code ec) {
    auto me = weak.lock();
    if (ec || !me || me->multi_ == nullptr || me->connected_) return;
    me->drive(CURL_SOCKET_TIMEOUT, 0);
  });
  return 0;
}

void curl_connection::arm(int s) {
  auto it = watches_.find(s);
  if (it == watches_.end()) return;
  watch& w = *it->second;
  auto start = [&](bool for_write) {
    bool& busy = for_write ? w.writing : w.reading;
    if (busy) return;
    busy = true;
    w.sd.async_wait(
        for_write ? asio::posix::descriptor_base::wait_write
                  : asio::posix::descriptor_base::wait_read,
        [weak = weak_from_this(), s, for_write](boost::system::error_code ec) {
          auto me = weak.lock();
          if (!me || ec == asio::error::operation_aborted) return;
          auto found = me->watches_.find(s);
          if (found != me->watches_.end())
            (for_write ? found->second->writing : found->second->reading) = false;
          int ev = ec ? CURL_CSELECT_ERR : for_write ? CURL_CSELECT_OUT : CURL_CSELECT_IN;
          me->drive(s, ev);
          me->arm(s);
        });
  };
  if (w.want & CURL_POLL_IN) start(false);
  if (w.want & CURL_POLL_OUT) start(true);
}

void curl_connection::drive(int s, int ev_bitmask) {
  if (multi_ == nullptr || connected_) return;
  int running = 0;
  curl_multi_socket_action(multi_, s, ev_bitmask, &running);
  check_done();
}

void curl_connection::check_done() {
  int left = 0;
  while (CURLMsg* m = curl_multi_info_read(multi_, &left)) {
    if (m->msg != CURLMSG_DONE) continue;
    CURLcode rc = m->data.result;
    if (rc != CURLE_OK) {
      finish_connect(explain_curl_error(rc, errbuf_.data(), peer_));
      return;
    }
    curl_socket_t sock = CURL_SOCKET_BAD;
    curl_easy_getinfo(easy_, CURLINFO_ACTIVESOCKET, &sock);
    if (sock == CURL_SOCKET_BAD) {
      finish_connect("connected, but curl has no socket");
      return;
    }
    watches_.clear();
    timer_.cancel();
    io_sock_ = std::make_unique<asio::posix::stream_descriptor>(io_, sock);
    connected_ = true;
    finish_connect("");
    return;
  }
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
  multi_ = curl_multi_init();
  easy_ = curl_easy_init();
  if (multi_ == nullptr || easy_ == nullptr) co_return io_status{"curl_easy_init failed"};
  const char* scheme = ep.tls == tls_mode::implicit ? "imaps" : "imap";
  url_ = fmt::format("{}://{}:{}/", scheme, ep.host, ep.port);
  curl_easy_setopt(easy_, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(easy_, CURLOPT_CONNECT_ONLY, 1L);
  static_assert(sizeof(errbuf_) >= CURL_ERROR_SIZE);
  errbuf_[0] = '\0';
  curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, errbuf_.data());
  peer_ = {"IMAP",
           ep.host,
           ep.port,
           ep.user,
           fmt::format("[[mailbox]] {}", ep.mailbox),
           ep.ca_file,
           ep.timeout_s,
           ep.connect_timeout_s};
  curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT,
                   long(std::min(ep.connect_timeout_s, ep.timeout_s)));
  curl_easy_setopt(easy_, CURLOPT_USE_SSL,
                   long(ep.tls == tls_mode::none ? CURLUSESSL_NONE : CURLUSESSL_ALL));
  curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "imap,imaps");
  if (!ep.ca_file.empty()) curl_easy_setopt(easy_, CURLOPT_CAINFO, ep.ca_file.c_str());
  // Without a user, curl stops after the greeting, CAPABILITY and STARTTLS, and the caller
  // logs in itself (XOAUTH2: imap_client::authenticate_xoauth2).
  if (!ep.user.empty()) {
    curl_easy_setopt(easy_, CURLOPT_USERNAME, ep.user.c_str());
    curl_easy_setopt(easy_, CURLOPT_PASSWORD, ep.password.c_str());
  }
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &curl_connection::on_socket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &curl_connection::on_timer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  std::string error =
      co_await asio::async_initiate<decltype(asio::use_awaitable), void(std::string)>(
          [this](auto handler) {
            auto h = std::make_shared<decltype(handler)>(std::move(handler));
            on_connected_ = [h](std::string e) { (*h)(std::move(e)); };
            curl_multi_add_handle(multi_, easy_);  // calls on_timer: the loop starts the transfer
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
    watches_.clear();
    timer_.cancel();
    finish_connect("cancelled");
  }
}

void curl_connection::close() {
  if (io_sock_) {
    io_sock_->release();  // curl closes the socket below
    io_sock_.reset();
  }
  on_connected_ = nullptr;
  watches_.clear();
  timer_.cancel();
  connected_ = false;
  if (multi_ != nullptr && easy_ != nullptr) curl_multi_remove_handle(multi_, easy_);
  watches_.clear();  // curl may have reported sockets while closing
  if (easy_ != nullptr) curl_easy_cleanup(easy_);
  if (multi_ != nullptr) curl_multi_cleanup(multi_);
  easy_ = nullptr;
  multi_ = nullptr;
}

}  // namespace hd::daemon
