// Running a compiled script over one mail: tests, actions (RFC 5228 section 4, with implicit
// keep), variables, the helpdesk decision and the trace.
#include "hd/rules/script.hpp"

#include "hd/common/utf8.hpp"
#include "match.hpp"
#include "values.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

namespace hd::rules {
namespace {

std::string shorten(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 120)) out += (c == '\r' || c == '\n' || c == '\t') ? ' ' : c;
  if (s.size() > 120) {
    // Do not cut a UTF-8 sequence in half.
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80)) out.pop_back();
    out += "...";
  }
  return out;
}

class evaluator {
 public:
  evaluator(const compiled& p, const input& in, outcome& out)
      : p_(p), in_(in), out_(out), mail_(p, in) {}

  void run() {
    exec(p_.commands);
    finish();
  }

 private:
  // ---- strings and variables -------------------------------------------------------------
  const std::string& resolve(const vstring& s, std::string& scratch) const {
    if (!s.dynamic) return s.text;
    scratch = expand(s.text);
    return scratch;
  }
  // An action's argument: always UTF-8. A match variable can hold part of a character (a
  // "?" of :matches takes one byte) or raw bytes (body :raw); each invalid run becomes
  // U+FFFD, so a category, tag or folder name never carries broken text into the database
  // or a JSON answer. Pigeonhole refuses such a folder name at run time and keeps the mail
  // (docs/rules.md, deliberate differences).
  const std::string& argument(const vstring& s, std::string& scratch) const {
    const std::string& v = resolve(s, scratch);
    if (is_valid_utf8(v)) return v;
    scratch = repair_utf8_runs(v);
    return scratch;
  }

