#include "hd/net/curl_multi.hpp"

#include "hd/net/curl_handles.hpp"

#include <curl/curl.h>
#include <poll.h>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <map>
#include <set>

namespace hd::daemon {

namespace asio = boost::asio;

namespace {

// Whether FD is ready for EVENTS now. Asio's reactor is edge-triggered: readiness that arrived
// while we were not waiting for it would never be reported again, so look before waiting.
bool ready_now(int fd, short events) {
  pollfd p{fd, events, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (events | POLLERR | POLLHUP)) != 0;
}

}  // namespace

// One socket curl asked us to watch. The descriptor is released, never closed: the socket is
// curl's. Only the watch map owns it, so CURL_POLL_REMOVE deregisters it at once (curl may
// reuse the number for its next socket).
struct curl_multi_driver::watch {
  watch(asio::io_context& io, int fd) : sd(io, fd) {}
  ~watch() { sd.release(); }  // cancels pending waits (operation_aborted)
  asio::posix::stream_descriptor sd;
  void* easy = nullptr;  // the transfer that asked (CURL*)
  int want = 0;          // CURL_POLL_IN / OUT / INOUT
  bool reading = false, writing = false;
};

struct curl_multi_driver::state {
  state(asio::io_context& i, const logger& l, std::string n, done_fn d)
      : io(i), log(l), name(std::move(n)), on_done(std::move(d)), timer(i) {}
  asio::io_context& io;
  const logger& log;
  std::string name;
  done_fn on_done;
  asio::steady_timer timer;
  std::map<int, std::shared_ptr<watch>> watches;
  curl_multi_ptr multi;
  long max_connections = 0;
  bool keep_finished = false;
  std::set<void*> taken;  ///< transfers whose sockets the caller watches (take_over)
};

std::shared_ptr<curl_multi_driver> curl_multi_driver::create(asio::io_context& io,
                                                             const logger& log, std::string name,
                                                             done_fn on_done) {
  return std::make_shared<curl_multi_driver>(io, log, std::move(name), std::move(on_done));
}

curl_multi_driver::curl_multi_driver(asio::io_context& io, const logger& log, std::string name,
                                     done_fn on_done)
    : s_(std::make_unique<state>(io, log, std::move(name), std::move(on_done))) {}

curl_multi_driver::~curl_multi_driver() { shutdown(); }

bool curl_multi_driver::ensure_multi() {
  if (s_->multi) return true;
  s_->multi.reset(curl_multi_init());
  if (!s_->multi) return false;
  CURLM* m = s_->multi.get();
  // Without its callbacks the multi handle would never drive a transfer: fail instead.
  bool ok =
      curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, &curl_multi_driver::on_socket) == CURLM_OK &&
      curl_multi_setopt(m, CURLMOPT_SOCKETDATA, this) == CURLM_OK &&
      curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, &curl_multi_driver::on_timer) == CURLM_OK &&
      curl_multi_setopt(m, CURLMOPT_TIMERDATA, this) == CURLM_OK &&
      (s_->max_connections <= 0 ||
       curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, s_->max_connections) == CURLM_OK);
  if (!ok) s_->multi.reset();
  return ok;
}

std::string curl_multi_driver::add(void* easy) {
  if (!ensure_multi()) return "curl_multi_init failed";
  // Adding asks for a timeout (usually 0 ms) through on_timer: the loop starts the transfer.
  if (CURLMcode rc = curl_multi_add_handle(s_->multi.get(), static_cast<CURL*>(easy));
      rc != CURLM_OK)
    return curl_multi_strerror(rc);
  return {};
}

void curl_multi_driver::remove(void* easy) {
  // Curl closes a connect-only connection here; its CURL_POLL_REMOVE must find no watch of
  // ours (the caller released its own descriptor first).
  if (s_->multi) curl_multi_remove_handle(s_->multi.get(), static_cast<CURL*>(easy));
  s_->taken.erase(easy);
}

void curl_multi_driver::set_max_connections(long n) {
  s_->max_connections = n;
  if (!s_->multi) return;
  if (CURLMcode rc = curl_multi_setopt(s_->multi.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS, n);
      rc != CURLM_OK) {
    s_->log.warn(s_->name + ".max_connections_refused",
                 {{"max", std::to_string(n)}, {"error", curl_multi_strerror(rc)}});
  }
}

