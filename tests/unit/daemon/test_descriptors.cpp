// The descriptor budget of `run`: what a configuration needs, and the soft limit raised to fit.
#include "hd/service/descriptors.hpp"

#include <doctest/doctest.h>

#include <sys/resource.h>

using namespace hd;
using namespace hd::daemon;

TEST_CASE("descriptors_needed counts a descriptor per connection the configuration can open") {
  config c;
  CHECK(descriptors_needed(c) == k_descriptor_reserve);
  c.mailboxes.resize(1000);
  c.smtp.emplace();
  c.smtp->max_parallel = 8;
  c.webhooks.resize(2);
  c.webhooks[0].max_parallel = 3;
  c.webhooks[1].max_parallel = 5;
  c.http.emplace();
  c.http->max_connections = 256;
  // One per connection; two per attempt in progress, 16 at once to the one server.
  CHECK(descriptors_needed(c) == k_descriptor_reserve + 1000 + 2 * 16 + 8 + 3 + 5 + 256 + 1);
  // Two servers, three mailboxes on the second: its attempts are bounded by its mailboxes.
  for (int i = 0; i < 3; ++i) c.mailboxes[i].host = "imap.example";
  CHECK(descriptors_needed(c) ==
        k_descriptor_reserve + 1000 + 2 * 16 + 2 * 3 + 8 + 3 + 5 + 256 + 1);
  c.imap.max_connecting_per_server = 4;
  CHECK(descriptors_needed(c) == k_descriptor_reserve + 1000 + 2 * 4 + 2 * 3 + 8 + 3 + 5 + 256 + 1);
}

TEST_CASE("fit_descriptor_limit raises the soft limit up to the hard limit, never lowers it") {
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &saved) == 0);
  REQUIRE(saved.rlim_max != RLIM_INFINITY);
  REQUIRE(saved.rlim_max > 300);
  rlimit low = saved;
  low.rlim_cur = 200;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);

  descriptor_limit l = fit_descriptor_limit(150);  // fits already: left alone
  CHECK_FALSE(l.raised);
  CHECK(l.soft == 200);
  CHECK(l.fits(150));

  l = fit_descriptor_limit(300);
  CHECK(l.raised);
  CHECK(l.soft == 300);
  rlimit now{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &now) == 0);
  CHECK(now.rlim_cur == 300);

  auto hard = static_cast<std::int64_t>(saved.rlim_max);
  l = fit_descriptor_limit(hard + 1000);  // beyond the hard limit: up to it, and it says so
  CHECK(l.soft == hard);
  CHECK_FALSE(l.fits(hard + 1000));

  REQUIRE(::setrlimit(RLIMIT_NOFILE, &saved) == 0);
}
