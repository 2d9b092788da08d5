// libFuzzer target for the IMAP response framer and parser: arbitrary server bytes, fed in
// pieces whose sizes come from the input, must never crash, hang or read out of bounds.
#include "hd/imap/imap_parser.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::size_t step = 1 + data[0] % 64;
  std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  hd::daemon::imap::framer f({4096, 4096});
  for (std::size_t i = 0; i < bytes.size(); i += step) {
    f.feed(bytes.substr(i, step));
    while (true) {
      auto r = f.next();
      if (!r || !*r) break;
      (void)hd::daemon::imap::parse_response(**r);
    }
    if (!f.next()) break;
  }
  (void)hd::daemon::imap::parse_response(bytes);
  return 0;
}
