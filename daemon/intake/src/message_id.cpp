#include "hd/intake/message_id.hpp"

#include <fmt/format.h>
#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace hd::daemon {

std::string random_token() {
  // One getrandom(2) call per Message-ID: no device to open, no userspace engine whose state
  // could be guessed from earlier Message-IDs (the former thread-local mt19937_64 could be).
  std::uint64_t v = 0;
  auto* p = reinterpret_cast<unsigned char*>(&v);
  std::size_t got = 0;
  while (got < sizeof v) {
    ssize_t n = getrandom(p + got, sizeof v - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    got += static_cast<std::size_t>(n);
  }
  return fmt::format("{:016x}", v);
}

}  // namespace hd::daemon
