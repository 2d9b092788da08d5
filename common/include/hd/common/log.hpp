#pragma once
// A small logging facade: one line per event, `level event key=value ...`, to a FILE*
// (stderr by default). Values containing spaces, quotes, '=' or control characters are quoted
// and escaped, so a hostile value can never forge a second log line. Never pass message bodies,
// passwords or tokens.

#include <fmt/format.h>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace hd {

enum class log_level { debug = 0, info = 1, warn = 2, error = 3 };

/// Parses "debug", "info", "warn"/"warning", "error"; nullopt otherwise.
std::optional<log_level> parse_log_level(std::string_view s);
std::string_view to_string(log_level l);

/// One key=value pair of a log line.
struct kv {
  template <class V>
  kv(std::string_view k, const V& v) : key(k), value(fmt::format("{}", v)) {}
  kv(std::string_view k, std::string_view v) : key(k), value(v) {}
  kv(std::string_view k, const char* v) : key(k), value(v ? v : "") {}
  std::string_view key;
  std::string value;
};

/// Writes `level event k=v ...` lines. Not thread-safe by design: the daemon logs from its
/// one loop thread; worker threads hand results back to it.
class logger {
 public:
  explicit logger(log_level min = log_level::info, std::FILE* sink = stderr)
      : min_(min), sink_(sink) {}

  void set_level(log_level l) { min_ = l; }
  log_level level() const { return min_; }
  bool enabled(log_level l) const { return l >= min_; }

  void write(log_level l, std::string_view event, std::initializer_list<kv> fields) const;
  void debug(std::string_view e, std::initializer_list<kv> f = {}) const {
    write(log_level::debug, e, f);
  }
  void info(std::string_view e, std::initializer_list<kv> f = {}) const {
    write(log_level::info, e, f);
  }
  void warn(std::string_view e, std::initializer_list<kv> f = {}) const {
    write(log_level::warn, e, f);
  }
  void error(std::string_view e, std::initializer_list<kv> f = {}) const {
    write(log_level::error, e, f);
  }

 private:
  log_level min_;
  std::FILE* sink_;
};

/// Formats one log line without its trailing newline (exposed for tests).
std::string format_log_line(log_level l, std::string_view event, std::initializer_list<kv> fields);

}  // namespace hd
