#include "hd/service/readiness.hpp"

#include <systemd/sd-daemon.h>

#include <fmt/format.h>

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

}  // namespace hd::daemon
