#pragma once
// Which mailboxes this daemon may fetch (issue 18, docs/scale-out.md): on PostgreSQL, the
// ones whose lease it holds; the event loop renews the leases and writes them here, the
// mailbox sessions read them. On SQLite it is never enabled and every mailbox is held. Used
// on the loop thread only.

#include <set>
#include <string>

namespace hd::daemon {

class lease_book {
 public:
  bool enabled() const { return enabled_; }
  void enable() { enabled_ = true; }
  bool holds(const std::string& mailbox) const { return !enabled_ || held_.contains(mailbox); }
  const std::set<std::string>& held() const { return held_; }
  void set(std::set<std::string> held) { held_ = std::move(held); }

 private:
  bool enabled_ = false;
  std::set<std::string> held_;
};

}  // namespace hd::daemon
