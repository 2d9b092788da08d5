#include "hd/common/log.hpp"

#include <ctime>

namespace hd {
namespace {

bool needs_quoting(std::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c == 0x7f) return true;
  }
  return false;
}

void append_value(std::string& out, std::string_view v) {
  if (!needs_quoting(v)) {
    out += v;
    return;
  }
  out += '"';
  for (unsigned char c : v) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

}  // namespace

std::optional<log_level> parse_log_level(std::string_view s) {
  if (s == "debug") return log_level::debug;
  if (s == "info") return log_level::info;
  if (s == "warn" || s == "warning") return log_level::warn;
  if (s == "error") return log_level::error;
  return std::nullopt;
}

std::string_view to_string(log_level l) {
  switch (l) {
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
  }
  return "info";
}

std::string format_log_line(log_level l, std::string_view event, std::initializer_list<kv> fields) {
  std::string line{to_string(l)};
  line += ' ';
  append_value(line, event);
  for (const kv& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    append_value(line, f.value);
  }
  return line;
}

log_style log_style_for(bool journal_stream) {
  return journal_stream ? log_style::journal : log_style::timestamp;
}

std::string log_prefix(log_style style, log_level l, std::int64_t now) {
  switch (style) {
    case log_style::plain:
      return {};
    case log_style::journal: {
      // syslog(3) priorities: LOG_ERR 3, LOG_WARNING 4, LOG_INFO 6, LOG_DEBUG 7.
      int p = l == log_level::error ? 3 : l == log_level::warn ? 4 : l == log_level::info ? 6 : 7;
      return fmt::format("<{}>", p);
    }
    case log_style::timestamp: {
      std::time_t t = static_cast<std::time_t>(now);
      std::tm tm{};
      localtime_r(&t, &tm);
      char buf[40];
      std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S%z", &tm);
      std::string s(buf, n);
      // "+0100" -> "+01:00" (ISO 8601 extended, as the rest of the output)
      if (s.size() >= 5) s.insert(s.size() - 2, ":");
      return s + " ";
    }
  }
  return {};
}

void logger::write(log_level l, std::string_view event, std::initializer_list<kv> fields) const {
  if (!enabled(l) || sink_ == nullptr) return;
  std::string line = log_prefix(style_, l, static_cast<std::int64_t>(std::time(nullptr))) +
                     format_log_line(l, event, fields);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), sink_);
  std::fflush(sink_);
}

}  // namespace hd
