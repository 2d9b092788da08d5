#include "hd/imap/imap_parser.hpp"

#include <fmt/format.h>
#include <algorithm>
#include <charconv>

namespace hd::daemon::imap {
namespace {

constexpr int max_depth = 64;

std::string upper(std::string_view s) {
  std::string r(s);
  for (char& c : r) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return r;
}

std::optional<std::int64_t> to_number(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

// If LINE ends with a literal announcement "{n}" or "{n+}", its size.
std::optional<std::size_t> literal_size(std::string_view line) {
  if (line.empty() || line.back() != '}') return std::nullopt;
  std::size_t open = line.rfind('{');
  if (open == std::string_view::npos) return std::nullopt;
  std::string_view digits = line.substr(open + 1, line.size() - open - 2);
  if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
  auto n = to_number(digits);
  if (!n) return std::nullopt;
  return static_cast<std::size_t>(*n);
}

// A cursor over one framed response. Every read is bounds-checked; failures set bad_.
class cursor {
 public:
  explicit cursor(std::string_view s) : s_(s) {}
  bool at_end() const { return i_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[i_]; }
  bool eat(char c) {
    if (peek() != c || at_end()) return false;
    ++i_;
    return true;
  }
  void skip_spaces() {
    while (!at_end() && s_[i_] == ' ') ++i_;
  }
  std::string_view rest() {
    std::string_view r = s_.substr(std::min(i_, s_.size()));
    i_ = s_.size();
    return r;
  }

  // An atom; a '[' inside it extends it to the matching ']' (BODY[HEADER.FIELDS (A B)]<0>).
  std::string_view atom() {
    std::size_t b = i_;
    int brackets = 0;
    while (!at_end()) {
      char c = s_[i_];
      if (c == '\r' || c == '\n') break;
      if (brackets == 0 && (c == ' ' || c == '(' || c == ')' || c == '{' || c == '"')) break;
      if (c == '[') {
        ++brackets;
      } else if (c == ']' && brackets > 0) {
        --brackets;
      }
      ++i_;
    }
    return s_.substr(b, i_ - b);
  }

  // An atom that stops at ']' too (inside response codes).
  std::string_view code_atom() {
    std::size_t b = i_;
    while (!at_end() && s_[i_] != ' ' && s_[i_] != ']') ++i_;
    return s_.substr(b, i_ - b);
  }

  std::optional<std::int64_t> number() { return to_number(atom()); }

  // string = quoted / literal; nstring adds NIL (returned as nullopt with ok = true).
  std::optional<std::string> nstring(bool& ok) {
    ok = true;
    if (peek() == '"') return quoted(ok);
    if (peek() == '{') return literal(ok);
    std::string_view a = atom();
    if (upper(a) == "NIL") return std::nullopt;
    ok = false;
    return std::nullopt;
  }

  // Skips one value of any shape (atom, string, literal, list).
  bool skip_value(int depth) {
    if (depth > max_depth) return false;
    bool ok = true;
    if (peek() == '(') {
      ++i_;
      while (true) {
        skip_spaces();
        if (at_end()) return false;
        if (eat(')')) return true;
        if (!skip_value(depth + 1)) return false;
      }
    }
    if (peek() == '"' || peek() == '{') {
      nstring(ok);
      return ok;
    }
    return !atom().empty();
  }

  // A parenthesised list of atoms (flags).
  std::optional<std::vector<std::string>> atom_list() {
    if (!eat('(')) return std::nullopt;
    std::vector<std::string> out;
    while (true) {
      skip_spaces();
      if (at_end()) return std::nullopt;
      if (eat(')')) return out;
      std::string_view a = atom();
      if (a.empty()) return std::nullopt;
      out.emplace_back(a);
    }
  }

 private:
  std::optional<std::string> quoted(bool& ok) {
    ++i_;
    std::string out;
    while (!at_end()) {
      char c = s_[i_++];
      if (c == '"') return out;
      if (c == '\\' && !at_end()) c = s_[i_++];
      out.push_back(c);
    }
    ok = false;
    return std::nullopt;
  }
  std::optional<std::string> literal(bool& ok) {
    ok = false;
    std::size_t close = s_.find('}', i_);
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view digits = s_.substr(i_ + 1, close - i_ - 1);
    if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
    auto n = to_number(digits);
    if (!n || s_.substr(close + 1, 2) != "\r\n") return std::nullopt;
    std::size_t from = close + 3;
    if (static_cast<std::uint64_t>(*n) > s_.size() - from) return std::nullopt;
    ok = true;
    i_ = from + static_cast<std::size_t>(*n);
    return std::string(s_.substr(from, static_cast<std::size_t>(*n)));
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

error<errc> malformed(std::string_view what) {
  return fail(errc::malformed, fmt::format("IMAP response: {}", what));
}

void split_capabilities(std::string_view s, std::vector<std::string>& out) {
  cursor c(s);
  while (!c.at_end()) {
    c.skip_spaces();
    std::string_view a = c.code_atom();
    if (a.empty()) break;
    out.push_back(upper(a));
  }
}

// resp-text = ["[" resp-text-code "]" SP] text
void parse_resp_text(cursor& c, response& r) {
  c.skip_spaces();
  if (c.eat('[')) {
    r.code = upper(c.code_atom());
    if (c.eat(' ')) {
      std::string_view rest = c.rest();
      std::size_t close = rest.find(']');
      r.code_arg = std::string(rest.substr(0, close));
      if (close != std::string_view::npos) rest.remove_prefix(close + 1);
      r.text = std::string(rest.substr(rest.starts_with(" ") ? 1 : 0));
    } else {
      c.eat(']');
      c.skip_spaces();
      r.text = std::string(c.rest());
    }
    if (r.code == "CAPABILITY") split_capabilities(r.code_arg, r.capabilities);
    return;
  }
  r.text = std::string(c.rest());
}

bool parse_fetch_item(cursor& c, fetch_data& f) {
  std::string name = upper(c.atom());
  if (name.empty() || !c.eat(' ')) return false;
  if (name == "UID" || name == "RFC822.SIZE") {
    auto n = c.number();
    if (!n) return false;
    (name == "UID" ? f.uid : f.size) = *n;
    return true;
  }
  if (name == "FLAGS") {
    auto flags = c.atom_list();
    if (!flags) return false;
    f.flags = std::move(*flags);
    return true;
  }
  if (name.starts_with("BODY[") || name.starts_with("BODY.PEEK[") || name == "RFC822") {
    bool ok = true;
    std::optional<std::string> body = c.nstring(ok);
    if (!ok) return false;
    if (!f.body) {
      std::size_t open = name.find('[');
      std::size_t close = name.rfind(']');
      if (open != std::string::npos && close != std::string::npos && close > open)
        f.section = name.substr(open + 1, close - open - 1);
      f.body = body ? std::move(*body) : std::string();
    }
    return true;
  }
  return c.skip_value(0);
}

result<fetch_data, errc> parse_fetch(cursor& c, std::int64_t seq) {
  fetch_data f;
  f.seq = seq;
  c.skip_spaces();
  if (!c.eat('(')) return malformed("FETCH without '('");
  while (true) {
    c.skip_spaces();
    if (c.at_end()) return malformed("unterminated FETCH");
    if (c.eat(')')) return f;
    if (!parse_fetch_item(c, f)) return malformed("bad FETCH item");
  }
}

result<response, errc> parse_untagged(cursor& c) {
  response r;
  r.kind = response_kind::untagged;
  std::string_view first = c.atom();
  if (first.empty()) return malformed("empty untagged response");
  if (auto n = to_number(first)) {
    r.number = *n;
    if (!c.eat(' ')) return malformed("number without keyword");
    r.keyword = upper(c.atom());
    if (r.keyword == "FETCH") {
      auto f = parse_fetch(c, *n);
      if (!f) return f.error();
      r.fetch = std::move(*f);
    }
    return r;
  }
  r.keyword = upper(first);
  if (r.keyword == "OK" || r.keyword == "NO" || r.keyword == "BAD" || r.keyword == "BYE" ||
      r.keyword == "PREAUTH") {
    parse_resp_text(c, r);
  } else if (r.keyword == "CAPABILITY") {
    split_capabilities(c.rest(), r.capabilities);
  } else if (r.keyword == "SEARCH") {
    while (c.eat(' ')) {
      if (c.peek() == '(') break;  // (MODSEQ n) from CONDSTORE
      auto n = c.number();
      if (!n) return malformed("bad SEARCH result");
      r.search.push_back(*n);
    }
  }
  return r;
}

}  // namespace

result<std::optional<std::string>, errc> framer::next() {
  if (start_ > 0 && (start_ >= 65536 || start_ == buf_.size())) {
    buf_.erase(0, start_);
    scan_ -= start_;
    start_ = 0;
  }
  while (true) {
    if (scan_ > buf_.size()) return std::optional<std::string>();  // inside a literal
    std::size_t pos = buf_.find("\r\n", scan_);
    if (pos == std::string::npos) {
      if (text_ + (buf_.size() - scan_) > lim_.max_line)
        return fail(errc::too_long, "IMAP response line too long");
      // Keep a trailing CR in view: the LF may come with the next read.
      if (buf_.size() > scan_ && buf_.back() == '\r') {
        text_ += buf_.size() - 1 - scan_;
        scan_ = buf_.size() - 1;
      }
      return std::optional<std::string>();
    }
    text_ += pos - scan_;
    if (text_ > lim_.max_line) return fail(errc::too_long, "IMAP response line too long");
    std::string_view line(buf_.data() + start_, pos - start_);
    if (auto n = literal_size(line)) {
      if (*n > lim_.max_literal) return fail(errc::too_long, "IMAP literal too large");
      scan_ = pos + 2 + *n;
      continue;
    }
    std::optional<std::string> out{std::string(line)};
    start_ = scan_ = pos + 2;
    text_ = 0;
    return out;
  }
}

result<response, errc> parse_response(std::string_view bytes) {
  cursor c(bytes);
  if (c.eat('+')) {
    response r;
    r.kind = response_kind::continuation;
    c.eat(' ');
    r.text = std::string(c.rest());
    return r;
  }
  if (c.eat('*')) {
    if (!c.eat(' ')) return malformed("'*' without space");
    return parse_untagged(c);
  }
  response r;
  r.kind = response_kind::tagged;
  r.tag = std::string(c.atom());
  if (r.tag.empty() || !c.eat(' ')) return malformed("no tag");
  r.keyword = upper(c.atom());
  if (r.keyword != "OK" && r.keyword != "NO" && r.keyword != "BAD")
    return malformed("tagged response is not OK, NO or BAD");
  parse_resp_text(c, r);
  return r;
}

std::optional<std::string> quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return std::nullopt;
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string uid_set(const std::vector<std::int64_t>& uids) {
  std::string out;
  for (std::size_t i = 0; i < uids.size();) {
    std::size_t j = i;
    while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1) ++j;
    if (!out.empty()) out.push_back(',');
    out += j > i ? fmt::format("{}:{}", uids[i], uids[j]) : fmt::format("{}", uids[i]);
    i = j + 1;
  }
  return out;
}

}  // namespace hd::daemon::imap
