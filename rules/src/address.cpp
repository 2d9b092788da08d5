#include "address.hpp"

#include <cstring>

namespace hd::rules {
namespace {

bool is_atext(unsigned char c) {
  if (c >= 0x80) return true;  // RFC 6532: UTF-8 (and whatever else 8-bit) reads as atext
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return c != 0 && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

// One mailbox or group marker as the grammar found it.
struct entry {
  bool marker = false;  // group start or end: never an address
  bool invalid = false;
  bool has_local = false, has_domain = false;
  std::string local, domain;
};

entry flagged(bool marker, bool invalid) {
  entry e;
  e.marker = marker;
  e.invalid = invalid;
  return e;
}

// A recursive-descent reader of RFC 5322 address lists (with the obsolete forms real mail
// uses). Results follow one convention: -1 bad syntax, 0 the input ended, 1 more input.
class reader {
 public:
  explicit reader(std::string_view s) : s_(s) {}

  // Returns false when the value starts with an unterminated comment (no entries at all).
  bool read_list(std::vector<entry>& out) {
    out_ = &out;
    if (skip_cfws() <= 0) return false;
    for (std::size_t n = 0; n < k_max_addresses_per_value; ++n) {
      if (address() == 0) break;
      if (at_end() || peek() != ',') break;
      ++p_;
      int r = skip_cfws();
      if (r <= 0) {
        if (r < 0) out.push_back(flagged(false, true));  // ends in garbage
        break;
      }
    }
    return true;
  }

 private:
  bool at_end() const { return p_ >= s_.size(); }
  unsigned char peek() const { return static_cast<unsigned char>(s_[p_]); }
  int more() const { return at_end() ? 0 : 1; }

  // White space and (nested) comments.
  int skip_cfws() {
    while (!at_end()) {
      unsigned char c = peek();
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++p_;
      } else if (c == '(') {
        int depth = 0;
        do {
          if (at_end()) return -1;
          c = peek();
          ++p_;
          if (c == '\\') {
            if (!at_end()) ++p_;
          } else if (c == '(') {
            ++depth;
          } else if (c == ')') {
            --depth;
          }
        } while (depth > 0);
      } else {
        break;
      }
    }
    return more();
  }

  bool atom(std::string& out) {
    std::size_t start = p_;
    while (!at_end() && is_atext(peek())) ++p_;
    out.append(s_.substr(start, p_ - start));
    return p_ > start;
  }

  // At '"': the unescaped content, then white space.
  int quoted(std::string& out) {
    ++p_;
    while (!at_end()) {
      char c = s_[p_++];
      if (c == '"') return skip_cfws();
      if (c == '\\') {
        if (at_end()) break;
        c = s_[p_++];
      } else if (c == '\r' || c == '\n') {
        continue;  // folding inside the quotes
      }
      out += c;
    }
    return -1;
  }

  // Words (atoms, quoted strings, and the dots obs-phrase allows) up to something else.
  int phrase() {
    std::string ignored;
    int r = more();
    while (r > 0) {
      if (peek() == '"') {
        r = quoted(ignored);
      } else if (is_atext(peek()) || peek() == '.') {
        if (!atom(ignored)) ++p_;  // a dot
        r = skip_cfws();
      } else {
        break;
      }
    }
    return r;
  }

  // local-part: a quoted string, or atoms and dots in any order ("a..b", ".a", "a.").
  int local_part(entry& e) {
    if (at_end()) return -1;
    if (peek() == '"') {
      int r = quoted(e.local);
      if (r >= 0) e.has_local = true;
      return r;
    }
    std::size_t start = p_;
    int r = 1;
    bool after_atom = false;  // two atoms in a row end it: "Big Bug bb@x" has local part "Big"
    while (r > 0 && ((is_atext(peek()) && !after_atom) || peek() == '.')) {
      after_atom = atom(e.local);
      if (!after_atom) {
        e.local += '.';
        ++p_;
      }
      r = skip_cfws();
    }
    if (p_ == start) return -1;
    e.has_local = true;
    return r;
  }

  // domain: a dot-atom, strictly ("b." and "b..c" are not domains), or a literal as written.
  int domain(std::string& out) {
    if (at_end()) return -1;
    if (peek() == '[') {
      std::size_t start = p_++;
      while (!at_end() && peek() != ']') {
        if (peek() == '\\' && p_ + 1 < s_.size()) ++p_;
        ++p_;
      }
      if (at_end()) return -1;
      ++p_;
      out.assign(s_.substr(start, p_ - start));
      return skip_cfws();
    }
    if (!atom(out)) return -1;
    int r = skip_cfws();
    while (r > 0 && peek() == '.') {
      ++p_;
      out += '.';
      if (skip_cfws() <= 0 || !atom(out)) return -1;
      r = skip_cfws();
    }
    return r;
  }

  int addr_spec(entry& e) {
    int r = local_part(e);
    if (r != 0 && !at_end() && peek() == '@') {
      ++p_;
      int r2 = skip_cfws();
      if (r2 > 0) r2 = domain(e.domain);
      if (r2 > 0 || (r2 == 0 && !e.domain.empty())) e.has_domain = true;
      if (r2 <= 0) r = r2;
    }
    return r;
  }

  // "<" [route ":"] addr-spec ">": false when it is not one (the entry is then invalid).
  bool angle_addr(entry& e, int& r) {
    ++p_;  // '<'
    if (skip_cfws() <= 0) return false;
    if (peek() == '>') {  // "<>", the null path: no address, but read past it
      ++p_;
      r = skip_cfws();
      return false;
    }
    if (peek() == '@') {  // obsolete source route: skipped
      while (!at_end() && peek() == '@') {
        ++p_;
        std::string ignored;
        if (skip_cfws() <= 0 || domain(ignored) <= 0) return false;
        while (!at_end() && peek() == ',') {
          ++p_;
          if (skip_cfws() <= 0) return false;
        }
      }
      if (at_end() || peek() != ':') return false;
      ++p_;
      if (skip_cfws() <= 0) return false;
    }
    if (local_part(e) <= 0) return false;
    if (peek() == '@') {
      ++p_;
      if (skip_cfws() <= 0 || domain(e.domain) <= 0) return false;
      e.has_domain = true;
    }
    if (peek() != '>') return false;
    ++p_;
    r = skip_cfws();
    return r >= 0;
  }

  int mailbox() {
    entry e;
    std::size_t start = p_;
    int r = -1;
    // name-addr: [phrase] angle-addr
    if (phrase() >= 0 && !at_end() && peek() == '<') {
      if (!angle_addr(e, r)) {
        e.invalid = true;
        r = more();
      }
    } else {
      p_ = start;
      e = entry{};
      r = addr_spec(e);
    }
    if (r < 0) e.invalid = true;
    if (!e.has_local || !e.has_domain) e.invalid = true;
    out_->push_back(std::move(e));
    return r;
  }

  // group: phrase ":" [mailbox-list] ";". nullopt when it is not a group.
  std::optional<int> group() {
    std::size_t start = p_;
    if (at_end() || peek() == '.' || peek() == ':' || phrase() < 0 || at_end() || peek() != ':' ||
        p_ == start)
      return std::nullopt;
    ++p_;
    int r = skip_cfws();
    out_->push_back(flagged(true, r <= 0));
    if (r > 0 && peek() != ';') {
      for (;;) {
        if (mailbox() <= 0) {
          r = -1;
          break;
        }
        if (peek() != ',') break;
        ++p_;
        if (skip_cfws() <= 0) {
          r = -1;
          break;
        }
      }
    }
    if (r >= 0) {
      if (at_end() || peek() != ';') {
        r = -1;
      } else {
        ++p_;
        r = skip_cfws();
      }
    }
    out_->push_back(flagged(true, r < 0));
    return r == 0 ? 0 : 1;
  }

  int address() {
    std::size_t start = p_;
    if (auto r = group()) return *r;
    p_ = start;
    return mailbox();
  }

  std::string_view s_;
  std::size_t p_ = 0;
  std::vector<entry>* out_ = nullptr;
};

// SMTP (RFC 5321) carries ASCII local parts: printable characters and space, quoted if needed.
bool smtp_local_ok(std::string_view local) {
  for (unsigned char c : local)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

bool is_dot_atom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '.') {
      if (s[i - 1] == '.') return false;
    } else if (c >= 0x80 || !is_atext(c)) {
      return false;
    }
  }
  return true;
}

