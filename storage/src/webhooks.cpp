// The webhook verbs (hd/storage/webhooks.hpp). The deliveries themselves are queued by the
// triggers of migration 15 ("webhook deliveries"), inside the transaction of each change.
#include "hd/storage/webhooks.hpp"

#include "store_impl.hpp"

#include <algorithm>
#include <tuple>

namespace hd::storage {
namespace {

constexpr const char* delivery_columns =
    "id, delivery_id, endpoint, event, payload, state, attempts, next_attempt_at, last_status, "
    "last_error, created_at, updated_at, delivered_at";

webhook_delivery read_delivery(const sql::statement& st) {
  webhook_delivery d;
  d.id = st.integer(0);
  d.delivery_id = st.text(1);
  d.endpoint = st.text(2);
  d.event = st.text(3);
  d.payload = st.text(4);
  d.state = st.text(5);
  d.attempts = static_cast<int>(st.integer(6));
  d.next_attempt_at = st.integer(7);
  d.last_status = st.opt_integer(8);
  d.last_error = st.opt_text(9);
  d.created_at = st.integer(10);
  d.updated_at = st.integer(11);
  d.delivered_at = st.opt_integer(12);
  return d;
}

// ?1 state, ?2 endpoint (NULL: any).
constexpr const char* filter_where =
    " WHERE (CAST(?1 AS TEXT) IS NULL OR state = ?1) AND (CAST(?2 AS TEXT) IS NULL OR endpoint = "
    "?2)";

}  // namespace

result<std::vector<webhook_subscription>, errc> webhook_subscriptions(store& s) {
  return guarded([&]() -> result<std::vector<webhook_subscription>, errc> {
    sql::statement st(connection_of(s),
                      "SELECT endpoint, event FROM webhook_subscriptions ORDER BY endpoint, event");
    std::vector<webhook_subscription> out;
    while (st.step()) out.push_back({st.text(0), st.text(1)});
    return out;
  });
}

result<void, errc> set_webhook_subscriptions(store& s,
                                             const std::vector<webhook_subscription>& subs) {
  std::vector<webhook_subscription> want = subs;
  std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) {
    return std::tie(a.endpoint, a.event) < std::tie(b.endpoint, b.event);
  });
  want.erase(std::unique(want.begin(), want.end()), want.end());
  auto have = webhook_subscriptions(s);
  if (!have) return have.error();
  if (*have == want) return {};
  return guarded([&]() -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    db.exec("DELETE FROM webhook_subscriptions");
    sql::statement ins(db, "INSERT INTO webhook_subscriptions (endpoint, event) VALUES (?1, ?2)");
    for (const webhook_subscription& w : want) {
      ins.bind(1, w.endpoint).bind(2, w.event).run();
      ins.reset();
    }
    tx.commit();
    return {};
  });
}

result<std::vector<webhook_delivery>, errc> list_webhook_deliveries(store& s,
                                                                    const webhook_filter& f) {
  return guarded([&]() -> result<std::vector<webhook_delivery>, errc> {
    sql::statement st(connection_of(s), std::string("SELECT ") + delivery_columns +
                                            " FROM webhook_deliveries" + filter_where +
                                            " ORDER BY id DESC LIMIT ?3 OFFSET ?4");
    st.bind(1, f.state).bind(2, f.endpoint).bind(3, f.limit).bind(4, f.offset);
    std::vector<webhook_delivery> out;
    while (st.step()) out.push_back(read_delivery(st));
    return out;
  });
}

result<std::int64_t, errc> count_webhook_deliveries(store& s, const webhook_filter& f) {
  return guarded([&]() -> result<std::int64_t, errc> {
    sql::statement st(connection_of(s),
                      std::string("SELECT COUNT(*) FROM webhook_deliveries") + filter_where);
    st.bind(1, f.state).bind(2, f.endpoint);
    st.step();
    return st.integer(0);
  });
}

result<std::vector<std::pair<std::string, std::int64_t>>, errc> webhook_delivery_counts(store& s) {
  return guarded([&]() -> result<std::vector<std::pair<std::string, std::int64_t>>, errc> {
    sql::statement st(
        connection_of(s),
        "SELECT state, COUNT(*) FROM webhook_deliveries GROUP BY state ORDER BY state");
    std::vector<std::pair<std::string, std::int64_t>> out;
    while (st.step()) out.emplace_back(st.text(0), st.integer(1));
    return out;
  });
}

