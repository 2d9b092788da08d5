// Webhook signatures and backoff (hd/net/webhook_post.hpp).
#include "hd/net/webhook_post.hpp"

#include <doctest/doctest.h>

#include <set>

using hd::daemon::webhook_backoff_s;
using hd::daemon::webhook_signature;

TEST_CASE("webhook_signature: HMAC-SHA256 over timestamp.body, as a receiver computes it") {
  // Computed with Python's hmac module:
  // hmac.new(secret, b'1733356800.{"event":"request.created"}', hashlib.sha256).hexdigest()
  CHECK(webhook_signature("0123456789abcdef-secret", "1733356800",
                          R"({"event":"request.created"})") ==
        "sha256=9aedfb96746c5d7fe7fcfce8c660e0dbcf973f444c82cff10a20202cb0ccef73");
  // hmac.new(b"Jefe", b"a.b", hashlib.sha256).hexdigest(): the dot joins the two.
  CHECK(webhook_signature("Jefe", "a", "b") ==
        "sha256=b9594abf2e97da6e8b7cf63e7a42af2ef5227aa0b8cc6876986aac2d033b5b19");
  CHECK(webhook_signature("key", "1", "body") != webhook_signature("key", "2", "body"));
  CHECK(webhook_signature("key", "1", "body") != webhook_signature("kex", "1", "body"));
  CHECK(webhook_signature("key", "1", "body") != webhook_signature("key", "1", "bodz"));
}

TEST_CASE("webhook_backoff_s: doubling from the minimum up to the maximum, plus 0..25% jitter") {
  std::minstd_rand rng(42);
  struct row {
    int attempts;
    std::int64_t want_base;
  };
  for (row r : {row{1, 10}, row{2, 20}, row{3, 40}, row{4, 80}, row{7, 600}, row{50, 600}}) {
    CAPTURE(r.attempts);
    for (int i = 0; i < 50; ++i) {
      std::int64_t got = webhook_backoff_s(r.attempts, 10, 600, rng);
      CHECK(got >= r.want_base);
      CHECK(got <= r.want_base + r.want_base / 4);
    }
  }
  std::set<std::int64_t> seen;
  for (int i = 0; i < 50; ++i) seen.insert(webhook_backoff_s(5, 100, 3600, rng));
  CHECK(seen.size() > 1);  // jittered: receivers that came back are not hit all at once
}
