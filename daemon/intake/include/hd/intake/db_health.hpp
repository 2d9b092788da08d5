#pragma once
// The integrity check a daemon runs before it takes mail ([database] check_on_start): a
// damaged database is noticed, reported loudly and not written into (docs/faults.md).

#include "hd/common/config.hpp"
#include "hd/common/log.hpp"
#include "hd/storage/store.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace hd::daemon {

struct db_health {
  bool checked = false;  ///< false when check_on_start = "off"
  bool ok = true;
  std::string problems;  ///< SQLite's report, "; "-joined, when not ok
  std::int64_t elapsed_ms = 0;
};

/// Opens cfg.database.path as it is (no migration, no write: call this before open_store)
/// and runs the configured check (quick_check or integrity_check), logged as `info db.check
/// result=ok elapsed_ms=N` or `error db.damaged ...`. On damage writes the mark file
/// (storage::damage_mark_path) that `status` shows; removes it when the check passes. A
/// database that does not exist yet is not checked. WHO names the caller in the log ("run",
/// "ingest"). Errors: errc::not_a_database (a wrong path: exit 78), busy or I/O when the
/// check could not run at all (a temporary failure).
result<db_health, storage::errc> check_before_intake(const config& cfg, const logger& log,
                                                     std::string_view who, std::int64_t now);

/// The damage mark of the database at DB_PATH ("" when there is none): one line saying when
/// and what a check found.
std::string read_damage_mark(const std::string& db_path);

}  // namespace hd::daemon
