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

/// thread_target(S, M, NOW) names a request: the rules' `followup` test.
result<bool, errc> is_followup(store& s, const parsed_message& m, std::int64_t now);

/// Keeps a mail the rules discarded: the raw bytes plus a quarantine entry with REASON that
/// is already resolved as "discarded" (so it is on record but not in the to-do list). The
/// mailbox checkpoint advances. Idempotent for the same IMAP UID. Returns the entry's id.
/// OUTGOING, when set, runs inside that transaction (it may append to the reason) and what it
/// returns is queued in the outbox without a request (a redirect of a mail nobody keeps).
result<std::int64_t, errc> keep_discarded(
    store& s, const mail_source& src, std::string_view raw, std::string_view reason,
    std::int64_t now, const std::function<outgoing_result(std::string& reason)>& outgoing = {});

}  // namespace hd::storage
