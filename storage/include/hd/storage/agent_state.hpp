#pragma once
// What the web app keeps per agent (docs/web.md): which requests they have read (for the
// unread markers), their language and time zone, and the feed of events that keeps open
// pages current (GET /api/events).

#include "hd/storage/store.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace hd::storage {

/// LOGIN has now seen every message of request ID (the markers count mail newer than this).
result<void, errc> mark_read(store& s, const std::string& login, std::int64_t request_id,
                             std::int64_t now);

/// Those of IDS with customer mail LOGIN has not seen: an inbound message newer than the
/// newest message when they last opened the request, or any inbound mail if they never did.
result<std::set<std::int64_t>, errc> unread_among(store& s, const std::string& login,
                                                  const std::vector<std::int64_t>& ids);

struct agent_preferences {
  std::string language;   ///< "en", "nl", "nb", "sv", "de"; empty: the browser's choice
  std::string time_zone;  ///< an IANA name ("Europe/Oslo"); empty: the browser's zone
};

/// LOGIN's preferences (empty fields when none were saved).
result<agent_preferences, errc> preferences(store& s, const std::string& login);
/// Saves LOGIN's preferences. The caller checks the values (see web_languages in daemon/api).
result<void, errc> set_preferences(store& s, const std::string& login, const agent_preferences& p,
                                   std::int64_t now);

/// One entry of the events table, for the live feed.
struct feed_event {
  std::int64_t id = 0;
  std::int64_t request_id = 0;  ///< 0 for events of no request
  std::int64_t at = 0;
  std::string actor;  ///< "system", "rules", or a user login
  std::string kind;
};

/// The events after AFTER, oldest first, at most LIMIT.
result<std::vector<feed_event>, errc> events_after(store& s, std::int64_t after, int limit);
/// The newest event's id (0 when there is none).
result<std::int64_t, errc> last_event_id(store& s);

}  // namespace hd::storage
