#pragma once
// The quarantine: mail that could not become a request, kept raw with the reason. Entries are
// never deleted: reprocessing or dropping one resolves it (who, when, how) and leaves an event;
// dropping with purge also erases the raw bytes but keeps their size and SHA-256.

#include "hd/storage/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::storage {

struct quarantine_entry {
  std::int64_t id = 0;
  std::string reason;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> resolved_at;
  std::optional<std::string> resolution;  ///< e.g. "reprocessed: request 12", "dropped"
  std::int64_t raw_id = 0;
  std::int64_t size = 0;  ///< of the raw mail as received (kept after a purge)
  std::string sha256;
  bool purged = false;  ///< the raw bytes were erased
  mail_source source;   ///< where it came from
};

/// Entries, oldest first; only unresolved ones unless INCLUDE_RESOLVED.
result<std::vector<quarantine_entry>, errc> list_quarantine(store& s, bool include_resolved);
/// Entry ID. errc::not_found when none.
result<quarantine_entry, errc> show_quarantine(store& s, std::int64_t id);
/// The raw bytes of entry ID (empty after a purge). errc::not_found when none.
result<std::string, errc> quarantine_raw(store& s, std::int64_t id);

/// Marks entry ID resolved with RESOLUTION, recording an event by ACTOR (linked to REQUEST
/// when the mail became or joined one). errc::invalid when it was resolved already.
result<quarantine_entry, errc> resolve_quarantine(store& s, std::int64_t id,
                                                  std::string_view resolution,
                                                  std::string_view actor,
                                                  std::optional<std::int64_t> request,
                                                  std::int64_t now);

/// Resolves entry ID as "dropped" (by ACTOR, with an optional NOTE). With PURGE the raw bytes
/// are erased too (for mail that must not be kept); the entry, reason, size and SHA-256 stay.
/// errc::invalid when it was resolved already (purging a dropped entry is allowed).
result<quarantine_entry, errc> drop_quarantine(store& s, std::int64_t id, std::string_view actor,
                                               std::string_view note, bool purge, std::int64_t now);

}  // namespace hd::storage
