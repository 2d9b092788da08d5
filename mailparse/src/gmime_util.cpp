#include "gmime_util.hpp"

namespace hd::mailparse {

std::optional<std::string_view> raw_header(GMimeObject* obj, const char* name) {
  GMimeHeaderList* list = g_mime_object_get_header_list(obj);
  if (list == nullptr) return std::nullopt;
  GMimeHeader* h = g_mime_header_list_get_header(list, name);
  if (h == nullptr) return std::nullopt;
  const char* v = g_mime_header_get_raw_value(h);
  return std::string_view(v != nullptr ? v : "");
}

std::optional<std::string> joined_raw_headers(GMimeObject* obj, const char* name) {
  GMimeHeaderList* list = g_mime_object_get_header_list(obj);
  if (list == nullptr) return std::nullopt;
  std::optional<std::string> out;
  int n = g_mime_header_list_get_count(list);
  for (int i = 0; i < n; ++i) {
    GMimeHeader* h = g_mime_header_list_get_header_at(list, i);
    if (g_ascii_strcasecmp(g_mime_header_get_name(h), name) != 0) continue;
    const char* v = g_mime_header_get_raw_value(h);
    std::string_view value(v != nullptr ? v : "");
    if (!out) {
      out.emplace(value);
    } else if (value.find_first_not_of(" \t\r\n") != std::string_view::npos) {
      *out += ", ";
      *out += value;
    }
  }
  return out;
}

std::string_view raw_content(GMimePart* part, std::string& buffer) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (content == nullptr) return {};
  GMimeStream* s = g_mime_data_wrapper_get_stream(content);
  if (s == nullptr) return {};
  if (GMIME_IS_STREAM_MEM(s)) {
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
    if (bytes == nullptr) return {};
    gint64 start = s->bound_start;
    gint64 end = s->bound_end < 0 ? static_cast<gint64>(bytes->len) : s->bound_end;
    if (start >= 0 && start <= end && end <= static_cast<gint64>(bytes->len))
      return {reinterpret_cast<const char*>(bytes->data) + start,
              static_cast<std::size_t>(end - start)};
  }
  buffer.clear();
  g_mime_stream_reset(s);
  char chunk[16384];
  for (;;) {
    ssize_t n = g_mime_stream_read(s, chunk, sizeof chunk);
    if (n <= 0) break;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  return buffer;
}

}  // namespace hd::mailparse
