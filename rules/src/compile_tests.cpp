// Compiling tests: tagged arguments (match type, comparator, address part, size, body
// transform) are read once here; constant keys are folded and patterns compiled with RE2.
#include "compiler.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace hd::rules {
namespace {

struct test_shape {
  const char* name;
  test_kind kind;
  int strings;  ///< positional string lists
  bool match, addr, body;
  const char* cap;
  const char* usage;
};

const test_shape shapes[] = {
    {"address", test_kind::address, 2, true, true, false, nullptr,
     "address :domain \"from\" \"example.com\""},
    {"envelope", test_kind::envelope, 2, true, true, false, "envelope",
     "envelope :domain \"from\" \"example.com\""},
    {"header", test_kind::header, 2, true, false, false, nullptr,
     "header :contains \"subject\" \"invoice\""},
    {"exists", test_kind::exists, 1, false, false, false, nullptr, "exists \"x-priority\""},
    {"size", test_kind::size, 0, false, false, false, nullptr, "size :over 1M"},
    {"allof", test_kind::allof, 0, false, false, false, nullptr, "allof (true, false)"},
    {"anyof", test_kind::anyof, 0, false, false, false, nullptr, "anyof (true, false)"},
    {"not", test_kind::not_, 0, false, false, false, nullptr, "not true"},
    {"true", test_kind::true_, 0, false, false, false, nullptr, "true"},
    {"false", test_kind::false_, 0, false, false, false, nullptr, "false"},
    {"body", test_kind::body, 1, true, false, true, "body", "body :contains \"invoice\""},
    {"string", test_kind::string, 2, true, false, false, "variables",
     "string :is \"${queue}\" \"billing\""},
    {"followup", test_kind::followup, 0, false, false, false, "vnd.helpdeskd", "followup"},
};

// Most :matches keys are "*word*" and friends: plain string searches, no regex needed
// (when no ${N} is used, so that nothing has to be captured).
void classify_glob(match_spec& m, std::string_view g) {
  glob_shape shape = glob_shape::regex;
  std::string_view inner = g;
  bool lead = !inner.empty() && inner.front() == '*';
  if (lead) inner.remove_prefix(1);
  bool trail = !inner.empty() && inner.back() == '*';
  if (trail) inner.remove_suffix(1);
  if (m.type == match_type::matches && inner.find_first_of("*?\\") == std::string_view::npos) {
    if (inner.empty() && (lead || trail))
      shape = glob_shape::any;
    else if (lead && trail)
      shape = glob_shape::infix;
    else if (lead)
      shape = glob_shape::suffix;
    else if (trail)
      shape = glob_shape::prefix;
    else
      shape = glob_shape::exact;
  }
  m.shapes.push_back(shape);
  m.literal.emplace_back(inner);
}

}  // namespace

