#pragma once
// The directory: users (agents), categories with their members and assignment method, and
// priorities, as declared in the config and synced to the database at start and on reload.
// Also the queries routing needs: owner assignment, "is this a follow-up", and keeping a mail
// the rules discarded.

#include "hd/common/config.hpp"
#include "hd/storage/store.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace hd::storage {

struct directory_counts {
  int users = 0;
  int categories = 0;
  int priorities = 0;
};

/// Makes the database's users, categories (method, members in config order) and priorities
/// match CFG, in one transaction. Rows no longer in the config are marked inactive, never
/// deleted (requests refer to them). Returns how many of each the config declares.
result<directory_counts, errc> sync_directory(store& s, const config& cfg);

/// The owner for a new request in CATEGORY by its assignment method: "" for manual, for an
/// unknown category, or when every member is absent. round_robin takes the next present member
/// after the one assigned last (and remembers it); fewest_open the present member with the
/// fewest open or pending requests (ties: config order).
result<std::string, errc> pick_owner(store& s, std::string_view category);

/// The request M would be appended to if it were ingested at NOW, by ingest's own threading
/// search (docs/storage.md): the tag of a request the sender takes part in, else
/// In-Reply-To/References; merges followed. nullopt when ingest would make a new request,
/// which includes a reply to a request closed more than reopen_within_days before NOW (that
/// opens a new, linked one) and a mail without a sender. Read-only.
result<std::optional<std::int64_t>, errc> thread_target(store& s, const parsed_message& m,
                                                        std::int64_t now);

/// The whole threading decision for M at NOW, read-only (ingest's own search: docs/storage.md):
/// the request it joins, or none and what a new one is linked to. The intake's unit of work
/// asks it once, gives it to the rules (`followup`) and to ingest (inbound::thread).
result<thread_found, errc> thread_of(store& s, const parsed_message& m, std::int64_t now);

/// thread_target(S, M, NOW) names a request: the rules' `followup` test.
result<bool, errc> is_followup(store& s, const parsed_message& m, std::int64_t now);

/// A mail the rules discarded, on record: its quarantine entry, and whether this call made it
/// (false: the same mail was kept before, so nothing it decided must be done again).
struct discard_kept {
  std::int64_t id = 0;
  bool fresh = false;
};

/// Keeps a mail the rules discarded: the raw bytes plus a quarantine entry with REASON that
/// is already resolved as "discarded" (so it is on record but not in the to-do list). The
/// mailbox checkpoint advances. Idempotent for the same IMAP UID and for the same bytes from
/// the same mailbox. Redirects of a mail nobody keeps are queued by the caller's unit of work
/// (queue_mails with request 0), which then records them with set_discard_reason.
result<discard_kept, errc> keep_discarded(store& s, const mail_source& src, std::string_view raw,
                                          std::string_view reason, std::int64_t now);

/// Replaces the reason of discarded entry ID (e.g. "...; redirected to a@b").
result<void, errc> set_discard_reason(store& s, std::int64_t id, std::string_view reason);

}  // namespace hd::storage
