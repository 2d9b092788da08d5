#pragma once
// Integrity of the database file: SQLite's quick_check (pages, b-trees, no index contents)
// or integrity_check (also every index against its table). A damaged database is reported,
// never written into by intake: see docs/faults.md, "A damaged database".

#include "hd/storage/store.hpp"

#include <string>
#include <vector>

namespace hd::storage {

enum class check_depth { quick, full };

struct integrity_report {
  bool ok = false;
  std::vector<std::string> problems;  ///< SQLite's own lines, at most max_problems of them
};

/// Runs PRAGMA quick_check (or integrity_check for check_depth::full) on the open database.
/// Damage, including a check that cannot even read the file ("database disk image is
/// malformed"), is a report with ok = false, not an error; errors are errc::busy (another
/// process holds a lock past busy_timeout) and errc::io (the file cannot be read). Reads only.
/// Takes time linear in the file's size (docs/faults.md has figures).
result<integrity_report, errc> check_integrity(store& s, check_depth depth, int max_problems = 20);

/// Where the daemon notes damage it found, beside the database (DB_PATH + ".damaged"), so
/// that `status` can show it without checking again; removed by the next check that passes.
std::string damage_mark_path(const std::string& db_path);

}  // namespace hd::storage
