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
#include <map>
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

/// What one round of take_leases did for a daemon.
struct lease_round_result {
  std::set<std::string> held;         ///< the mailboxes the daemon holds now
  std::set<std::string> handed_over;  ///< given up this round so another daemon takes them
};

/// Records DAEMON as alive at NOW (its heartbeat), with MAILBOXES as the list it serves, and
/// forgets daemons silent for ten lease times (killed without a clean stop). Then spreads
/// the mailboxes over the live daemons (assign_mailboxes: heartbeat within LEASE_S) and, for
/// each of MAILBOXES: takes or renews its lease until NOW + LEASE_S when the spread gives it
/// to DAEMON, or gives it up when DAEMON holds it and the spread gives it to another. A
/// mailbox becomes DAEMON's only when nobody holds it, DAEMON does already, or its holder's
/// lease has expired (a compare-and-set on the row, so two daemons never both win; a mailbox
/// given to another stays with its holder until that one gives it up). One transaction, the
/// mailboxes in name order (no deadlock between daemons). On SQLite: all of MAILBOXES held.
result<lease_round_result, errc> take_leases(store& s, const daemon_info& daemon,
                                             const std::vector<std::string>& mailboxes,
                                             std::int64_t now, int lease_s);

/// The spread take_leases uses, for every daemon alike (a pure function of the database's
/// state, so daemons that read the same state agree). SERVED_BY: each mailbox and the live
/// daemons whose configuration has it; HOLDER: each mailbox's live lease holder. Each daemon
/// gets at most ceil(mailboxes / daemons) (unless only it serves a mailbox); a holder keeps
/// what it holds within that share (no needless moves); the rest goes to the least loaded
/// daemon serving it, the mailboxes with the fewest candidates first, ties broken by a
/// stable hash of mailbox and daemon. Returns mailbox -> daemon.
std::map<std::string, std::string> assign_mailboxes(
    const std::map<std::string, std::vector<std::string>>& served_by,
    const std::map<std::string, std::string>& holder);

/// Gives up DAEMON's leases (at a clean stop), so that another daemon takes its mailboxes at
/// its next renewal instead of after the expiry, and removes the daemon. Nothing on SQLite.
result<void, errc> release_leases(store& s, const std::string& daemon_id);

/// Every lease and every daemon, by mailbox and by id (empty on SQLite).
result<std::vector<lease_info>, errc> list_leases(store& s);
result<std::vector<daemon_info>, errc> list_daemons(store& s);

}  // namespace hd::storage
