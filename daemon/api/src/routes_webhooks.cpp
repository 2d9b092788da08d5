// /api/webhooks: the webhook delivery log (admins). See docs/api.md, "Webhooks".
#include "api_impl.hpp"
#include "hd/api/json.hpp"
#include "hd/storage/webhooks.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace hd::daemon::api_detail {
namespace {

json delivery_json(const storage::webhook_delivery& d) {
  json payload = json::parse(d.payload, nullptr, false);
  return {{"id", d.id},
          {"delivery_id", d.delivery_id},
          {"endpoint", d.endpoint},
          {"event", d.event},
          {"state", d.state},
          {"attempts", d.attempts},
          {"next_attempt_at", iso8601(d.next_attempt_at)},
          {"last_status", d.last_status ? json(*d.last_status) : json(nullptr)},
          {"last_error", d.last_error ? json(*d.last_error) : json(nullptr)},
          {"created_at", iso8601(d.created_at)},
          {"updated_at", iso8601(d.updated_at)},
          {"delivered_at", d.delivered_at ? json(iso8601(*d.delivered_at)) : json(nullptr)},
          {"payload", payload.is_discarded() ? json(nullptr) : payload}};
}

http::response deliveries(context& cx) {
  storage::webhook_filter f;
  f.limit = default_page;
  if (auto s = cx.req.param("state")) {
    static constexpr std::string_view states[] = {"queued", "sending", "delivered", "failed"};
    if (std::find(std::begin(states), std::end(states), *s) == std::end(states))
      return fail(400, "bad_parameter", "state is one of queued, sending, delivered, failed");
    f.state = std::string(*s);
  }
  if (auto e = cx.req.param("endpoint")) f.endpoint = std::string(*e);
  for (const char* name : {"limit", "cursor"}) {
    auto v = cx.req.param(name);
    if (!v) continue;
    std::optional<std::int64_t> n = to_int(*v);
    if (!n || *n < 0) return fail(400, "bad_parameter", fmt::format("{} must be a number", name));
    if (std::string_view(name) == "limit") {
      f.limit = static_cast<int>(std::clamp<std::int64_t>(*n, 1, max_page));
    } else {
      f.offset = *n;
    }
  }
  auto total = storage::count_webhook_deliveries(cx.db, f);
  if (!total) return storage_failure(cx, total.error());
  auto rows = storage::list_webhook_deliveries(cx.db, f);
  if (!rows) return storage_failure(cx, rows.error());
  json list = json::array();
  for (const auto& d : *rows) list.push_back(delivery_json(d));
  std::int64_t end = f.offset + static_cast<std::int64_t>(rows->size());
  bool more = end < *total && !rows->empty();
  return ok(json{{"deliveries", list},
                 {"total", *total},
                 {"next", more ? json(next_link(cx.req, end)) : json(nullptr)}});
}

// A failed (or queued) delivery queued again, due now, its attempts counted afresh.
http::response retry(context& cx) {
  std::optional<std::int64_t> id = cx.id_arg(0);
  if (!id) return fail(404, "not_found", "there is no such delivery");
  auto r = storage::retry_webhook_delivery(cx.db, *id, cx.now);
  if (!r) return storage_failure(cx, r.error());  // 422 invalid: it is sending or delivered
  return ok(json{{"id", *id}, {"state", "queued"}});
}

}  // namespace

std::vector<route> webhook_routes() {
  return {
      {{"GET", "/api/webhooks/deliveries", access::admin}, deliveries},
      {{"POST", "/api/webhooks/deliveries/{id}/retry", access::admin}, retry},
  };
}

}  // namespace hd::daemon::api_detail
