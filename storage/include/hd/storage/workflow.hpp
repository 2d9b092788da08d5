#pragma once
// The agent workflow: what agents do to requests (accept, assign, transfer, note, close,
// reopen, postpone, set, flag, favourite, merge, split, create). Every verb checks that the
// transition is valid, changes the request in one transaction and records an event naming
// the agent. Invalid transitions are errc::invalid with a message a person can act on.

#include "hd/storage/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hd::storage {

/// Who acts: a user login (created in the users table if the config declared it but the
/// directory was not synced yet) and the time, seconds since the epoch.
struct acting {
  std::string login;
  std::int64_t now = 0;
  /// When set, the verb acts only if the request is still at this version (its ETag in the
  /// HTTP API; request_version), else errc::conflict and nothing changes.
  std::optional<std::int64_t> if_version = std::nullopt;
};

/// The version of a request: it grows with every change to it (ETag of the HTTP API).
result<std::int64_t, errc> request_version(store& s, std::int64_t request);

/// Takes ownership. An owned request needs `force` (then it is taken over, with an event).
result<void, errc> accept_request(store& s, std::int64_t request, const acting& by, bool force);
/// Makes `owner` the owner (empty: back to the unassigned queue).
result<void, errc> assign_request(store& s, std::int64_t request, const std::string& owner,
                                  const acting& by);
/// Assigns to `owner` and records `note` as an internal note (why it was handed over).
result<void, errc> transfer_request(store& s, std::int64_t request, const std::string& owner,
                                    const std::string& note, const acting& by);
/// Adds an internal note (never sent to the customer). Returns the message id.
result<std::int64_t, errc> add_note(store& s, std::int64_t request, const std::string& text,
                                    const acting& by);
result<void, errc> close_request(store& s, std::int64_t request, const acting& by);
result<void, errc> reopen_request(store& s, std::int64_t request, const acting& by);
/// Sets the request pending until `until` (must be in the future); the daemon wakes it.
result<void, errc> postpone_request(store& s, std::int64_t request, std::int64_t until,
                                    const acting& by);
/// Wakes every pending request whose time has come (back to open). Returns how many.
result<int, errc> wake_postponed(store& s, std::int64_t now);

struct request_changes {
  std::optional<std::string> title;
  std::optional<std::string> priority;
  std::optional<std::string> category;  ///< must exist in the categories table
  std::vector<std::string> add_tags;
  std::vector<std::string> remove_tags;
};
result<void, errc> set_request(store& s, std::int64_t request, const request_changes& c,
                               const acting& by);

/// Flags or unflags one message (of any request).
result<void, errc> flag_message(store& s, std::int64_t message, bool on, const acting& by);
/// Adds the request to (or removes it from) the agent's favourites.
result<void, errc> favourite_request(store& s, std::int64_t request, bool on, const acting& by);

/// Merges `request` into `master`: its messages move to the master, it becomes 'merged', and
/// later mail threading to it lands in the master. Merging into itself, into a merged
/// request, or a merged request, is invalid.
result<void, errc> merge_request(store& s, std::int64_t request, std::int64_t master,
                                 const acting& by);
/// Moves the given messages of `request` into a new request (same person, category,
/// priority; title from the first moved message). Returns the new request's id.
result<std::int64_t, errc> split_request(store& s, std::int64_t request,
                                         const std::vector<std::int64_t>& messages,
                                         const acting& by);

/// Queues mail an agent wrote about a request (a reply to the customer, a forward to an
/// external party) in the outbox, records it as an outbound message of the request and an
/// event ("replied" / "forwarded"), and — for a reply — marks the first response. One
/// transaction. Returns the outbox id.
result<std::int64_t, errc> queue_agent_mail(store& s, std::int64_t request, const outgoing_mail& m,
                                            const acting& by);

/// A request registered by an agent (a phone call): person found or created by address.
struct new_request {
  std::string person_address;
  std::string person_name;
  std::string title;
  std::string text;
  std::string category;
  std::string priority;
};
/// Registers R in one transaction: the person found by address (or created), the caller's
/// words as the first message, a "created" event, and — when OWNER is given (the category's
/// assignment method picked one) — the owner with an "assigned" event. Returns the id.
result<std::int64_t, errc> create_request(store& s, const new_request& r, const acting& by,
                                          std::string_view owner = {});

}  // namespace hd::storage
