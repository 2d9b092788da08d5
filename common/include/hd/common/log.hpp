#pragma once
// A small logging facade: one line per event, `level event key=value ...`, to a FILE*
// (stderr by default). Values containing spaces, quotes, '=' or control characters are quoted
// and escaped, so a hostile value can never forge a second log line. Never pass message bodies,
// passwords or tokens.

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace hd {

enum class log_level { debug = 0, info = 1, warn = 2, error = 3 };

/// Parses "debug", "info", "warn"/"warning", "error"; nullopt otherwise.
std::optional<log_level> parse_log_level(std::string_view s);
std::string_view to_string(log_level l);

/// What leads each line: nothing; a syslog priority `<3>` (error) `<4>` (warn) `<6>` (info)
/// `<7>` (debug) that systemd-journald reads when stderr is the journal (sd-daemon(3)), so
/// `journalctl -p err` finds errors; or the local time with its UTC offset
/// (`2026-12-04T21:05:09+01:00`) for a terminal, a file or cron's mail.
enum class log_style { plain, journal, timestamp };

/// journal when JOURNAL_STREAM is set (systemd connected stderr to the journal), else
/// timestamp.
log_style log_style_for(bool journal_stream);

/// The prefix of a line at level L in STYLE, written at NOW (seconds since the epoch, local
/// time zone), including its separating space; "" for plain.
std::string log_prefix(log_style style, log_level l, std::int64_t now);

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
  void set_style(log_style s) { style_ = s; }
  log_style style() const { return style_; }
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
  log_style style_ = log_style::plain;
};

/// Formats one log line without its trailing newline (exposed for tests).
std::string format_log_line(log_level l, std::string_view event, std::initializer_list<kv> fields);

}  // namespace hd
