// The auto-reply log (acknowledgements and redirects queued, for the rate limits): pruned to a
// horizon in short batches, never a row inside it. On both backends (test_pg_storage.sh).
#include "hd/storage/outbox.hpp"
#include "storage_test.hpp"

#include <doctest/doctest.h>

namespace {

using namespace hd::storage;
using storage_test::mail;

int rows(store& s, std::string_view address) {
  auto n = count_auto_replies(s, address, 0);
  REQUIRE_MESSAGE(n.has_value(), (n ? "" : n.error().message));
  return *n;
}

}  // namespace

TEST_CASE(
    "the auto-reply log is pruned to its horizon, in batches, and keeps every row inside it") {
  store s = storage_test::open_memory();
  auto r = storage_test::ingest(s, mail("anna@c.example", "Printer"), "raw", 1000);
  // Acknowledgements to one address at 100, 200, ..., 700, with a redirect at 150 between them,
  // then one written under a clock set back: a later row with an older time (200).
  REQUIRE(record_auto_reply(s, "anna@c.example", r.request_id, 100).has_value());
  REQUIRE(record_redirect(s, "jan@c.example", "sales@company.example", 0, 150).has_value());
  for (std::int64_t at = 200; at <= 700; at += 100) {
    REQUIRE(record_auto_reply(s, "anna@c.example", r.request_id, at).has_value());
  }
  REQUIRE(record_auto_reply(s, "anna@c.example", r.request_id, 200).has_value());
  REQUIRE(rows(s, "anna@c.example") == 8);

  // Nothing is older than 100.
  CHECK(prune_auto_replies(s, 100, 2).value() == 0);
  CHECK(rows(s, "anna@c.example") == 8);

  // Before 450, two rows to a statement: 100, the redirect, 200, 300, 400 and the late row
  // at 200 go; 500, 600 and 700 stay.
  CHECK(prune_auto_replies(s, 450, 2).value() == 6);
  CHECK(rows(s, "anna@c.example") == 3);
  CHECK(count_auto_replies(s, "anna@c.example", 450).value() == 3);
  CHECK(count_redirects(s, "jan@c.example", "sales@company.example", 0).value() == 0);

  // The rows inside the horizon stay, to the second.
  CHECK(prune_auto_replies(s, 600, 2).value() == 1);
  CHECK(count_auto_replies(s, "anna@c.example", 600, r.request_id).value() == 2);

  // Batches of one: each exactly filled, the pass goes on until one comes back short.
  CHECK(prune_auto_replies(s, 701, 1).value() == 2);
  CHECK(rows(s, "anna@c.example") == 0);
  CHECK(prune_auto_replies(s, 10000, 1).value() == 0);
}
