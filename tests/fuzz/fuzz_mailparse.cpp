// libFuzzer target: any bytes must parse without a crash, a sanitizer report or a hang, and
// every string in the result must be valid UTF-8 (the JSON output and SQLite rely on it).
#include "hd/common/utf8.hpp"
#include "hd/mailparse/parser.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

using hd::is_valid_utf8;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hd::mailparse::limits lim;
  lim.max_mime_depth = 50;
  auto m = hd::mailparse::parse(std::string_view(reinterpret_cast<const char*>(data), size), lim);
  if (!m) return 0;
  if (m->subject && !is_valid_utf8(*m->subject)) std::abort();
  if (!is_valid_utf8(m->text)) std::abort();
  if (m->from && !is_valid_utf8(m->from->name)) std::abort();
  for (const auto& a : m->attachments) {
    if (a.filename.empty() || a.filename.find('/') != std::string::npos) std::abort();
  }
  return 0;
}
