// helpdeskd: an email-to-request engine. main only binds the process (streams, environment,
// clock) to the command-line interface; everything else is in hd::daemon.
#include "hd/cli/cli.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  hd::daemon::cli_io io{
      std::cin,
      std::cout,
      std::cerr,
      [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        return v ? std::optional<std::string>(v) : std::nullopt;
      },
      [] {
        return std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
      },
      isatty(STDOUT_FILENO) == 1,
  };
  try {
    return hd::daemon::run_cli(argc, argv, io);
  } catch (const std::exception& e) {
    std::cerr << "helpdeskd: internal error: " << e.what() << "\n";
    return 70;  // EX_SOFTWARE
  }
}