  std::string expand(std::string_view s) const {
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
      std::size_t open = s.find("${", i);
      std::size_t close = open == std::string_view::npos ? open : s.find('}', open + 2);
      if (close == std::string_view::npos) break;
      out.append(s.substr(i, open - i));
      std::string name = ascii_lower(s.substr(open + 2, close - open - 2));
      if (auto v = lookup(name)) {
        out += *v;
      } else {
        out.append(s.substr(open, close - open + 1));  // not a variable reference: literal
      }
      i = close + 1;
    }
    out.append(s.substr(std::min(i, s.size())));
    if (out.size() > p_.lim.max_variable_bytes) out.resize(p_.lim.max_variable_bytes);
    return out;
  }

  std::optional<std::string> lookup(const std::string& name) const {
    if (name.empty()) return std::nullopt;
    if (std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      std::size_t n = name.size() > 3 ? 1000 : std::stoul(name);
      return n < match_vars_.size() ? match_vars_[n] : std::string();
    }
    bool ident = std::all_of(name.begin(), name.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    });
    if (!ident) return std::nullopt;
    auto it = vars_.find(name);
    return it == vars_.end() ? std::string() : it->second;
  }

  // ---- tests -----------------------------------------------------------------------------
  // ENTRIES: what :count counts when it is not the values (address tests count addresses,
  // also those without the part asked for, as Pigeonhole).
  template <class Values>
  bool match_values(const test& t, const Values& values, std::string& detail,
                    std::optional<std::size_t> entries = std::nullopt) {
    const match_spec& m = t.m;
    if (m.type == match_type::count) {
      // RFC 5229: the string test does not count empty strings; headers count every value.
      std::size_t n = 0;
      for (const auto& v : values)
        n += t.kind == test_kind::string && std::string_view(v).empty() ? 0 : 1;
      if (entries) n = *entries;
      std::string count = std::to_string(n);
      std::string scratch;
      for (const vstring& k : m.keys) {
        if (relate(m, count, resolve(k, scratch))) {
          detail = "count " + count;
          return true;
        }
      }
      return false;
    }
    // A body test never sets match variables (RFC 5173; Pigeonhole disables them for it).
    bool capture = p_.match_variables && t.kind != test_kind::body &&
                   (m.type == match_type::matches || m.type == match_type::regex);
    // Pigeonhole (sieve-match.c) takes each value in turn and tries every key on it, so the
    // first value that matches any key sets the match variables, not the first key.
    std::vector<key_ref> keys;
    std::vector<std::size_t> key_index;
    std::vector<std::string> texts, foldeds;
    std::vector<std::unique_ptr<RE2>> res;
    texts.reserve(m.keys.size());
    foldeds.reserve(m.keys.size());
    for (std::size_t k = 0; k < m.keys.size(); ++k) {
      if (!m.keys[k].dynamic && m.type == match_type::matches && !capture &&
          m.shapes[k] != glob_shape::regex) {
        keys.push_back({m.keys[k].text, m.folded[k], nullptr});
        key_index.push_back(k);
        continue;
      }
      if (!m.keys[k].dynamic) {
        keys.push_back({m.keys[k].text, m.folded[k], k < m.re.size() ? m.re[k].get() : nullptr});
        key_index.push_back(k);
        continue;
      }
      const std::string& text = texts.emplace_back(expand(m.keys[k].text));
      const std::string& folded =
          foldeds.emplace_back(m.cmp == comparator::casemap ? ascii_lower(text) : text);
      RE2* re = nullptr;
      if (m.type == match_type::matches || m.type == match_type::regex) {
        auto& r = res.emplace_back(
            std::make_unique<RE2>(m.type == match_type::matches ? glob_to_regex(text, m.cmp) : text,
                                  regex_options(m.type, m.cmp)));
        if (!r->ok()) {
          detail = fmt::format("pattern \"{}\" does not compile: {}", shorten(text), r->error());
          continue;
        }
        re = r.get();
      }
      keys.push_back({text, folded, re});
      key_index.push_back(k);
    }
    std::vector<std::string> captures;
    for (const auto& v : values) {
      for (std::size_t i = 0; i < keys.size(); ++i) {
        std::size_t k = key_index[i];
        bool hit = !m.keys[k].dynamic && m.type == match_type::matches && !capture &&
                           m.shapes[k] != glob_shape::regex
                       ? match_shape(m, k, v)
                       : match_one(m, v, keys[i], capture ? &captures : nullptr);
        if (!hit) continue;
        if (capture) {
          for (auto& c : captures)
            if (c.size() > p_.lim.max_variable_bytes) c.resize(p_.lim.max_variable_bytes);
          match_vars_ = std::move(captures);
        }
        if (in_.trace)
          detail = fmt::format("\"{}\" matched \"{}\"", shorten(v), shorten(keys[i].text));
        return true;
      }
    }
    return false;
  }

  bool fast(const test& t, std::size_t i) const {
    // The trace shows values as written, so a dry run takes the slow path.
    return t.m.plain && !in_.trace && t.ids[i] >= 0 &&
           !(t.m.type == match_type::matches && p_.match_variables);
  }

  bool match_folded(const test& t, const std::vector<std::string>& values, std::string& detail) {
    for (const std::string& v : values) {
      int k = match_plain(t.m, v);
      if (k < 0) continue;
      if (in_.trace)
        detail = fmt::format("\"{}\" matched \"{}\"", shorten(v),
                             shorten(t.m.keys[static_cast<std::size_t>(k)].text));
      return true;
    }
    return false;
  }

  // By reference for interned names (the common case): no copy per test.
  const std::vector<std::string_view>& header_values(const test& t, std::size_t i) {
    if (t.ids[i] >= 0) return mail_.headers(t.ids[i]);
    std::string scratch;
    dynamic_headers_ = mail_.headers(resolve(t.names[i], scratch));
    return dynamic_headers_;
  }

  bool address_test(const test& t, std::string& detail) {
    parts_.clear();
    std::string scratch;
    std::optional<std::size_t> entries;
    std::string unparsed;
    for (std::size_t i = 0; i < t.names.size(); ++i) {
      const std::string& name = resolve(t.names[i], scratch);
      if (t.kind == test_kind::envelope) {
        // :count counts envelope addresses, also those without the part (no "+detail").
        std::vector<std::string_view> env = mail_.envelope(name);
        entries = entries.value_or(0) + env.size();
        for (std::string_view e : env)
          if (auto p = envelope_part(e, t.part)) parts_.push_back(*p);
      } else {
        const std::vector<sieve_address>& list = mail_.addresses(t.ids[i], name);
        entries = entries.value_or(0) + list.size();
        for (const sieve_address& a : list) {
          if (auto p = address_part(a, t.part)) parts_.push_back(*p);
          if (a.k == sieve_address::kind::unparsed && in_.trace && unparsed.empty())
            unparsed = fmt::format(
                "{}: \"{}\" holds no valid address, so only :all sees it, "
                "as written; header :contains can test it",
                name, shorten(a.all));
        }
      }
    }
    bool r = match_values(t, parts_, detail, entries);
    if (!r && !unparsed.empty()) detail = unparsed;  // why a plain-looking address did not match
    return r;
  }

  bool eval_test(const test& t) {
    // The entry goes in before the children's, so the trace reads top-down.
    std::size_t slot = out_.trace.size();
    if (in_.trace) out_.trace.push_back({t.line, t.column, "test", t.text, false, "", depth_});
    ++depth_;
    std::string detail;
    bool r = false;
    switch (t.kind) {
      case test_kind::true_:
        r = true;
        break;
      case test_kind::false_:
        r = false;
        break;
      case test_kind::followup:
        r = in_.followup;
        break;
      case test_kind::not_:
        r = !eval_test(t.children[0]);
        break;
      case test_kind::allof:
        r = std::all_of(t.children.begin(), t.children.end(),
                        [&](const test& c) { return eval_test(c); });
        break;
      case test_kind::anyof:
        r = std::any_of(t.children.begin(), t.children.end(),
                        [&](const test& c) { return eval_test(c); });
        break;
      case test_kind::size:
        r = t.over ? mail_.size() > t.limit : mail_.size() < t.limit;
        if (in_.trace) detail = fmt::format("message size {} bytes", mail_.size());
        break;
      case test_kind::exists:
        r = true;
        for (std::size_t i = 0; i < t.names.size() && r; ++i) r = !header_values(t, i).empty();
        break;
      case test_kind::header:
        if (t.m.type == match_type::count) {
          // RFC 5231 section 4.2: :count counts the values of all the headers named, together.
          std::vector<std::string_view> all;
          for (std::size_t i = 0; i < t.names.size(); ++i) {
            const auto& v = header_values(t, i);
            all.insert(all.end(), v.begin(), v.end());
          }
          r = match_values(t, all, detail);
          break;
        }
        for (std::size_t i = 0; i < t.names.size() && !r; ++i) {
          if (fast(t, i)) {
            r = match_folded(t, mail_.folded_headers(t.ids[i]), detail);
          } else {
            r = match_values(t, header_values(t, i), detail);
          }
        }
        break;
      case test_kind::address:
        if (!in_.trace && t.names.size() == 1 && t.ids[0] >= 0 && t.m.type != match_type::count) {
          r = fast(t, 0) ? match_folded(t, mail_.address_parts(t.ids[0], t.part, true), detail)
                         : match_values(t, mail_.address_parts(t.ids[0], t.part, false), detail);
        } else {
          r = address_test(t, detail);
        }
        break;
      case test_kind::envelope:
        r = address_test(t, detail);
        break;
      case test_kind::body:
        r = match_values(t, mail_.body(t.transform, t.content_types), detail);
        break;
      case test_kind::string: {
        std::vector<std::string> sources;
        for (const vstring& s : t.names) sources.push_back(s.dynamic ? expand(s.text) : s.text);
        r = match_values(t, sources, detail);
        break;
      }
    }
    --depth_;
    if (in_.trace) {
      out_.trace[slot].result = r;
      out_.trace[slot].detail = std::move(detail);
    }
    return r;
  }

  // ---- commands --------------------------------------------------------------------------
  void exec(const std::vector<command>& cmds) {
    for (const command& c : cmds) {
      if (stop_) return;
      if (c.kind == cmd_kind::if_) {
        for (const branch& b : c.branches) {
          if (!b.cond || eval_test(*b.cond)) {
            ++depth_;
            exec(b.body);
            --depth_;
            break;
          }
        }
        continue;
      }
      act(c);
    }
  }

  void add_action(std::string type, std::string arg, int line) {
    for (const action& a : out_.actions)
      if (a.type == type && a.argument == arg) return;
    out_.actions.push_back({std::move(type), std::move(arg), line});
  }

  void decide(std::string& slot, const std::string& value, const command& c, const char* what) {
    if (slot.empty()) {
      slot = value;
      decided_at_[what] = c.line;
    } else if (slot != value) {
      out_.result.notes.push_back(
          fmt::format("line {}: {} \"{}\" ignored: already set to \"{}\" on line {}", c.line, what,
                      value, slot, decided_at_[what]));
    }
  }

  void act(const command& c) {
    std::string scratch;
    std::string detail;
    decision& d = out_.result;
    switch (c.kind) {
      case cmd_kind::stop:
        stop_ = true;
        break;
      case cmd_kind::keep:
        out_.implicit_keep = false;
        add_action("keep", "", c.line);
        break;
      case cmd_kind::discard:
        out_.implicit_keep = false;
        if (discard_line_ == 0) discard_line_ = c.line;
        break;
      case cmd_kind::redirect:
        out_.implicit_keep = false;
        if (redirect_line_ == 0) redirect_line_ = c.line;
        add_action("redirect", argument(c.arg, scratch), c.line);
        break;
      case cmd_kind::fileinto:
        out_.implicit_keep = false;
        add_action("fileinto", argument(c.arg, scratch), c.line);
        decide(d.category, argument(c.arg, scratch), c, "category");
        break;
      case cmd_kind::category:
        decide(d.category, argument(c.arg, scratch), c, "category");
        break;
      case cmd_kind::assign:
        decide(d.owner, argument(c.arg, scratch), c, "owner");
        break;
      case cmd_kind::priority:
        decide(d.priority, argument(c.arg, scratch), c, "priority");
        break;
      case cmd_kind::template_:
        decide(d.template_name, argument(c.arg, scratch), c, "template");
        break;
      case cmd_kind::tag: {
        const std::string& t = argument(c.arg, scratch);
        if (std::find(d.tags.begin(), d.tags.end(), t) == d.tags.end()) d.tags.push_back(t);
        break;
      }
      case cmd_kind::noack:
        d.ack = false;
        break;
      case cmd_kind::set:
        set(c, detail);
        break;
      case cmd_kind::if_:
        break;
    }
    if (in_.trace)
      out_.trace.push_back({c.line, c.column, "action", c.text, true, std::move(detail), depth_});
  }

  void set(const command& c, std::string& detail) {
    std::string v = c.value.dynamic ? expand(c.value.text) : c.value.text;
    for (set_modifier m : c.modifiers) {
      switch (m) {
        case set_modifier::lower:
          v = ascii_lower(v);
          break;
        case set_modifier::upper:
          for (char& ch : v)
            if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
          break;
        case set_modifier::lowerfirst:
          if (!v.empty() && v[0] >= 'A' && v[0] <= 'Z') v[0] = static_cast<char>(v[0] - 'A' + 'a');
          break;
        case set_modifier::upperfirst:
          if (!v.empty() && v[0] >= 'a' && v[0] <= 'z') v[0] = static_cast<char>(v[0] - 'a' + 'A');
          break;
        case set_modifier::quotewildcard: {
          std::string q;
          for (char ch : v) {
            if (ch == '*' || ch == '?' || ch == '\\') q += '\\';
            q += ch;
          }
          v = std::move(q);
          break;
        }
        case set_modifier::length: {
          std::size_t n = 0;  // characters, not bytes
          for (char ch : v) n += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
          v = std::to_string(n);
          break;
        }
      }
    }
    if (v.size() > p_.lim.max_variable_bytes) v.resize(p_.lim.max_variable_bytes);
    if (in_.trace) detail = fmt::format("{} = \"{}\"", c.arg.text, shorten(v));
    vars_[c.arg.text] = std::move(v);
  }

  void finish() {
    decision& d = out_.result;
    bool kept = out_.implicit_keep;
    for (const action& a : out_.actions) kept = kept || a.type == "keep" || a.type == "fileinto";
    if (discard_line_ != 0) {
      auto it = std::find_if(out_.actions.begin(), out_.actions.end(),
                             [](const action& a) { return a.type == "redirect"; });
      out_.actions.insert(it, action{"discard", "", discard_line_});
    }
    d.create_request = kept;
    if (!kept && discard_line_ != 0) {
      d.reason = fmt::format("discarded by {}:{}", p_.name, discard_line_);
    } else if (!kept) {
      d.reason = fmt::format("redirected by {}:{} without keep", p_.name, redirect_line_);
    }
  }

  const compiled& p_;
  const input& in_;
  outcome& out_;
  mail_view mail_;
  std::unordered_map<std::string, std::string> vars_;
  std::vector<std::string> match_vars_;
  std::vector<std::string_view> dynamic_headers_, parts_;  ///< reused scratch space
  std::unordered_map<std::string, int> decided_at_;
  bool stop_ = false;
  int depth_ = 0;  ///< nesting of the current test or command, for the trace
  int discard_line_ = 0;
  int redirect_line_ = 0;
};

}  // namespace

outcome evaluate(const script& s, const input& in) {
  outcome out;
  if (in.message == nullptr) return out;
  evaluator(s.program(), in, out).run();
  return out;
}

}  // namespace hd::rules
