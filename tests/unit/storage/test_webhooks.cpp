// Webhook deliveries: queued by the schema's triggers in the transaction of each change, only
// for subscribed endpoints; claimed, recorded, retried and recovered by the verbs.
#include "hd/storage/outbox.hpp"
#include "hd/storage/webhooks.hpp"
#include "hd/storage/workflow.hpp"
#include "storage_test.hpp"

#include <doctest/doctest.h>

namespace {

using namespace hd::storage;
using storage_test::mail;

const std::vector<webhook_subscription> all_events = {
    {"crm", "request.created"},        {"crm", "message.received"}, {"crm", "request.assigned"},
    {"crm", "request.status_changed"}, {"crm", "message.sent"},
};

std::vector<webhook_delivery> deliveries(store& s) {
  webhook_filter f;
  f.limit = 1000;
  auto d = list_webhook_deliveries(s, f);
  REQUIRE_MESSAGE(d.has_value(), (d ? "" : d.error().message));
  std::reverse(d->begin(), d->end());  // oldest first
  return *d;
}

std::vector<std::string> events_of(const std::vector<webhook_delivery>& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds) out.push_back(d.endpoint + " " + d.event);
  return out;
}

bool has(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("webhooks: no subscription, no delivery") {
  store s = storage_test::open_memory();
  storage_test::ingest(s, mail("kari@example.no", "Printer", "m1@x"), "raw1");
  CHECK(deliveries(s).empty());
}

TEST_CASE("webhooks: every event queues one delivery per subscribed endpoint") {
  store s = storage_test::open_memory();
  REQUIRE(set_webhook_subscriptions(s, all_events).has_value());
  REQUIRE(set_webhook_subscriptions(s, all_events).has_value());  // the same again: no change
  auto first = storage_test::ingest(s, mail("kari@example.no", "Printer", "m1@x"), "raw1", 1000);
  std::int64_t id = first.request_id;
  std::vector<webhook_delivery> got = deliveries(s);
  CHECK(events_of(got) == std::vector<std::string>{"crm request.created", "crm message.received"});
  CHECK(has(got[0].payload, "\"event\":\"request.created\""));
  CHECK(has(got[0].payload, "\"title\":\"Printer\""));
  CHECK(has(got[0].payload, "\"address\":\"kari@example.no\""));
  CHECK(has(got[0].payload, "\"occurred_at\":\"1970-01-01T00:16:40Z\""));
  CHECK(has(got[1].payload, "\"subject\":\"Printer\""));
  CHECK(got[0].delivery_id.size() == 32);
  CHECK(got[0].delivery_id != got[1].delivery_id);
  CHECK(got[0].state == "queued");
  CHECK(got[0].next_attempt_at == 1000);

  storage_test::ingest(s, mail("kari@example.no", "Re: Printer " + storage_test::tag(id), "m2@x"),
                       "raw2", 1100);
  acting anna{"anna", 1200};
  REQUIRE(accept_request(s, id, anna, false).has_value());
  REQUIRE(close_request(s, id, anna).has_value());
  got = deliveries(s);
  std::vector<std::string> want = {"crm request.created", "crm message.received",
                                   "crm message.received", "crm request.assigned",
                                   "crm request.status_changed"};
  CHECK(events_of(got) == want);
  CHECK(has(got[3].payload, "\"owner\":\"anna\""));
  CHECK(has(got[3].payload, "\"previous_owner\":null"));
  CHECK(has(got[4].payload, "\"status\":\"closed\""));
  CHECK(has(got[4].payload, "\"previous_status\":\"open\""));

  REQUIRE(reopen_request(s, id, anna).has_value());
  auto out = queue_agent_mail(
      s, id, {"reply", "support@example.com", {"kari@example.no"}, "bytes", "r1@h", "Re", "ok"},
      anna);
  REQUIRE(out.has_value());
  auto claimed = claim_outbox(s, 1300, 10);
  REQUIRE(claimed.has_value());
  REQUIRE(claimed->size() == 1);
  REQUIRE(mark_sent(s, claimed->front().id, 1301, "250 ok").has_value());
  got = deliveries(s);
  REQUIRE(got.size() == 7);
  CHECK(got[5].event == "request.status_changed");
  CHECK(has(got[5].payload, "\"previous_status\":\"closed\""));
  CHECK(got[6].event == "message.sent");
  CHECK(has(got[6].payload, "\"kind\":\"reply\""));
  CHECK(has(got[6].payload, "\"subject\":\"Re\""));
}

TEST_CASE("webhooks: only the endpoints subscribed to an event get it") {
  store s = storage_test::open_memory();
  REQUIRE(
      set_webhook_subscriptions(
          s, {{"crm", "request.created"}, {"chat", "request.created"}, {"chat", "message.sent"}})
          .has_value());
  storage_test::ingest(s, mail("kari@example.no", "Printer", "m1@x"), "raw1");
  CHECK(events_of(deliveries(s)) ==
        std::vector<std::string>{"chat request.created", "crm request.created"});
  auto subs = webhook_subscriptions(s);
  REQUIRE(subs.has_value());
  CHECK(subs->size() == 3);
  REQUIRE(set_webhook_subscriptions(s, {}).has_value());
  storage_test::ingest(s, mail("ole@example.no", "Screen", "m2@x"), "raw2");
  CHECK(deliveries(s).size() == 2);  // unsubscribed: nothing new
}

TEST_CASE("webhooks: a change that rolls back leaves no delivery") {
  store s = storage_test::open_memory();
  REQUIRE(set_webhook_subscriptions(s, all_events).has_value());
  hd::parsed_message m = mail("kari@example.no", "Printer", "m1@x");
  inbound in = storage_test::inbound_of(m, "raw1", 1000);
  {
    // The unit of work stops after ingest (the acknowledgement could not be decided): it
    // is never committed.
    auto unit = hd::storage::write_batch::begin(s);
    REQUIRE(unit.has_value());
    REQUIRE(s.ingest(in).has_value());
  }
  CHECK(deliveries(s).empty());
  // The same mail again, committed this time.
  REQUIRE(s.ingest(in).has_value());
  CHECK(deliveries(s).size() == 2);
}

TEST_CASE("webhooks: claim, retry later, fail, retry by hand, deliver") {
  store s = storage_test::open_memory();
  REQUIRE(set_webhook_subscriptions(s, {{"crm", "request.created"}}).has_value());
  storage_test::ingest(s, mail("kari@example.no", "Printer", "m1@x"), "raw1", 1000);
  CHECK(claim_webhook_deliveries(s, 999, "crm", 10)->empty());  // not due yet
  CHECK(claim_webhook_deliveries(s, 1000, "other", 10)->empty());
  auto c = claim_webhook_deliveries(s, 1000, "crm", 10);
  REQUIRE(c.has_value());
  REQUIRE(c->size() == 1);
  webhook_delivery d = c->front();
  CHECK(d.state == "sending");
  CHECK(d.attempts == 1);
  CHECK(claim_webhook_deliveries(s, 1000, "crm", 10)->empty());  // claimed once

  REQUIRE(record_webhook_attempt(s, d.id, 1001, false, 503, "HTTP 503", 1060).has_value());
  CHECK(deliveries(s)[0].state == "queued");
  CHECK(deliveries(s)[0].last_status == 503);
  CHECK(claim_webhook_deliveries(s, 1059, "crm", 10)->empty());
  REQUIRE(claim_webhook_deliveries(s, 1060, "crm", 10)->size() == 1);
  // Killed mid-POST: the next start queues it again, with the same delivery id.
  CHECK(requeue_sending_webhooks(s, 1070).value() == 1);
  auto again = claim_webhook_deliveries(s, 1070, "crm", 10);
  REQUIRE(again->size() == 1);
  CHECK(again->front().delivery_id == d.delivery_id);
  CHECK(again->front().attempts == 3);

  REQUIRE(record_webhook_attempt(s, d.id, 1080, false, 0, "refused", std::nullopt).has_value());
  CHECK(deliveries(s)[0].state == "failed");
  webhook_filter failed, queued;
  failed.state = "failed";
  queued.state = "queued";
  CHECK(count_webhook_deliveries(s, failed).value() == 1);
  CHECK(count_webhook_deliveries(s, queued).value() == 0);
  CHECK(retry_webhook_delivery(s, 999, 1090).error().code == errc::not_found);
  REQUIRE(retry_webhook_delivery(s, d.id, 1090).has_value());
  CHECK(deliveries(s)[0].attempts == 0);
  REQUIRE(claim_webhook_deliveries(s, 1090, "crm", 10)->size() == 1);
  CHECK(retry_webhook_delivery(s, d.id, 1090).error().code == errc::invalid);  // sending
  REQUIRE(record_webhook_attempt(s, d.id, 1091, true, 204, "", std::nullopt).has_value());
  webhook_delivery done = deliveries(s)[0];
  CHECK(done.state == "delivered");
  CHECK(done.delivered_at == 1091);
  CHECK_FALSE(done.last_error.has_value());
  auto counts = webhook_delivery_counts(s);
  REQUIRE(counts.has_value());
  CHECK(*counts == std::vector<std::pair<std::string, std::int64_t>>{{"delivered", 1}});
}

TEST_CASE("webhooks: pruning deletes an endpoint's old delivered and failed deliveries only") {
  store s = storage_test::open_memory();
  REQUIRE(set_webhook_subscriptions(s, {{"crm", "request.created"}, {"chat", "request.created"}})
              .has_value());
  storage_test::ingest(s, mail("kari@example.no", "Printer", "m1@x"), "raw1", 1000);
  storage_test::ingest(s, mail("ole@example.no", "Screen", "m2@x"), "raw2", 1000);
  std::vector<webhook_delivery> all = deliveries(s);
  REQUIRE(all.size() == 4);
  auto crm = claim_webhook_deliveries(s, 1000, "crm", 10).value();
  REQUIRE(crm.size() == 2);
  REQUIRE(record_webhook_attempt(s, crm[0].id, 1100, true, 200, "", std::nullopt).has_value());
  REQUIRE(
      record_webhook_attempt(s, crm[1].id, 1300, false, 0, "refused", std::nullopt).has_value());
  auto chat = claim_webhook_deliveries(s, 1000, "chat", 1).value();
  REQUIRE(record_webhook_attempt(s, chat[0].id, 1100, true, 200, "", std::nullopt).has_value());
  CHECK(prune_webhook_deliveries(s, "crm", 1100).value() == 0);  // strictly before
  CHECK(prune_webhook_deliveries(s, "crm", 1200).value() == 1);  // the delivered one
  CHECK(prune_webhook_deliveries(s, "crm", 5000).value() == 1);  // the failed one
  // The other endpoint's, and a queued one, stay.
  CHECK(events_of(deliveries(s)) ==
        std::vector<std::string>{"chat request.created", "chat request.created"});
}
