// libFuzzer target: any text given as a configuration file must be either accepted or
// rejected with a message, never crash.
#include "hd/common/config.hpp"

#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto c = hd::parse_config(text, "fuzz.toml", "/nonexistent", {});
  if (c) (void)hd::describe_config(*c);
  return 0;
}
