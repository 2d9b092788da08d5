#include "hd/http/server.hpp"

#include <fmt/format.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <vector>

namespace hd::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

// The security headers on every answer: JSON is never sniffed, framed, cached or given a
// referrer; the strict CSP covers an error page a browser might render.
void secure(bhttp::response<bhttp::string_body>& res) {
  res.set(bhttp::field::server, "helpdeskd");
  res.set(bhttp::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("X-Frame-Options", "DENY");
  res.set("Referrer-Policy", "no-referrer");
  res.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
}

std::string error_body(std::string_view code, std::string_view message) {
  return fmt::format(R"({{"error":{{"code":"{}","message":"{}"}}}})", code, message);
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::uint64_t server_stats::answered() const {
  std::uint64_t n = 0;
  for (const auto& c : by_class) n += c.load();
  return n;
}

class session;

struct server::impl : std::enable_shared_from_this<server::impl> {
  impl(asio::io_context& i, http_config c, handler hh, const logger& l)
      : io(i), cfg(std::move(c)), h(std::move(hh)), log(l), acceptor(i) {}
  asio::io_context& io;
  http_config cfg;
  handler h;
  const logger& log;
  std::shared_ptr<server_stats> stats;
  tcp::acceptor acceptor;
  bool stopped = false;
  std::vector<std::weak_ptr<session>> sessions;

  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
};

class session : public std::enable_shared_from_this<session> {
 public:
  session(tcp::socket s, std::shared_ptr<server::impl> srv)
      : stream_(std::move(s)), srv_(std::move(srv)) {
    beast::error_code ec;
    tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
    peer_ = ec ? "unknown" : peer.address().to_string();
    ++srv_->stats->connections_open;
  }
  ~session() { --srv_->stats->connections_open; }

  void run() {
    asio::dispatch(stream_.get_executor(),
                   beast::bind_front_handler(&session::do_read, shared_from_this()));
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.close();
  }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(srv_->cfg.max_header_bytes));
    parser_->body_limit(static_cast<std::uint64_t>(srv_->cfg.max_body_bytes));
    // The whole request must arrive within the limit: a client sending a byte a second is
    // cut off (slowloris). A keep-alive connection gets the idle time for its next request.
    stream_.expires_after(
        std::chrono::seconds(first_ ? srv_->cfg.read_timeout_s : srv_->cfg.idle_timeout_s));
    bhttp::async_read(stream_, buffer_, *parser_,
                      beast::bind_front_handler(&session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::end_of_stream) return close();
    if (ec == beast::error::timeout) {
      ++srv_->stats->cut_off;
      return;  // the stream closed itself
    }
    if (ec == bhttp::error::body_limit) return refuse(413, "too_large", "the body is too large");
    if (ec == bhttp::error::header_limit)
      return refuse(431, "headers_too_large", "the request headers are too large");
    if (ec && ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category())
      return refuse(400, "bad_request", "the request is not valid HTTP/1.1");
    if (ec) return close();  // reset by the peer, cancelled by stop()
    first_ = false;
    handle(parser_->release());
  }

  void handle(bhttp::request<bhttp::string_body> msg) {
    keep_alive_ = msg.keep_alive();
    std::optional<target_parts> t = parse_target(msg.target());
    if (!t) return refuse(400, "bad_target", "the request target cannot be decoded");
    request r;
    r.method = std::string(msg.method_string());
    r.target = std::string(msg.target());
    r.path = std::move(t->path);
    r.query = std::move(t->query);
    for (const auto& f : msg) r.headers.emplace_back(lower(f.name_string()), f.value());
    r.body = std::move(msg.body());
    r.client = client_address(peer_, r.header("x-forwarded-for"), srv_->cfg.trusted_proxies);
    started_ = clock_type::now();
    auto self = shared_from_this();
    auto answered = std::make_shared<std::atomic<bool>>(false);
    srv_->h(std::move(r), [self, answered](response res) {
      if (answered->exchange(true)) return;
      asio::post(self->stream_.get_executor(),
                 [self, res = std::move(res)]() mutable { self->send(std::move(res), false); });
    });
  }

  void refuse(int status, std::string_view code, std::string_view message) {
    ++srv_->stats->cut_off;
    refused_ = true;
    started_ = clock_type::now();
    send(response{status, "application/json", {}, error_body(code, message)}, true);
  }

  void send(response r, bool close_after) {
    if (!stream_.socket().is_open()) return;
    res_ = {};
    res_.version(11);
    res_.result(static_cast<unsigned>(r.status));
    secure(res_);
    res_.set(bhttp::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res_.set(k, v);
    res_.body() = std::move(r.body);
    res_.keep_alive(keep_alive_ && !close_after);
    res_.prepare_payload();
    record(r.status);
    stream_.expires_after(std::chrono::seconds(srv_->cfg.write_timeout_s));
    bhttp::async_write(stream_, res_,
                       beast::bind_front_handler(&session::on_write, shared_from_this()));
  }

  void record(int status) {
    server_stats& s = *srv_->stats;
    double secs = std::chrono::duration<double>(clock_type::now() - started_).count();
    std::size_t b = 0;
    while (b < server_stats::bounds.size() && secs > server_stats::bounds[b]) ++b;
    ++s.buckets[b];
    s.latency_micros += static_cast<std::uint64_t>(secs * 1e6);
    ++s.by_class[static_cast<std::size_t>(std::clamp(status / 100, 1, 5))];
  }

  void on_write(beast::error_code ec, std::size_t) {
    if (ec) return close();
    if (!res_.keep_alive()) return refused_ ? linger() : close();
    do_read();
  }

  // After refusing a request whose body (or headers) we did not read, closing at once would
  // make the kernel reset the connection, and the client could lose our answer. So: stop
  // sending, read and discard what is still coming for a short while, then close.
  void linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(2));
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(discard_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->close();
                              self->drain();
                            });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bhttp::response<bhttp::string_body> res_;
  std::shared_ptr<server::impl> srv_;
  std::string peer_;
  bool first_ = true;
  bool keep_alive_ = false;
  bool refused_ = false;
  std::array<char, 4096> discard_{};
  clock_type::time_point started_;
};

