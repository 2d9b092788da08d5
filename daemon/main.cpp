// helpdeskd: an email-to-request engine. main only binds the process (streams, environment,
// clock) to the command-line interface; everything else is in hd::daemon.
#include "hd/cli/cli.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  // libcurl's global state is set up once, here, before any thread exists (curl_global_init is
  // not thread-safe in every libcurl build); every curl handle in the daemon relies on it.
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    std::cerr << "helpdeskd: cannot initialise libcurl\n";
    return 70;  // EX_SOFTWARE
  }
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
  // No curl_global_cleanup: the process ends here, and a worker still finishing a transfer
  // must not find libcurl torn down under it.
  try {
    return hd::daemon::run_cli(argc, argv, io);
  } catch (const std::exception& e) {
    std::cerr << "helpdeskd: internal error: " << e.what() << "\n";
    return 70;  // EX_SOFTWARE
  }
}
