#pragma once
// Times given on the command line (postpone --until), read in the local time zone: TZ, else
// /etc/localtime, the same zone the CLI shows times in (docs/config.md, "Times and the time zone").

#include <cstdint>
#include <optional>
#include <string_view>

namespace hd::daemon {

/// The hour `tomorrow` and a bare weekday name mean, local time.
inline constexpr int default_hour = 9;

/// Reads one of the forms `time_arg_forms` lists: "YYYY-MM-DD" (00:00), "YYYY-MM-DDTHH:MM" or
/// "YYYY-MM-DD HH:MM" (local time, or UTC / an offset when followed by "Z" / "+HH:MM");
/// "+N" followed by m, h or d (minutes, hours, days from NOW); "tomorrow" (09:00 the next
/// day) or "tomorrow HH:MM"; a weekday ("monday" .. "sunday", or "mon" .. "sun") with an
/// optional "HH:MM" (09:00 when none): that day of the coming week, never today. Case does
/// not matter. Seconds since the epoch, or nullopt when the text is none of these.
std::optional<std::int64_t> parse_time_arg(std::string_view text, std::int64_t now);

/// The accepted forms, one per line, for error messages and --help.
std::string_view time_arg_forms();

}  // namespace hd::daemon