test compiler::compile_test(const test_node& n) {
  test t;
  t.line = n.at.line;
  t.column = n.at.column;
  t.text = text_of(n.begin, n.end);
  const test_shape* shape = nullptr;
  for (const test_shape& s : shapes)
    if (n.name == s.name) shape = &s;
  if (shape == nullptr) {
    error(n.at, fmt::format("unknown test '{}'", n.name));
    return t;
  }
  t.kind = shape->kind;
  if (shape->cap && !need(n.at, shape->cap, fmt::format("the test '{}'", n.name))) return t;
  if (t.kind == test_kind::allof || t.kind == test_kind::anyof || t.kind == test_kind::not_) {
    bool ok = n.args.empty() && !n.tests.empty() &&
              (t.kind == test_kind::not_ ? !n.test_list && n.tests.size() == 1 : n.test_list);
    if (!ok) error(n.at, fmt::format("'{}' is written {}", n.name, shape->usage));
    for (const test_node& c : n.tests) t.children.push_back(compile_test(c));
    return t;
  }
  if (!n.tests.empty()) error(n.at, fmt::format("'{}' takes no test", n.name));
  tagged tg;
  if (!read_tags(n, tg)) return t;
  bool tags_ok = (shape->match || (!tg.type && !tg.cmp)) && (shape->addr || !tg.part) &&
                 (t.kind == test_kind::size || !tg.over) && (shape->body || !tg.transform);
  if (!tags_ok)
    error(n.at, fmt::format("'{}' does not take that tag; usage: {}", n.name, shape->usage));
  bool count_ok = static_cast<int>(tg.positional.size()) == shape->strings;
  for (const argument* a : tg.positional)
    count_ok = count_ok && a->type == argument::kind::string_list;
  if (t.kind == test_kind::size) {
    count_ok =
        tg.over && tg.positional.size() == 1 && tg.positional[0]->type == argument::kind::number;
    if (count_ok) {
      t.over = *tg.over;
      t.limit = tg.positional[0]->number;
    }
  }
  if (!count_ok) {
    error(n.at, fmt::format("wrong arguments for '{}'; usage: {}", n.name, shape->usage));
    return t;
  }
  t.part = tg.part.value_or(addr_part::all);
  t.transform = tg.transform.value_or(body_transform::text);
  t.content_types = tg.content_types;
  if (shape->strings == 2) {
    for (const std::string& s : tg.positional[0]->strings) t.names.push_back(make(s));
    intern_names(t);
    for (const vstring& s : t.names) {
      if (t.kind == test_kind::envelope && !s.dynamic && !iequals(s.text, "from") &&
          !iequals(s.text, "to"))
        error(tg.positional[0]->at,
              fmt::format("unknown envelope part '{}' (\"from\" or \"to\")", s.text));
    }
  } else if (t.kind == test_kind::exists) {
    for (const std::string& s : tg.positional[0]->strings) t.names.push_back(make(s));
    intern_names(t);
  }
  if (shape->match) finish_match(n, tg, t, *tg.positional.back());
  return t;
}

bool compiler::read_tags(const test_node& n, tagged& t) {
  for (std::size_t i = 0; i < n.args.size(); ++i) {
    const argument& a = n.args[i];
    if (a.type != argument::kind::tag) {
      t.positional.push_back(&a);
      continue;
    }
    if (!t.positional.empty()) {
      error(a.at, fmt::format("the tag ':{}' must come before the strings", a.tag));
      return false;
    }
    const std::string& g = a.tag;
    auto set_once = [&](auto& slot, auto value) {
      if (slot) error(a.at, fmt::format("':{}' conflicts with an earlier tag", g));
      slot = value;
    };
    auto next_string = [&](const char* what) -> const argument* {
      if (i + 1 >= n.args.size() || n.args[i + 1].type != argument::kind::string_list) {
        error(a.at, fmt::format("':{}' must be followed by {}", g, what));
        return nullptr;
      }
      return &n.args[++i];
    };
    if (g == "is")
      set_once(t.type, match_type::is);
    else if (g == "contains")
      set_once(t.type, match_type::contains);
    else if (g == "matches")
      set_once(t.type, match_type::matches);
    else if (g == "regex") {
      need(a.at, "regex", "':regex'");
      set_once(t.type, match_type::regex);
    } else if (g == "value" || g == "count") {
      need(a.at, "relational", fmt::format("':{}'", g));
      set_once(t.type, g == "value" ? match_type::value : match_type::count);
      const argument* op =
          next_string("a relation: \"gt\", \"ge\", \"lt\", \"le\", \"eq\" or \"ne\"");
      if (!op) return false;
      static const std::pair<const char*, relation> rels[] = {
          {"gt", relation::gt}, {"ge", relation::ge}, {"lt", relation::lt},
          {"le", relation::le}, {"eq", relation::eq}, {"ne", relation::ne}};
      std::string want = op->strings.size() == 1 ? ascii_lower(op->strings[0]) : "";
      bool found = false;
      for (const auto& r : rels)
        if (want == r.first) t.rel = r.second, found = true;
      if (!found)
        error(op->at, "the relation must be one of \"gt\", \"ge\", \"lt\", \"le\", \"eq\", \"ne\"");
    } else if (g == "comparator") {
      const argument* c = next_string("a comparator name such as \"i;octet\"");
      if (!c) return false;
      std::string name = c->strings.size() == 1 ? c->strings[0] : "";
      if (name == "i;octet")
        set_once(t.cmp, comparator::octet);
      else if (name == "i;ascii-casemap")
        set_once(t.cmp, comparator::casemap);
      else if (name == "i;ascii-numeric") {
        need(c->at, "comparator-i;ascii-numeric", "the comparator \"i;ascii-numeric\"");
        set_once(t.cmp, comparator::numeric);
      } else {
        error(c->at, fmt::format("unknown comparator '{}' (i;octet, i;ascii-casemap, "
                                 "i;ascii-numeric)",
                                 name));
      }
    } else if (g == "all")
      set_once(t.part, addr_part::all);
    else if (g == "localpart")
      set_once(t.part, addr_part::localpart);
    else if (g == "domain")
      set_once(t.part, addr_part::domain);
    else if (g == "user" || g == "detail") {
      need(a.at, "subaddress", fmt::format("':{}'", g));
      set_once(t.part, g == "user" ? addr_part::user : addr_part::detail);
    } else if (g == "over")
      set_once(t.over, true);
    else if (g == "under")
      set_once(t.over, false);
    else if (g == "raw")
      set_once(t.transform, body_transform::raw);
    else if (g == "text")
      set_once(t.transform, body_transform::text);
    else if (g == "content") {
      set_once(t.transform, body_transform::content);
      const argument* c = next_string("a list of content types, e.g. [\"text/html\"]");
      if (!c) return false;
      for (const std::string& s : c->strings) t.content_types.push_back(ascii_lower(s));
    } else {
      error(a.at, fmt::format("unknown tag ':{}' for '{}'", g, n.name));
    }
  }
  return true;
}