std::string smtp_form(std::string_view local, std::string_view domain) {
  std::string out;
  if (is_dot_atom(local)) {
    out = local;
  } else {
    out = '"';
    for (char c : local) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '@';
  out += domain;
  return out;
}

std::optional<std::string_view> subaddress(std::string_view local, addr_part part) {
  std::size_t plus = local.find('+');
  if (part == addr_part::user) return local.substr(0, plus);
  if (plus == std::string_view::npos) return std::nullopt;
  return local.substr(plus + 1);
}

}  // namespace

std::vector<sieve_address> sieve_address_list(std::string_view raw_value) {
  std::vector<sieve_address> out;
  if (raw_value.empty()) {
    out.push_back({sieve_address::kind::empty, "", "", ""});
    return out;
  }
  std::vector<entry> entries;
  if (!reader(raw_value).read_list(entries)) return out;
  for (entry& e : entries) {
    if (e.marker || e.invalid || !smtp_local_ok(e.local)) continue;
    if (e.local.empty()) {
      out.push_back({sieve_address::kind::null, "", "", ""});
      continue;
    }
    std::string all = smtp_form(e.local, e.domain);
    out.push_back(
        {sieve_address::kind::mailbox, std::move(e.local), std::move(e.domain), std::move(all)});
  }
  if (out.empty()) out.push_back({sieve_address::kind::unparsed, "", "", std::string(raw_value)});
  return out;
}

std::optional<std::string_view> address_part(const sieve_address& a, addr_part part) {
  switch (a.k) {
    case sieve_address::kind::empty:
      return std::string_view();
    case sieve_address::kind::null:
      return std::nullopt;
    case sieve_address::kind::unparsed:
      if (part == addr_part::all) return std::string_view(a.all);
      return std::nullopt;
    case sieve_address::kind::mailbox:
      break;
  }
  switch (part) {
    case addr_part::all:
      return std::string_view(a.all);
    case addr_part::localpart:
      return std::string_view(a.local);
    case addr_part::domain:
      return std::string_view(a.domain);
    case addr_part::user:
    case addr_part::detail:
      return subaddress(a.local, part);
  }
  return std::nullopt;
}

std::optional<std::string_view> envelope_part(std::string_view addr, addr_part part) {
  std::size_t at = addr.rfind('@');
  std::string_view local = at == std::string_view::npos ? addr : addr.substr(0, at);
  switch (part) {
    case addr_part::all:
      return addr;
    case addr_part::localpart:
      return local;
    case addr_part::domain:
      if (at == std::string_view::npos) return std::nullopt;
      return addr.substr(at + 1);
    case addr_part::user:
    case addr_part::detail:
      return subaddress(local, part);
  }
  return std::nullopt;
}

}  // namespace hd::rules
