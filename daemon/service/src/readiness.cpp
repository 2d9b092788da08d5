#include "hd/service/readiness.hpp"

#include <systemd/sd-daemon.h>

#include <fmt/format.h>

#include <cstdlib>
#include <utility>

namespace hd::daemon {

readiness::readiness()
    : readiness([](const std::string& state) {
        // A failure to notify cannot be acted on here: systemd times the start out and says so.
        (void)sd_notify(0, state.c_str());
      }) {}

readiness::readiness(sender send) : send_(std::move(send)) {}

void readiness::expect(std::size_t mailboxes) {
  expected_ = mailboxes;
  check();
}

void readiness::contacted(const std::string& name) {
  if (ready_) return;
  heard_.insert(name);
  check();
}

void readiness::check() {
  if (ready_ || stopping_ || heard_.size() < expected_) return;
  ready_ = true;
  send_(fmt::format("READY=1\nSTATUS=running, {} mailbox(es) contacted", heard_.size()));
}

void readiness::reloading() {
  if (ready_ && !stopping_) send_("RELOADING=1\nSTATUS=reloading the configuration");
}

void readiness::reloaded() {
  if (ready_ && !stopping_) send_("READY=1\nSTATUS=running");
}

void readiness::stopping() {
  if (std::exchange(stopping_, true)) return;
  send_("STOPPING=1\nSTATUS=stopping: finishing the mail in hand");
}

startup_keepalive::startup_keepalive(std::string status, std::chrono::milliseconds every) {
  if (std::getenv("NOTIFY_SOCKET") == nullptr) return;  // not under systemd: nothing to say
  start(std::move(status), every,
        [](const std::string& state) { (void)sd_notify(0, state.c_str()); });
}

startup_keepalive::startup_keepalive(std::string status, std::chrono::milliseconds every,
                                     sender send) {
  start(std::move(status), every, std::move(send));
}

void startup_keepalive::start(std::string status, std::chrono::milliseconds every, sender send) {
  auto usec = std::chrono::duration_cast<std::chrono::microseconds>(3 * every).count();
  std::string state = fmt::format("EXTEND_TIMEOUT_USEC={}\nSTATUS={}", usec, status);
  thread_ = std::thread([this, state = std::move(state), every, send = std::move(send)] {
    std::unique_lock lock(m_);
    while (!stopped_) {
      send(state);
      cv_.wait_for(lock, every, [this] { return stopped_; });
    }
  });
}

void startup_keepalive::stop() {
  {
    std::lock_guard lock(m_);
    stopped_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace hd::daemon
