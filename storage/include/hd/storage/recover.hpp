#pragma once
// Recovery of a damaged database: every row that can still be read, copied into a new file
// with the current schema (docs/faults.md, "A damaged database").

#include "hd/storage/store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace hd::storage {

struct table_recovery {
  std::string table;
  std::int64_t copied = 0;      ///< rows copied
  std::int64_t unreadable = 0;  ///< rowids in the table's range that could not be read (a
                                ///< table WITHOUT ROWID is copied whole or not: 1)
  bool rebuilt = false;         ///< derived (a full-text index, a counter): rebuilt, not copied
};

/// Creates DEST (a new file; an existing one is refused with errc::invalid) with the current
/// schema and copies into it every row of SRC that can be read, table by table in ranges of
/// rowids; a range that cannot be read is split until the unreadable rows are found and
/// skipped. Tables that triggers maintain (the full-text index and its queue, counters) are
/// rebuilt from the copied rows instead. SRC is only read. DEST is integrity-checked; on
/// any error it is removed. Takes time linear in SRC's size.
result<std::vector<table_recovery>, errc> recover_to(store& src, const std::string& src_path,
                                                     const std::string& dest);

}  // namespace hd::storage
