#pragma once
// File descriptors for `run`: how many the configuration needs, and the soft limit raised to
// fit (a process starts with a soft limit of 1,024 under systemd and most shells, which would
// stop a daemon of many mailboxes at about a thousand connections).

#include "hd/common/config.hpp"

#include <cstdint>

namespace hd::daemon {

/// Descriptors `run` keeps for itself beyond its connections: SQLite's database, journal and
/// lock files for each of its connections, the loop's epoll and eventfd, curl's wake-up pairs,
/// the standard streams, the signal and notify sockets, with room to spare.
inline constexpr std::int64_t k_descriptor_reserve = 64;

/// Descriptors of one IMAP connection: its socket. The connections on the loop connect through
/// one curl multi handle (one wake-up socket pair for them all, in the reserve), each with a
/// connection cache of its own — docs/intake.md, "Event loop".
inline constexpr std::int64_t k_descriptors_per_imap_connection = 1;

/// Descriptors of one IMAP connection attempt beyond its socket, while it connects: libcurl's
/// threaded resolver's socket pair (a host name, not an address). At most
/// [imap] max_connecting_per_server attempts per server are in progress at once.
inline constexpr std::int64_t k_descriptors_per_imap_attempt = 2;

/// What CFG can have open at once: k_descriptors_per_imap_connection per mailbox and
/// k_descriptors_per_imap_attempt per attempt it can have in progress (per server, the smaller
/// of its mailboxes and max_connecting_per_server), the SMTP transfers ([smtp] max_parallel),
/// the webhook POSTs (each endpoint's max_parallel), the HTTP API's connections ([http]
/// max_connections) and its listening socket, plus k_descriptor_reserve.
std::int64_t descriptors_needed(const config& cfg);

struct descriptor_limit {
  std::int64_t soft = 0;  ///< RLIMIT_NOFILE's soft limit after fit_descriptor_limit
  std::int64_t hard = 0;  ///< its hard limit (the ceiling; LimitNOFILE= in the unit)
  bool raised = false;    ///< the soft limit was raised
  /// Whether NEEDED fits under the soft limit now.
  bool fits(std::int64_t needed) const { return soft >= needed; }
};

/// Raises the soft RLIMIT_NOFILE to NEEDED when it is lower, never above the hard limit and
/// never lowering it. A process that may not change it (systemd's SystemCallFilter) keeps it.
descriptor_limit fit_descriptor_limit(std::int64_t needed);

}  // namespace hd::daemon
