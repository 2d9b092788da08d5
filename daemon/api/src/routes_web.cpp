// What the web app needs beyond the agents' verbs (docs/web.md): unread markers, the agent's
// language and time zone, and the live feed of events (Server-Sent Events).
#include "api_impl.hpp"
#include "hd/api/json.hpp"
#include "hd/storage/agent_state.hpp"

#include <fmt/format.h>

#include <array>

namespace hd::daemon::api_detail {

void mark_unread(context& cx, json& list) {
  std::vector<std::int64_t> ids;
  for (const json& r : list) ids.push_back(r.value("id", std::int64_t{0}));
  auto unread = storage::unread_among(cx.db, cx.who->login, ids);
  for (json& r : list) r["unread"] = unread && unread->contains(r.value("id", std::int64_t{0}));
}

namespace {

// The languages of the app's interface (daemon/api/web/i18n.js).
constexpr std::array<std::string_view, 5> web_languages = {"en", "nl", "nb", "sv", "de"};

// An IANA zone name as the browser's Intl API takes it: letters, digits and _+-/ only.
bool plausible_zone(std::string_view z) {
  if (z.size() > 64) return false;
  for (char c : z) {
    bool okc = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '+' || c == '-' || c == '/';
    if (!okc) return false;
  }
  return true;
}

http::response set_preferences(context& cx) {
  http::response err;
  std::optional<json> b = body_object(cx, err);
  if (!b) return err;
  storage::agent_preferences p;
  try {
    p.language = b->value("language", std::string());
    p.time_zone = b->value("time_zone", std::string());
  } catch (const json::exception&) {
    return fail(422, "invalid", "language and time_zone are strings");
  }
  bool known = p.language.empty();
  for (std::string_view l : web_languages) known = known || p.language == l;
  if (!known) return fail(422, "invalid", "language is one of en, nl, nb, sv, de (or empty)");
  if (!plausible_zone(p.time_zone))
    return fail(422, "invalid", "time_zone is an IANA name such as Europe/Oslo (or empty)");
  if (auto r = storage::set_preferences(cx.db, cx.who->login, p, cx.now); !r)
    return storage_failure(cx, r.error());
  return ok(json{{"language", p.language}, {"time_zone", p.time_zone}});
}

http::response mark_read(context& cx) {
  std::optional<std::int64_t> id = cx.id_arg(0);
  if (!id) return fail(404, "not_found", "there is no such request");
  if (auto r = storage::mark_read(cx.db, cx.who->login, *id, cx.now); !r)
    return storage_failure(cx, r.error());
  return ok(json{{"ok", true}, {"action", "read"}, {"request", *id}});
}

// GET /api/events: the events after Last-Event-ID (or ?after=) as an event stream, at most
// 100. With neither, it names the newest event, so a page starts from now. api::handle keeps
// an answer with no events open until one happens or [http] events_wait_s passes.
http::response events(context& cx) {
  std::optional<std::string_view> from = cx.req.header("last-event-id");
  if (!from) from = cx.req.param("after");
  std::optional<std::int64_t> after;
  if (from) {
    after = to_int(*from);
    if (!after || *after < 0)
      return fail(400, "bad_parameter", "Last-Event-ID or after must be an event id");
  }
  http::response r;
  r.content_type = "text/event-stream; charset=utf-8";
  r.body = "retry: 1000\n\n";
  if (!after) {
    auto last = storage::last_event_id(cx.db);
    if (!last) return storage_failure(cx, last.error());
    r.body += fmt::format("id: {}\n\n", *last);
    return r;
  }
  auto list = storage::events_after(cx.db, *after, 100);
  if (!list) return storage_failure(cx, list.error());
  if (list->empty()) {
    r.headers.emplace_back(std::string(idle_marker), "1");
    return r;
  }
  for (const storage::feed_event& e : *list) {
    json d{{"id", e.id},
           {"request", e.request_id == 0 ? json(nullptr) : json(e.request_id)},
           {"kind", e.kind},
           {"actor", e.actor},
           {"at", iso8601(e.at)}};
    r.body += fmt::format("id: {}\nevent: change\ndata: {}\n\n", e.id,
                          d.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  return r;
}

}  // namespace

std::vector<route> web_routes() {
  return {
      {{"POST", "/api/me/preferences", access::read}, set_preferences},
      {{"POST", "/api/requests/{id}/read", access::read}, mark_read},
      {{"GET", "/api/events", access::read}, events},
  };
}

}  // namespace hd::daemon::api_detail
