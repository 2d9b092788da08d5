#pragma once
// Times given on the command line.

#include <cstdint>
#include <optional>
#include <string_view>

namespace hd::daemon {

/// Reads "YYYY-MM-DD" (00:00 UTC), "YYYY-MM-DDTHH:MM" or "YYYY-MM-DD HH:MM" (UTC), or a
/// relative "+N" followed by m, h or d (minutes, hours, days from `now`). Seconds since the
/// epoch, or nullopt when the text is none of these.
std::optional<std::int64_t> parse_time_arg(std::string_view text, std::int64_t now);

}  // namespace hd::daemon
