#pragma once
// `helpdeskd run`: one io_context on this thread runs a session per configured mailbox, a
// storage worker thread owns the database, and signals are handled in the loop: SIGTERM and
// SIGINT stop (the mail in hand is finished), SIGHUP reloads the configuration (keeping the
// running one when the new one is invalid).

#include "hd/common/config.hpp"
#include "hd/common/log.hpp"
#include "hd/storage/store.hpp"

#include <cstdint>
#include <functional>

namespace hd::daemon {

/// What the intake service needs from its surroundings (all used on the calling thread).
struct service_env {
  const logger& log;
  std::function<std::int64_t()> now;
  /// Re-reads the configuration file (SIGHUP).
  std::function<result<config, config_errc>()> reload;
};

/// Runs intake until stopped (ONCE: until every mailbox was polled once). Returns the exit
/// code: 0; in --once mode 75 (EX_TEMPFAIL) when a mailbox failed; as a service 75 when the
/// scheduled integrity check ([database] check_every_s) found the database damaged; 78 when
/// the rules of the configuration do not compile.
int run_intake(config cfg, storage::store db, const service_env& env, bool once);

}  // namespace hd::daemon