void compiler::finish_match(const test_node& n, tagged& tg, test& t, const argument& keys) {
  match_spec& m = t.m;
  m.type = tg.type.value_or(match_type::is);
  m.cmp = tg.cmp.value_or(comparator::casemap);
  m.rel = tg.rel;
  if (m.cmp == comparator::numeric &&
      (m.type == match_type::contains || m.type == match_type::matches ||
       m.type == match_type::regex))
    error(n.at, "the comparator \"i;ascii-numeric\" only works with :is, :value and :count");
  for (const std::string& k : keys.strings) m.keys.push_back(make(k));
  compile_keys(keys.at, m);
  m.plain =
      m.cmp == comparator::casemap &&
      (m.type == match_type::is || m.type == match_type::contains ||
       m.type == match_type::matches) &&
      std::none_of(m.keys.begin(), m.keys.end(), [](const vstring& k) { return k.dynamic; }) &&
      std::none_of(m.shapes.begin(), m.shapes.end(),
                   [](glob_shape g) { return g == glob_shape::regex; });
}

void compiler::compile_keys(position at, match_spec& m) {
  for (const vstring& k : m.keys) {
    m.folded.push_back(m.cmp == comparator::casemap ? ascii_lower(k.text) : k.text);
    if (m.type != match_type::matches && m.type != match_type::regex) continue;
    if (k.dynamic) {
      m.re.push_back(nullptr);
      m.shapes.push_back(glob_shape::regex);
      m.literal.emplace_back();
      continue;
    }
    classify_glob(m, m.folded.back());
    std::string pattern = m.type == match_type::matches ? glob_to_regex(k.text, m.cmp) : k.text;
    auto re = std::make_shared<const RE2>(pattern, regex_options(m.type, m.cmp));
    if (!re->ok()) {
      error(at,
            fmt::format("the regular expression \"{}\" does not compile: {}", k.text, re->error()));
    }
    m.re.push_back(std::move(re));
  }
}

void compiler::intern_names(test& t) {
  if (t.kind == test_kind::envelope || t.kind == test_kind::string) return;
  for (const vstring& name : t.names) {
    if (name.dynamic) {
      t.ids.push_back(-1);
      continue;
    }
    std::string lower = ascii_lower(name.text);
    auto [it, added] = p_.header_ids.emplace(lower, static_cast<int>(p_.header_names.size()));
    if (added) p_.header_names.push_back(lower);
    t.ids.push_back(it->second);
  }
}

}  // namespace hd::rules
