#pragma once
// The command-line interface: `helpdeskd <command> ...`. run_cli is all of main except the
// process environment, so tests can drive every command with their own streams.

#include "hd/common/config.hpp"

#include <cstdint>
#include <functional>
#include <iosfwd>

namespace hd::daemon {

struct cli_io {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  env_lookup env;                     ///< environment variables (main passes getenv)
  std::function<std::int64_t()> now;  ///< seconds since the epoch
  bool out_is_terminal = false;
};

/// Parses argv and runs the command. Returns the process exit code (sysexits).
int run_cli(int argc, const char* const* argv, cli_io& io);

}  // namespace hd::daemon
