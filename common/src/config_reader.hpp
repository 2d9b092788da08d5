#pragma once
// Reads one TOML table into a config struct, recording every problem with its position and
// rejecting keys nobody asked for (so a misspelt key is an error, not a silent default).

#include <toml++/toml.h>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hd::detail {

/// Problems found so far, each "FILE:LINE:COLUMN: key: message".
struct config_problems {
  std::string file;
  std::vector<std::string> lines;
  void add(const toml::source_region& where, std::string_view key, std::string_view what);
};

class table_reader {
 public:
  /// `path` is the dotted name of the table, e.g. "mailbox[1]"; `t` may be null (absent table).
  table_reader(const toml::table* t, std::string path, config_problems& p)
      : table_(t), path_(std::move(path)), problems_(p) {}
  ~table_reader() = default;

  bool present(std::string_view key);
  void string(std::string_view key, std::string& out, bool required = false);
  void strings(std::string_view key, std::vector<std::string>& out);
  void boolean(std::string_view key, bool& out);
  void integer(std::string_view key, std::int64_t& out, std::int64_t min, std::int64_t max);
  void integer(std::string_view key, int& out, int min, int max);
  /// A string that must be one of `choices`; `out` receives its index.
  int choice(std::string_view key, int current, std::initializer_list<std::string_view> choices);
  /// A nested table (nullptr when absent; a non-table is reported).
  const toml::table* table(std::string_view key);
  /// An array of tables (`[[name]]`); a non-array is reported.
  std::vector<const toml::table*> tables(std::string_view key);
  /// Reports every key of the table that no call above asked for.
  void finish();

  void problem(std::string_view key, std::string_view what);
  const std::string& path() const { return path_; }

 private:
  const toml::node* get(std::string_view key);
  std::string full(std::string_view key) const;

  const toml::table* table_;
  std::string path_;
  config_problems& problems_;
  std::set<std::string, std::less<>> seen_;
};

}  // namespace hd::detail
