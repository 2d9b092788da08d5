#pragma once
// The one retry schedule of the daemon's clients: the first wait doubled for each further
// failure up to a maximum, plus up to 25 % random jitter, so clients that failed together
// (a server went away) do not all come back at the same moment. Used by IMAP reconnects
// (docs/intake.md, "Backoff"), the SMTP server probe and webhook deliveries.

#include <algorithm>
#include <cstdint>
#include <random>

namespace hd {

/// The wait after FAILURES (>= 1) failures in a row: FIRST (at least 1) doubled per failure
/// after the first, at most MAX (at least FIRST), plus a jitter of up to a quarter of that
/// drawn from RNG. In whatever unit FIRST and MAX are given.
inline std::int64_t backoff_with_jitter(int failures, std::int64_t first, std::int64_t max,
                                        std::minstd_rand& rng) {
  std::int64_t d = std::max<std::int64_t>(1, first);
  std::int64_t cap = std::max(first, max);
  for (int i = 1; i < failures && d < cap; ++i) d *= 2;
  d = std::min(d, cap);
  return d + std::uniform_int_distribution<std::int64_t>(0, d / 4)(rng);
}

}  // namespace hd
