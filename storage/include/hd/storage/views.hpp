#pragma once
// What an agent looks at: deadlines, the dashboard, the next request to take.

#include "hd/common/config.hpp"
#include "hd/storage/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hd::storage {

/// Gives every request that has none yet its due times, from its priority's targets (the
/// config's [[priority]] list; 0 hours = no target) and its
/// creation time. A priority change clears them, so they are recomputed. Returns how many
/// requests got due times. Cheap when there is nothing to do (an index finds the new ones).
result<int, errc> apply_deadlines(store& s, const std::vector<priority_config>& targets);

/// Records the first response to the customer (the first agent reply), once.
result<void, errc> mark_first_response(store& s, std::int64_t request, std::int64_t at);

/// One line of a queue view.
struct queue_item {
  std::int64_t id = 0;
  std::string title;
  std::string status;
  std::string priority;
  std::string category;
  std::string owner;
  std::string person;  ///< name, else address
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::optional<std::int64_t> postponed_until;
  std::optional<std::int64_t> first_response_due;  ///< only while no response was sent
  std::optional<std::int64_t> resolution_due;      ///< only while not closed
  bool overdue = false;
  bool favourite = false;
};

struct dashboard_view {
  std::vector<queue_item> mine;        ///< open requests I own, nearest deadline first
  std::vector<queue_item> unassigned;  ///< open, no owner, in my categories (all if I have none)
  std::vector<queue_item> waking;      ///< pending, waking before the end of today (UTC)
  std::vector<queue_item> overdue;     ///< open and past a due time, anyone's
  std::vector<queue_item> favourites;  ///< my favourites that are not closed
};

/// The dashboard of agent `login` at time `now`.
result<dashboard_view, errc> dashboard(store& s, const std::string& login, std::int64_t now);

/// Takes the next unassigned open request of the agent's categories (all categories if the
/// agent is in none), nearest deadline first, then oldest: assigns it to them and records an
/// event, in one transaction. nullopt when the queue is empty.
result<std::optional<queue_item>, errc> take_next(store& s, const std::string& login,
                                                  std::int64_t now);

/// Open requests per owner login ("" = unassigned) and per category name.
struct open_counts {
  std::vector<std::pair<std::string, std::int64_t>> by_owner;
  std::vector<std::pair<std::string, std::int64_t>> by_category;
  std::vector<std::pair<std::string, std::int64_t>> by_priority;
};
result<open_counts, errc> count_open(store& s);

}  // namespace hd::storage
