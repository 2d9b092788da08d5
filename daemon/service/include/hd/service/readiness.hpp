#pragma once
// Service readiness for systemd's Type=notify: `helpdeskd run` tells the service manager when
// it is ready, reloading and stopping (sd_notify(3)). Without $NOTIFY_SOCKET (cron, a terminal,
// the tests) libsystemd sends nothing and every call is cheap.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

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

/// While `run` checks and migrates its database, before it serves: tells the service manager
/// at once and then every EVERY that the start goes on (EXTEND_TIMEOUT_USEC of three times
/// EVERY, with a STATUS= line), so TimeoutStartSec does not kill a long migration half-way:
/// it would roll back, and the restarted service would begin it again, forever (the schema-18
/// migration of a million requests takes over three minutes; the unit allows 180 s). From a
/// thread of its own, until stop() or destruction. The default sender is sd_notify(3), and
/// without $NOTIFY_SOCKET no thread is started.
class startup_keepalive {
 public:
  using sender = readiness::sender;
  explicit startup_keepalive(std::string status,
                             std::chrono::milliseconds every = std::chrono::seconds(20));
  startup_keepalive(std::string status, std::chrono::milliseconds every, sender send);
  ~startup_keepalive() { stop(); }
  startup_keepalive(const startup_keepalive&) = delete;
  startup_keepalive& operator=(const startup_keepalive&) = delete;
  /// Stops sending (the start is over); nothing is sent after it returns.
  void stop();

 private:
  void start(std::string status, std::chrono::milliseconds every, sender send);
  std::mutex m_;
  std::condition_variable cv_;
  bool stopped_ = false;
  std::thread thread_;
};

}  // namespace hd::daemon
