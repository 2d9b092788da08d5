#pragma once
// What the API's route files share: the context of one call and the answers.

#include "hd/api/api.hpp"
#include "hd/storage/access.hpp"
#include "hd/storage/workflow.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::daemon::api_detail {

using json = nlohmann::ordered_json;

/// Set by GET /api/events on an answer with no events yet: api::handle holds it back (and
/// strips the header) until an event happens or the wait is over.
constexpr std::string_view idle_marker = "x-helpdeskd-idle";

/// The authenticated caller.
struct caller {
  std::string login;
  user_role role = user_role::agent;
  std::string scope;  ///< read, write
  std::int64_t token_id = 0;
  std::string csrf;  ///< the CSRF token when the caller came with the session cookie, else empty
};

/// One call: the request, its path parameters, the store and the caller.
struct context {
  const http::request& req;
  storage::store& db;
  const api_env& env;
  const config& cfg;
  std::int64_t now = 0;
  std::vector<std::string> args;  ///< the {..} parts of the route, in order
  std::optional<caller> who;

  /// The acting user for a storage verb, with the If-Match version when one was sent.
  storage::acting acting() const;
  /// Path parameter I as a positive id; nullopt when it is not one.
  std::optional<std::int64_t> id_arg(std::size_t i) const;
};

/// An answer with a stable error code: {"error": {"code": CODE, "message": MESSAGE}}.
http::response fail(int status, std::string_view code, std::string_view message);
/// A JSON answer.
http::response ok(const json& body, int status = 200);
/// The answer for a storage error (5xx details are logged, not shown).
http::response storage_failure(const context& cx, const error<storage::errc>& e);

/// The request body as a JSON object (an empty body is {}); a 400 answer when it is not one,
/// is nested deeper than the configured limit, or is not UTF-8.
std::optional<json> body_object(const context& cx, http::response& err);

/// List paging: the default and the largest page.
constexpr int default_page = 50;
constexpr int max_page = 500;

/// S as a whole decimal number; nullopt for anything else.
std::optional<std::int64_t> to_int(std::string_view s);

/// The link to the next page of a list call: its path and query with CURSOR in place of any
/// cursor it had.
std::string next_link(const http::request& req, std::int64_t cursor);

/// "\"r12v7\"": the ETag of version V of request ID.
std::string etag(std::int64_t id, std::int64_t version);
/// The version named by an If-Match header for request ID; nullopt when none was sent; 0 when
/// it names another request or cannot be read (then it matches nothing: 412).
std::optional<std::int64_t> if_match(const http::request& req, std::int64_t id);

using handler_fn = http::response (*)(context&);
struct route {
  route_info info;
  handler_fn fn;
};

/// The routes of each file, in the order they are matched.
std::vector<route> request_routes();
std::vector<route> other_routes();
std::vector<route> webhook_routes();
std::vector<route> web_routes();
std::vector<route> admin_routes();
std::vector<route> content_routes();

/// Adds "unread": true/false to each request object of LIST (an array from to_json), for the
/// caller; false for all when that cannot be read (the markers are a convenience).
void mark_unread(context& cx, json& list);

}  // namespace hd::daemon::api_detail
