#pragma once
// Reprocessing a quarantined mail (after a fix to the rules, the config or the parser): its
// raw bytes run through the pipeline again and the entry is resolved with what became of
// them. One implementation for `helpdeskd quarantine reprocess` and the API's admin route.

#include "hd/intake/pipeline.hpp"
#include "hd/storage/quarantine.hpp"

#include <string>

namespace hd::daemon {

struct reprocessed {
  storage::quarantine_entry entry;      ///< the entry, resolved
  intake_result result;                 ///< what the pipeline did with the mail
  std::optional<std::int64_t> request;  ///< the request it went to (none when quarantined again)
};

/// Runs quarantine entry ID through the pipeline of CX as ACTOR. An error (never a throw) when
/// the entry is unknown, resolved already or purged (errc::invalid), on a storage failure, or
/// when the pipeline failed for now (errc::busy: nothing changed; try again).
result<reprocessed, storage::errc> reprocess_quarantined(const intake_context& cx, std::int64_t id,
                                                         std::string_view actor, std::int64_t now);

}  // namespace hd::daemon
