#pragma once
// Service readiness for systemd's Type=notify: `helpdeskd run` tells the service manager when
// it is ready, reloading and stopping (sd_notify(3)). Without $NOTIFY_SOCKET (cron, a terminal,
// the tests) libsystemd sends nothing and every call is cheap.

#include <cstddef>
#include <functional>
#include <set>
#include <string>

namespace hd::daemon {

/// Ready means every configured mailbox has been heard from once: logged in with its folder
/// selected, or its first attempt failed. A mailbox that is down must not hold `systemctl
/// start` until the start times out; its error is in the log and in `helpdeskd status`.
/// Only the first of each state is sent; used on the loop thread only.
class readiness {
 public:
  /// Sends one sd_notify state string ("READY=1\nSTATUS=..."); the default is sd_notify(3).
  using sender = std::function<void(const std::string&)>;
  readiness();
  explicit readiness(sender send);

  /// Waits for MAILBOXES mailboxes; with none the service is ready at once.
  void expect(std::size_t mailboxes);
  /// Mailbox NAME has logged in and selected its folder, or an attempt failed.
  void contacted(const std::string& name);
  /// SIGHUP: RELOADING=1 (only once ready).
  void reloading();
  /// The reload is applied or refused: READY=1 again.
  void reloaded();
  /// SIGTERM or SIGINT: STOPPING=1 (once).
  void stopping();

 private:
  void check();
  sender send_;
  std::size_t expected_ = 0;
  std::set<std::string> heard_;
  bool ready_ = false;
  bool stopping_ = false;
};

}  // namespace hd::daemon
