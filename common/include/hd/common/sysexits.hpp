#pragma once
// Exit codes from sysexits(3): mail servers that pipe into `helpdeskd ingest` understand them
// (75 = try again later, anything else permanent).

namespace hd::exit_code {
inline constexpr int ok = 0;
inline constexpr int failure = 1;        ///< a command failed for a reason it has reported
inline constexpr int usage = 64;         ///< EX_USAGE: bad command line
inline constexpr int data_error = 65;    ///< EX_DATAERR: unusable input (raw mail still kept)
inline constexpr int no_input = 66;      ///< EX_NOINPUT: an input file could not be opened
inline constexpr int software = 70;      ///< EX_SOFTWARE: internal error (a bug)
inline constexpr int can_t_create = 73;  ///< EX_CANTCREAT: an output file could not be created
inline constexpr int temp_fail = 75;     ///< EX_TEMPFAIL: temporary failure, retry later
inline constexpr int config = 78;        ///< EX_CONFIG: configuration error
}  // namespace hd::exit_code
