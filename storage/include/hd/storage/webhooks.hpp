#pragma once
// Webhook deliveries (docs/api.md, "Webhooks"). The schema's triggers queue a delivery for
// every subscribed endpoint in the transaction of the change itself; these verbs keep the
// subscriptions in step with the configuration and let the sender claim, record and retry.

#include "hd/storage/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hd::storage {

/// One endpoint's interest in one event ("request.created", ...).
struct webhook_subscription {
  std::string endpoint;
  std::string event;
  bool operator==(const webhook_subscription&) const = default;
};

/// One row of the delivery log.
struct webhook_delivery {
  std::int64_t id = 0;      ///< row id (for `webhooks retry`)
  std::string delivery_id;  ///< 32 hex digits, sent as X-Helpdeskd-Delivery
  std::string endpoint;
  std::string event;
  std::string payload;  ///< the JSON body
  std::string state;    ///< queued, sending, delivered, failed
  int attempts = 0;
  std::int64_t next_attempt_at = 0;
  std::optional<std::int64_t> last_status;  ///< HTTP status of the last attempt
  std::optional<std::string> last_error;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::optional<std::int64_t> delivered_at;
};

/// Replaces the stored subscriptions with SUBS (one transaction; nothing is written when they
/// are already the same). Deliveries already queued are kept.
result<void, errc> set_webhook_subscriptions(store& s,
                                             const std::vector<webhook_subscription>& subs);
result<std::vector<webhook_subscription>, errc> webhook_subscriptions(store& s);

struct webhook_filter {
  std::optional<std::string> state;  ///< queued, sending, delivered, failed
  std::optional<std::string> endpoint;
  int limit = 100;
  std::int64_t offset = 0;
};

/// Deliveries matching F, newest first, with their payloads.
result<std::vector<webhook_delivery>, errc> list_webhook_deliveries(store& s,
                                                                    const webhook_filter& f);
/// How many match F (its limit and offset ignored).
result<std::int64_t, errc> count_webhook_deliveries(store& s, const webhook_filter& f);
/// Deliveries per state, for metrics: (state, count).
result<std::vector<std::pair<std::string, std::int64_t>>, errc> webhook_delivery_counts(store& s);

/// Moves up to LIMIT queued deliveries for ENDPOINT due at NOW to 'sending' (attempts + 1)
/// and returns them, oldest first.
result<std::vector<webhook_delivery>, errc> claim_webhook_deliveries(store& s, std::int64_t now,
                                                                     const std::string& endpoint,
                                                                     int limit);
/// Every 'sending' delivery back to 'queued', due at NOW (the sender starts: whatever it had
/// in flight was interrupted; the receiver may have it, so it is sent again with the same
/// delivery id). Returns how many.
result<int, errc> requeue_sending_webhooks(store& s, std::int64_t now);

/// The result of one attempt: delivered (a 2xx), or retried at RETRY_AT, or failed for good
/// when RETRY_AT is empty. STATUS is the HTTP status (0: none), ERROR what went wrong.
/// UNCOUNTED: the claim's attempt was not made (its endpoint is gone): attempts - 1.
result<void, errc> record_webhook_attempt(store& s, std::int64_t id, std::int64_t now,
                                          bool delivered, long status, const std::string& error,
                                          std::optional<std::int64_t> retry_at,
                                          bool uncounted = false);

/// Deletes ENDPOINT's delivered and failed deliveries last changed before BEFORE (the log's
/// retention). Returns how many.
result<int, errc> prune_webhook_deliveries(store& s, const std::string& endpoint,
                                           std::int64_t before);

/// A failed (or queued) delivery queued again at NOW with its attempts reset (`webhooks
/// retry`). errc::not_found for no such row, errc::invalid for one delivered or sending.
result<void, errc> retry_webhook_delivery(store& s, std::int64_t id, std::int64_t now);

}  // namespace hd::storage