void curl_multi_driver::keep_finished(bool keep) { s_->keep_finished = keep; }

void curl_multi_driver::take_over(void* easy) {
  s_->taken.insert(easy);
  // Releases the descriptors: the caller may watch the socket itself.
  std::erase_if(s_->watches, [easy](const auto& kv) { return kv.second->easy == easy; });
}

void curl_multi_driver::shutdown() {
  s_->timer.cancel();
  s_->multi.reset();  // may report CURL_POLL_REMOVE for cached connections
  s_->watches.clear();
  s_->taken.clear();
}

// CURLMOPT_SOCKETFUNCTION: watch S for what curl wants, or stop watching it.
int curl_multi_driver::on_socket(void* easy, int s, int what, void* userp, void* /*sockp*/) {
  auto* me = static_cast<curl_multi_driver*>(userp);
  state& st = *me->s_;
  if (what == CURL_POLL_REMOVE) {
    st.watches.erase(s);
    return 0;
  }
  if (st.taken.count(easy) != 0) return 0;
  std::shared_ptr<watch>& w = st.watches[s];
  if (!w) {
    try {
      w = std::make_shared<watch>(st.io, s);
    } catch (const boost::system::system_error& e) {
      st.watches.erase(s);
      st.log.error(st.name + ".watch_failed", {{"error", e.what()}});
      return -1;  // curl fails the transfer
    }
  }
  w->easy = easy;
  w->want = what;
  me->arm(s);
  return 0;
}

// CURLMOPT_TIMERFUNCTION: one steady_timer. Even a 0 ms timeout goes through the loop.
int curl_multi_driver::on_timer(void* /*multi*/, long timeout_ms, void* userp) {
  auto* me = static_cast<curl_multi_driver*>(userp);
  if (timeout_ms < 0) {
    me->s_->timer.cancel();
    return 0;
  }
  me->s_->timer.expires_after(std::chrono::milliseconds(timeout_ms));
  me->s_->timer.async_wait([weak = me->weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->drive(CURL_SOCKET_TIMEOUT, 0);
  });
  return 0;
}

void curl_multi_driver::arm(int s) {
  auto it = s_->watches.find(s);
  if (it == s_->watches.end()) return;
  watch& w = *it->second;
  for (bool for_write : {false, true}) {
    if (!(w.want & (for_write ? CURL_POLL_OUT : CURL_POLL_IN))) continue;
    bool& busy = for_write ? w.writing : w.reading;
    if (busy) continue;
    busy = true;
    auto handler = [weak = weak_from_this(), ww = std::weak_ptr<watch>(it->second), s,
                    for_write](boost::system::error_code ec) {
      auto me = weak.lock();
      if (!me || ec == asio::error::operation_aborted) return;
      if (auto live = ww.lock()) (for_write ? live->writing : live->reading) = false;
      if (ww.expired()) return;  // curl stopped watching it meanwhile
      me->drive(s, ec ? CURL_CSELECT_ERR : for_write ? CURL_CSELECT_OUT : CURL_CSELECT_IN);
      me->arm(s);
    };
    if (ready_now(s, for_write ? POLLOUT : POLLIN)) {
      asio::post(s_->io, [handler]() mutable { handler(boost::system::error_code()); });
    } else {
      w.sd.async_wait(for_write ? asio::posix::descriptor_base::wait_write
                                : asio::posix::descriptor_base::wait_read,
                      std::move(handler));
    }
  }
}

void curl_multi_driver::drive(int s, int ev_bitmask) {
  if (!s_->multi) return;
  int running = 0;
  curl_multi_socket_action(s_->multi.get(), s, ev_bitmask, &running);
  check_done();
}

void curl_multi_driver::check_done() {
  auto self = shared_from_this();  // on_done may drop the owner's reference
  int left = 0;
  while (s_->multi) {
    CURLMsg* msg = curl_multi_info_read(s_->multi.get(), &left);
    if (msg == nullptr) break;
    if (msg->msg != CURLMSG_DONE) continue;
    CURL* easy = msg->easy_handle;
    CURLcode code = msg->data.result;
    if (!s_->keep_finished) curl_multi_remove_handle(s_->multi.get(), easy);
    s_->on_done(easy, static_cast<int>(code));
  }
}

}  // namespace hd::daemon
