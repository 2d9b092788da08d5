#include "config_reader.hpp"

#include "hd/common/spelling.hpp"

#include <fmt/format.h>

namespace hd::detail {

void config_problems::add(const toml::source_region& where, std::string_view key,
                          std::string_view what) {
  lines.push_back(
      fmt::format("{}:{}:{}: {}: {}", file, where.begin.line, where.begin.column, key, what));
}

std::string table_reader::full(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

const toml::node* table_reader::get(std::string_view key) {
  seen_.emplace(key);
  if (table_ == nullptr) return nullptr;
  return table_->get(key);
}

void table_reader::problem(std::string_view key, std::string_view what) {
  const toml::node* n = table_ ? table_->get(key) : nullptr;
  toml::source_region where = n ? n->source() : (table_ ? table_->source() : toml::source_region{});
  problems_.add(where, full(key), what);
}

bool table_reader::present(std::string_view key) { return get(key) != nullptr; }

void table_reader::string(std::string_view key, std::string& out, bool required) {
  const toml::node* n = get(key);
  if (n == nullptr) {
    if (required) {
      toml::source_region where = table_ ? table_->source() : toml::source_region{};
      problems_.add(where, full(key), "is required");
    }
    return;
  }
  if (auto v = n->value<std::string>(); v && n->is_string()) {
    out = *v;
    if (required && out.empty()) problem(key, "must not be empty");
  } else {
    problem(key, "must be a string");
  }
}

void table_reader::strings(std::string_view key, std::vector<std::string>& out) {
  const toml::node* n = get(key);
  if (n == nullptr) return;
  const toml::array* a = n->as_array();
  if (a == nullptr) {
    problem(key, "must be an array of strings");
    return;
  }
  out.clear();
  for (const toml::node& e : *a) {
    if (!e.is_string()) {
      problems_.add(e.source(), full(key), "must be an array of strings");
      continue;
    }
    out.push_back(*e.value<std::string>());
  }
}

void table_reader::boolean(std::string_view key, bool& out) {
  const toml::node* n = get(key);
  if (n == nullptr) return;
  if (!n->is_boolean()) {
    problem(key, "must be true or false");
    return;
  }
  out = *n->value<bool>();
}

void table_reader::integer(std::string_view key, std::int64_t& out, std::int64_t min,
                           std::int64_t max) {
  const toml::node* n = get(key);
  if (n == nullptr) return;
  if (!n->is_integer()) {
    problem(key, "must be an integer");
    return;
  }
  std::int64_t v = *n->value<std::int64_t>();
  if (v < min || v > max) {
    problem(key, fmt::format("must be between {} and {} (got {})", min, max, v));
    return;
  }
  out = v;
}

void table_reader::integer(std::string_view key, int& out, int min, int max) {
  std::int64_t v = out;
  integer(key, v, min, max);
  out = static_cast<int>(v);
}

int table_reader::choice(std::string_view key, int current,
                         std::initializer_list<std::string_view> choices) {
  const toml::node* n = get(key);
  if (n == nullptr) return current;
  if (n->is_string()) {
    std::string v = *n->value<std::string>();
    int i = 0;
    for (std::string_view c : choices) {
      if (v == c) return i;
      ++i;
    }
  }
  std::string list;
  for (std::string_view c : choices) list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", c);
  problem(key, fmt::format("must be one of {}", list));
  return current;
}

const toml::table* table_reader::table(std::string_view key) {
  const toml::node* n = get(key);
  if (n == nullptr) return nullptr;
  if (!n->is_table()) {
    problem(key, "must be a table");
    return nullptr;
  }
  return n->as_table();
}

std::vector<const toml::table*> table_reader::tables(std::string_view key) {
  std::vector<const toml::table*> out;
  const toml::node* n = get(key);
  if (n == nullptr) return out;
  const toml::array* a = n->as_array();
  if (a == nullptr) {
    problem(key, fmt::format("must be an array of tables, written [[{}]]", key));
    return out;
  }
  for (const toml::node& e : *a) {
    if (const toml::table* t = e.as_table()) {
      out.push_back(t);
    } else {
      problems_.add(e.source(), full(key), "must be a table");
    }
  }
  return out;
}

void table_reader::finish() {
  if (table_ == nullptr) return;
  std::vector<std::string> known(seen_.begin(), seen_.end());
  for (auto&& [k, v] : *table_) {
    if (seen_.find(k.str()) == seen_.end()) {
      problems_.add(k.source(), full(k.str()), "unknown key" + did_you_mean(k.str(), known));
    }
  }
}

}  // namespace hd::detail
