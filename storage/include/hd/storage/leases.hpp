#pragma once
// Mailbox leases: several daemons on one PostgreSQL database (issue 18, docs/scale-out.md).
// Each mailbox is taken by one daemon at a time through a row in mailbox_leases holding the
// daemon's id and an expiry; the holder renews it well before it expires, and when a daemon
// dies its leases run out and another daemon takes them. A lease row, not a session advisory
// lock: those break behind a connection pooler (PgBouncer's transaction mode).
//
// On SQLite there is one daemon per file (the file lock): every mailbox is always held and
// nothing is stored.

#include "hd/storage/store.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace hd::storage {

/// One daemon, as `status` lists it.
struct daemon_info {
  std::string id;  ///< unique per process: host, pid and a random part
  std::string host;
  std::int64_t pid = 0;
  std::int64_t started_at = 0;
  std::int64_t heartbeat_at = 0;
};

struct lease_info {
  std::string mailbox;
  std::string holder;  ///< a daemon_info::id
  std::int64_t heartbeat_at = 0;
  std::int64_t expires_at = 0;
};

/// Records DAEMON as alive at NOW (its heartbeat) and forgets daemons silent for ten lease
/// times (killed without a clean stop), then takes or renews the leases of
/// MAILBOXES for it until NOW + LEASE_S: a mailbox becomes DAEMON's when nobody holds it, when
/// DAEMON holds it already, or when its holder's lease has expired (a compare-and-set on the
/// row, so two daemons never both win). Returns the mailboxes DAEMON holds afterwards. Each
/// mailbox is its own statement in one transaction. On SQLite: MAILBOXES, unchanged.
result<std::set<std::string>, errc> take_leases(store& s, const daemon_info& daemon,
                                                const std::vector<std::string>& mailboxes,
                                                std::int64_t now, int lease_s);

/// Gives up DAEMON's leases (at a clean stop), so that another daemon takes its mailboxes at
/// its next renewal instead of after the expiry, and removes the daemon. Nothing on SQLite.
result<void, errc> release_leases(store& s, const std::string& daemon_id);

/// Every lease and every daemon, by mailbox and by id (empty on SQLite).
result<std::vector<lease_info>, errc> list_leases(store& s);
result<std::vector<daemon_info>, errc> list_daemons(store& s);

}  // namespace hd::storage
