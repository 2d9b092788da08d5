// libFuzzer target for the HTML sanitiser (mailparse/html_safe): any input must come out as a
// fragment that, parsed again as a browser would, holds no forbidden element, no on* or
// unknown attribute, no link or image URL outside the allowed schemes and no comment
// (html_active_content, the oracle, has its own tables). The first input byte picks the
// options (remote images on or off, a small depth limit), so both paths are explored.
#include "hd/mailparse/html_safe.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view cid_prefix = "/api/requests/1/attachments/";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0 || size > 256 * 1024) return 0;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  hd::mailparse::html_safe_options o;
  o.remote_images = (data[0] & 1) != 0;
  if ((data[0] & 2) != 0) o.max_depth = 4;
  o.cid_url = [](std::string_view id) -> std::optional<std::string> {
    if (id.empty() || id.size() > 64) return std::nullopt;
    // A hostile content id goes into the URL as it is: the sanitiser must escape it.
    return std::string(cid_prefix) + std::string(id);
  };
  hd::mailparse::html_safe_result r = hd::mailparse::sanitise_html(in, o);
  if (!o.remote_images && r.html.find("src=\"http") != std::string::npos) std::abort();
  std::vector<std::string> why = hd::mailparse::html_active_content(r.html, cid_prefix);
  if (!why.empty()) {
    std::fprintf(stderr, "not inert: %s\n--- output ---\n%s\n", why.front().c_str(),
                 r.html.c_str());
    std::abort();
  }
  return 0;
}