void server::impl::do_accept() {
  acceptor.async_accept(asio::make_strand(io),
                        beast::bind_front_handler(&impl::on_accept, shared_from_this()));
}

void server::impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (stopped || ec == asio::error::operation_aborted) return;
  if (!ec) {
    if (stats->connections_open.load() >= static_cast<std::uint64_t>(cfg.max_connections)) {
      ++stats->connections_refused;
      // A short answer a client can act on, written without waiting; then closed.
      static const std::string body =
          error_body("too_many_connections", "too many connections; retry in a few seconds");
      static const std::string busy = fmt::format(
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
          "Retry-After: 5\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{}",
          body.size(), body);
      beast::error_code ignored;
      socket.non_blocking(true, ignored);
      socket.write_some(asio::buffer(busy), ignored);
      socket.close(ignored);
    } else {
      std::erase_if(sessions, [](const std::weak_ptr<session>& w) { return w.expired(); });
      auto s = std::make_shared<session>(std::move(socket), shared_from_this());
      sessions.push_back(s);
      s->run();
    }
  } else {
    log.warn("http_accept_failed", {{"error", ec.message()}});
  }
  do_accept();
}

server::server(asio::io_context& io, http_config cfg, handler h, const logger& log)
    : p_(std::make_shared<impl>(io, std::move(cfg), std::move(h), log)),
      stats_(std::make_shared<server_stats>()) {
  p_->stats = stats_;
}

server::~server() { stop(); }

result<void, server_errc> server::start() {
  const std::string& listen = p_->cfg.listen;
  std::size_t colon = listen.rfind(':');
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  beast::error_code ec;
  asio::ip::address addr = asio::ip::make_address(host, ec);
  unsigned long port = 0;
  try {
    port = std::stoul(listen.substr(colon + 1));
  } catch (const std::exception&) {
    ec = asio::error::invalid_argument;
  }
  if (ec || port > 65535) {
    return fail(server_errc::bad_listen,
                fmt::format("[http] listen = \"{}\": not ADDRESS:PORT", listen));
  }
  tcp::endpoint ep(addr, static_cast<unsigned short>(port));
  tcp::acceptor& a = p_->acceptor;
  if (!a.open(ep.protocol(), ec) && !a.set_option(asio::socket_base::reuse_address(true), ec) &&
      !a.bind(ep, ec) && !a.listen(asio::socket_base::max_listen_connections, ec)) {
    p_->do_accept();
    return {};
  }
  return fail(server_errc::cannot_listen,
              fmt::format("[http] listen = \"{}\": {}", listen, ec.message()));
}

void server::stop() {
  if (p_->stopped) return;
  p_->stopped = true;
  beast::error_code ec;
  p_->acceptor.close(ec);
  for (const std::weak_ptr<session>& w : p_->sessions) {
    if (auto s = w.lock()) asio::post(p_->io, [s] { s->close(); });
  }
}

std::string server::local_address() const {
  beast::error_code ec;
  tcp::endpoint ep = p_->acceptor.local_endpoint(ec);
  if (ec) return "";
  return ep.address().is_v6() ? fmt::format("[{}]:{}", ep.address().to_string(), ep.port())
                              : fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

}  // namespace hd::http
