#include "hd/net/imap_client.hpp"
// GCC 12 misreports coroutine frames as mismatched new/delete (GCC bug 109224).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include "hd/net/oauth2.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hd::daemon {

namespace asio = boost::asio;

imap_client::imap_client(asio::io_context& io, const logger& log, int timeout_s,
                         std::size_t max_literal)
    : max_literal_(max_literal),
      conn_(curl_connection::create(io, log)),
      framer_(imap::framer_limits{16 * 1024 * 1024, max_literal}),
      watchdog_(io),
      timeout_(std::max(1, timeout_s)) {}

void imap_client::arm(std::chrono::seconds s) {
  expired_ = false;
  watchdog_.expires_after(s);
  watchdog_.async_wait([this, conn = std::weak_ptr(conn_)](boost::system::error_code ec) {
    if (ec) return;
    if (auto c = conn.lock()) {
      expired_ = true;
      c->cancel();
    }
  });
}

void imap_client::interrupt() {
  interrupted_ = true;
  conn_->cancel();
}

void imap_client::close() {
  watchdog_.cancel();
  conn_->close();
}

bool imap_client::has_capability(std::string_view cap) const {
  return std::find(caps_.begin(), caps_.end(), cap) != caps_.end();
}

void imap_client::note(const imap::response& r) {
  if (r.kind != imap::response_kind::untagged) return;
  if (r.keyword == "EXISTS") {
    exists_ = r.number;
    saw_exists_ = true;
  }
  if (r.keyword == "EXPUNGE" && exists_ > 0) --exists_;
  if (r.keyword == "BYE") bye_ = true;
  if (!r.capabilities.empty()) caps_ = r.capabilities;
}

asio::awaitable<io_status> imap_client::connect(const imap_endpoint& ep) {
  framer_ = imap::framer(imap::framer_limits{16 * 1024 * 1024, max_literal_});
  caps_.clear();
  exists_ = 0;
  bye_ = false;
  if (interrupted_) co_return io_status{"", true};
  io_status st = co_await conn_->connect(ep);
  if (!st) co_return st;
  command_reply reply;
  std::string cmd = "CAPABILITY";
  st = co_await command(cmd, reply);
  co_return st;
}

asio::awaitable<io_status> imap_client::send(const std::string& line) {
  if (interrupted_) co_return io_status{"", true};
  arm(timeout_);
  io_status st = co_await conn_->write(line);
  watchdog_.cancel();
  if (!st && expired_)
    co_return io_status{fmt::format("timeout after {} s sending", timeout_.count())};
  if (!st && interrupted_) co_return io_status{"", true};
  co_return st;
}

asio::awaitable<io_status> imap_client::read_response(imap::response& out, bool arm_each) {
  io_status st;
  std::string bytes;
  while (true) {
    auto next = framer_.next();
    if (!next) co_return io_status{next.error().message};
    if (*next) {
      auto parsed = imap::parse_response(**next);
      if (!parsed) co_return io_status{parsed.error().message};
      out = std::move(*parsed);
      note(out);
      co_return io_status{};
    }
    if (interrupted_) co_return io_status{"", true};
    if (arm_each) arm(timeout_);
    bytes.clear();
    st = co_await conn_->read_some(bytes);
    if (arm_each) watchdog_.cancel();
    if (!st) {
      if (st.aborted && interrupted_) co_return st;
      if (st.aborted && expired_ && !arm_each) co_return st;  // the caller's period is over
      if (st.aborted && expired_)
        co_return io_status{fmt::format("timeout: no answer within {} s", timeout_.count())};
      if (bye_) co_return io_status{"the server said BYE: " + st.error};
      co_return st;
    }
    framer_.feed(bytes);
  }
}

asio::awaitable<io_status> imap_client::command(const std::string& text, command_reply& out) {
  std::string tag = fmt::format("h{}", next_tag_++);
  out = command_reply{};
  std::string line = fmt::format("{} {}\r\n", tag, text);
  io_status st = co_await send(line);
  if (!st) co_return st;
  while (true) {
    imap::response r;
    st = co_await read_response(r, true);
    if (!st) co_return st;
    if (r.kind == imap::response_kind::tagged && r.tag == tag) {
      out.tagged = std::move(r);
      if (!out.tagged.ok()) {
        std::string verb = text.substr(0, text.find(' ', text.starts_with("UID ") ? 4 : 0));
        co_return io_status{
            fmt::format("{} failed: {} {}", verb, out.tagged.keyword, out.tagged.text)};
      }
      co_return io_status{};
    }
    if (r.kind == imap::response_kind::untagged) out.untagged.push_back(std::move(r));
  }
}

asio::awaitable<io_status> imap_client::authenticate_xoauth2(const std::string& user,
                                                             const std::string& token,
                                                             bool& rejected) {
  rejected = false;
  if (!has_capability("AUTH=XOAUTH2"))
    co_return io_status{"the server does not offer AUTHENTICATE XOAUTH2"};
  std::string tag = fmt::format("h{}", next_tag_++);
  std::string ir = xoauth2_initial_response(user, token);
  bool sent = has_capability("SASL-IR");
  std::string line = tag + " AUTHENTICATE XOAUTH2" + (sent ? " " + ir : std::string()) + "\r\n";
  io_status st = co_await send(line);
  imap::response r;
  for (int round = 0; st; ++round) {
    st = co_await read_response(r, true);
    if (!st) break;
    if (r.kind == imap::response_kind::tagged && r.tag == tag) break;
    if (r.kind != imap::response_kind::continuation) continue;
    if (round > 2) st = io_status{"AUTHENTICATE XOAUTH2: too many continuations"};
    // The first continuation asks for the initial response; one after it carries the error
    // details (base64 JSON), which SASL wants acknowledged with an empty response.
    line = sent ? "\r\n" : ir + "\r\n";
    sent = true;
    if (st) st = co_await send(line);
  }
  std::fill(ir.begin(), ir.end(), '\0');
  if (!st) co_return st;
  if (!r.ok()) {
    rejected = r.keyword == "NO";
    co_return io_status{fmt::format("AUTHENTICATE XOAUTH2 failed: {} {}", r.keyword, r.text)};
  }
  command_reply caps;
  std::string cmd = "CAPABILITY";  // the post-login capabilities (IDLE, MOVE, UIDPLUS)
  co_return co_await command(cmd, caps);
}

asio::awaitable<io_status> imap_client::idle(std::chrono::seconds period, idle_end& why) {
  why = idle_end::error;
  std::string tag = fmt::format("h{}", next_tag_++);
  std::string line = tag + " IDLE\r\n";
  io_status st = co_await send(line);
  if (!st) co_return st;
  imap::response r;
  do {  // wait for the continuation ("+ idling")
    st = co_await read_response(r, true);
    if (!st) co_return st;
    if (r.kind == imap::response_kind::tagged)
      co_return io_status{fmt::format("IDLE refused: {} {}", r.keyword, r.text)};
  } while (r.kind != imap::response_kind::continuation);
  arm(period);
  why = idle_end::period;
  while (!saw_exists_) {
    st = co_await read_response(r, false);
    if (!st && st.aborted && expired_ && !interrupted_) break;
    if (!st) {
      watchdog_.cancel();
      why = idle_end::error;
      co_return st;
    }
  }
  if (saw_exists_) why = idle_end::news;
  watchdog_.cancel();
  line = "DONE\r\n";
  st = co_await send(line);
  while (st) {
    st = co_await read_response(r, true);
    if (st && r.kind == imap::response_kind::tagged && r.tag == tag) break;
  }
  co_return st;
}

}  // namespace hd::daemon
