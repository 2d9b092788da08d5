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
  std::string check;  ///< "quick_check" or "integrity_check", when checked
};

/// Opens cfg.database.path as it is (no migration, no write: call this before open_store)
/// and runs the configured check (quick_check or integrity_check), logged as `info db.check
/// result=ok elapsed_ms=N` or `error db.damaged ...`. On damage writes the mark file
/// (storage::damage_mark_path) that `status` shows; removes it when the check passes. A
/// database that does not exist yet is not checked. WHO names the caller in the log ("run",
/// "ingest"). Errors: errc::not_a_database (a wrong path: exit 78), busy or I/O when the
/// check could not run at all (a temporary failure).
///
/// REUSE_WITHIN_S > 0 (pipe mode): a passing check less than that many seconds old is trusted
/// and no check runs, so a mail does not pay for reading the whole database, but only while
/// the database file is as the last check or our own last write left it (size and
/// modification time, kept in the stamp file PATH + ".checked"): a file changed by anyone else
/// (a bad copy, dd, another process's checkpoint) is checked again. With a damage mark present
/// the check always runs.
result<db_health, storage::errc> check_before_intake(const config& cfg, const logger& log,
                                                     std::string_view who, std::int64_t now,
                                                     std::int64_t reuse_within_s = 0);

/// The check of check_before_intake without its log line, for a thread that must not log
/// (the scheduled check of `run`, docs/architecture.md): writes or removes the damage mark and
/// the check stamp as it does; log the result with log_db_health on the loop thread.
/// READ_ONLY opens the file read-only (beside a running daemon, whose WAL files exist).
result<db_health, storage::errc> check_database(const config& cfg, std::string_view who,
                                                std::int64_t now, std::int64_t reuse_within_s,
                                                bool read_only);

/// Logs a check that ran (H.checked): `info db.check by=WHO check=... result=ok elapsed_ms=N`
/// or `error db.damaged by=WHO ... problems="..." action="..."`.
void log_db_health(const logger& log, const config& cfg, std::string_view who, const db_health& h);

/// Records the database file as our own write left it in the check stamp (when there is one),
/// so the next `ingest` may trust the last check. Call after the store is closed.
void note_own_write(const config& cfg);

/// How long `ingest` trusts a passing check (seconds). quick_check reads the whole file (6.7 s
/// for a 1.1 GB database here): run per mail it made pipe mode into a disk scan per mail.
constexpr std::int64_t ingest_check_reuse_s = 3600;

/// The damage mark of the database at DB_PATH ("" when there is none): one line saying when
/// and what a check found.
std::string read_damage_mark(const std::string& db_path);

}  // namespace hd::daemon
