#pragma once
// The intake pipeline shared by pipe mode (`helpdeskd ingest`) and IMAP intake:
// size check -> parse -> route -> store (one transaction). Quarantines what cannot become a
// request, so the raw mail is always kept.

#include "hd/common/config.hpp"
#include "hd/storage/store.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace hd::daemon {

enum class intake_status {
  stored,        ///< a new request, or a message appended to one
  duplicate,     ///< seen before; nothing written
  quarantined,   ///< kept raw with a reason; no request
  temp_failure,  ///< nothing written (database busy, disk full ...): try again later
};

struct intake_result {
  intake_status status = intake_status::stored;
  storage::ingest_outcome outcome;  ///< for stored and duplicate
  std::int64_t quarantine_id = 0;   ///< for quarantined
  std::string reason;               ///< why it was quarantined or failed
};

/// What the pipeline needs besides the mail itself; built once at start (and on reload).
/// Steps that need more (compiled rules, loaded templates) add a field here with a default,
/// so callers that do not set it keep working.
struct intake_context {
  const config& cfg;
  storage::store& db;
};

/// Runs one raw mail through the pipeline. `now` is seconds since the epoch.
intake_result intake(const intake_context& cx, const storage::mail_source& src,
                     std::string_view raw, std::int64_t now);

/// Opens the database named by the config with its options (and migrates it).
result<storage::store, storage::errc> open_store(const config& cfg);

}  // namespace hd::daemon