result<std::vector<webhook_delivery>, errc> claim_webhook_deliveries(store& s, std::int64_t now,
                                                                     const std::string& endpoint,
                                                                     int limit) {
  return guarded([&]() -> result<std::vector<webhook_delivery>, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    sql::statement st(db, std::string("SELECT ") + delivery_columns +
                              " FROM webhook_deliveries WHERE state = 'queued' AND endpoint = ?3 "
                              "AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2" +
                              db.pick("", " FOR UPDATE SKIP LOCKED"));  // as claim_outbox
    st.bind(1, now).bind(2, limit).bind(3, endpoint);
    std::vector<webhook_delivery> out;
    while (st.step()) out.push_back(read_delivery(st));
    sql::statement up(db,
                      "UPDATE webhook_deliveries SET state = 'sending', attempts = attempts + 1, "
                      "updated_at = ?2 WHERE id = ?1");
    for (webhook_delivery& d : out) {
      up.bind(1, d.id).bind(2, now).run();
      up.reset();
      d.state = "sending";
      ++d.attempts;
    }
    tx.commit();
    return out;
  });
}

result<int, errc> requeue_sending_webhooks(store& s, std::int64_t now) {
  return guarded([&]() -> result<int, errc> {
    const sql::connection& db = connection_of(s);
    sql::statement st(db,
                      "UPDATE webhook_deliveries SET state = 'queued', next_attempt_at = ?1, "
                      "updated_at = ?1 WHERE state = 'sending'");
    st.bind(1, now).run();
    return db.changes();
  });
}

result<void, errc> record_webhook_attempt(store& s, std::int64_t id, std::int64_t now,
                                          bool delivered, long status, const std::string& error,
                                          std::optional<std::int64_t> retry_at, bool uncounted) {
  return guarded([&]() -> result<void, errc> {
    sql::statement st(connection_of(s),
                      "UPDATE webhook_deliveries SET state = ?2, last_status = ?3, last_error = "
                      "?4, next_attempt_at = coalesce(?5, next_attempt_at), updated_at = ?6, "
                      "delivered_at = CASE WHEN ?2 = 'delivered' THEN CAST(?6 AS BIGINT) END, "
                      "attempts = attempts - ?7 "
                      "WHERE id = ?1");
    const char* state = delivered ? "delivered" : retry_at ? "queued" : "failed";
    st.bind(1, id).bind(2, state);
    if (status > 0) {
      st.bind(3, static_cast<std::int64_t>(status));
    } else {
      st.bind_null(3);
    }
    if (error.empty()) {
      st.bind_null(4);
    } else {
      st.bind(4, error);
    }
    st.bind(5, retry_at).bind(6, now).bind(7, uncounted ? 1 : 0).run();
    return {};
  });
}

result<int, errc> prune_webhook_deliveries(store& s, const std::string& endpoint,
                                           std::int64_t before) {
  return guarded([&]() -> result<int, errc> {
    const sql::connection& db = connection_of(s);
    sql::statement st(db,
                      "DELETE FROM webhook_deliveries WHERE endpoint = ?1 AND state IN "
                      "('delivered', 'failed') AND updated_at < ?2");
    st.bind(1, endpoint).bind(2, before).run();
    return db.changes();
  });
}

result<void, errc> retry_webhook_delivery(store& s, std::int64_t id, std::int64_t now) {
  return guarded([&]() -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    sql::statement get(db, "SELECT state FROM webhook_deliveries WHERE id = ?1");
    get.bind(1, id);
    if (!get.step()) return fail(errc::not_found, fmt::format("no webhook delivery {}", id));
    std::string state = get.text(0);
    if (state != "failed" && state != "queued") {
      return fail(errc::invalid,
                  fmt::format("webhook delivery {} is {}, not failed or queued", id, state));
    }
    sql::statement up(db,
                      "UPDATE webhook_deliveries SET state = 'queued', attempts = 0, "
                      "next_attempt_at = ?2, updated_at = ?2 WHERE id = ?1");
    up.bind(1, id).bind(2, now).run();
    tx.commit();
    return {};
  });
}

}  // namespace hd::storage
