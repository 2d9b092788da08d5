#include "hd/mailparse/html_text.hpp"

#include "html_depth.hpp"

#include <gumbo.h>

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

namespace hd::mailparse {
namespace {

// Past this nesting depth the HTML is not given to gumbo (see nesting_estimate).
constexpr std::size_t k_max_html_depth = 400;

// Accumulates text with collapsed white space and at most one blank line in a row.
class text_sink {
 public:
  void text(std::string_view s, bool pre) {
    for (char c : s) {
      bool space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
      if (pre) {
        if (c == '\r') continue;
        if (c == '\n') {
          line_break();
          continue;
        }
        put(c);
      } else if (space) {
        pending_space_ = true;
      } else {
        put(c);
      }
    }
  }
  void line_break() {
    pending_space_ = false;
    if (!out_.empty()) ++newlines_;
    at_line_start_ = true;
  }
  void block_break(int lines) {
    pending_space_ = false;
    if (!out_.empty() && newlines_ < lines) newlines_ = lines;
    at_line_start_ = true;
  }
  void raw(std::string_view s) {
    for (char c : s) put(c);
  }
  std::string take() { return std::move(out_); }

 private:
  void put(char c) {
    if (newlines_ > 0) {
      out_.append(static_cast<std::size_t>(std::min(newlines_, 2)), '\n');
      newlines_ = 0;
      pending_space_ = false;
    } else if (pending_space_ && !at_line_start_) {
      out_ += ' ';
    }
    pending_space_ = false;
    at_line_start_ = false;
    out_ += c;
  }
  std::string out_;
  int newlines_ = 0;
  bool pending_space_ = false;
  bool at_line_start_ = true;
};

bool skipped(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
      return true;
    default:
      return false;
  }
}

// Lines of space around a block element: 2 = paragraph, 1 = line, 0 = inline.
int block_lines(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_P:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_HR:
      return 2;
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_NAV:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_FORM:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_FIELDSET:
    case GUMBO_TAG_BODY:
      return 1;
    default:
      return 0;
  }
}

const char* attribute(const GumboElement& e, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&e.attributes, name);
  return a != nullptr ? a->value : nullptr;
}

struct frame {
  explicit frame(const GumboNode* n) : node(n) {}
  const GumboNode* node;
  unsigned next_child = 0;
  std::string link;      ///< href to print after the element's text (links)
  int list_counter = 0;  ///< for <ol>: the next item number; -1 for <ul>
};

class converter {
 public:
  explicit converter(const std::function<bool()>& over_budget) : over_budget_(over_budget) {}

  std::string run(const GumboNode* root) {
    stack_.emplace_back(root);
    // The budget is asked every 4096 steps: a clock read per node would cost more than the step.
    for (std::size_t steps = 1; !stack_.empty(); ++steps) {
      if (steps % 4096 == 0 && over_budget_ && over_budget_()) break;
      step();
    }
    return sink_.take();
  }

 private:
  void step() {
    frame& f = stack_.back();
    const GumboNode* n = f.node;
    if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_DOCUMENT) {
      leaf(n);
      stack_.pop_back();
      return;
    }
    const GumboVector& children =
        n->type == GUMBO_NODE_DOCUMENT ? n->v.document.children : n->v.element.children;
    if (f.next_child == 0 && n->type == GUMBO_NODE_ELEMENT && !open(f)) {
      stack_.pop_back();
      return;
    }
    if (f.next_child < children.length) {
      const auto* child = static_cast<const GumboNode*>(children.data[f.next_child++]);
      stack_.emplace_back(child);
      return;
    }
    if (n->type == GUMBO_NODE_ELEMENT) close(f);
    stack_.pop_back();
  }

  void leaf(const GumboNode* n) {
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_WHITESPACE ||
        n->type == GUMBO_NODE_CDATA) {
      sink_.text(n->v.text.text, pre_ > 0);
    }
  }

  // Returns false when the element's content is not shown.
  bool open(frame& f) {
    const GumboElement& e = f.node->v.element;
    if (skipped(e.tag)) return false;
    f.next_child = 0;
    if (int b = block_lines(e.tag)) sink_.block_break(b);
    switch (e.tag) {
      case GUMBO_TAG_BR:
        sink_.line_break();
        break;
      case GUMBO_TAG_PRE:
        ++pre_;
        break;
      case GUMBO_TAG_OL:
        f.list_counter = 1;
        break;
      case GUMBO_TAG_UL:
        f.list_counter = -1;
        break;
      case GUMBO_TAG_LI:
        list_item();
        break;
      case GUMBO_TAG_TD:
      case GUMBO_TAG_TH:
        sink_.text(" ", false);
        break;
      case GUMBO_TAG_A: {
        const char* href = attribute(e, "href");
        if (href != nullptr) f.link = href;
        break;
      }
      case GUMBO_TAG_IMG: {
        const char* alt = attribute(e, "alt");
        if (alt != nullptr && *alt != '\0') sink_.text(alt, false);
        break;
      }
      default:
        break;
    }
    return true;
  }

  void list_item() {
    for (auto it = stack_.rbegin() + 1; it != stack_.rend(); ++it) {
      if (it->node->type != GUMBO_NODE_ELEMENT) continue;
      GumboTag t = it->node->v.element.tag;
      if (t == GUMBO_TAG_OL) {
        sink_.raw(std::to_string(it->list_counter++) + ". ");
        return;
      }
      if (t == GUMBO_TAG_UL) break;
    }
    sink_.raw("- ");
  }

  void close(frame& f) {
    const GumboElement& e = f.node->v.element;
    if (e.tag == GUMBO_TAG_PRE) --pre_;
    if (e.tag == GUMBO_TAG_A) close_link(f);
    if (int b = block_lines(e.tag)) sink_.block_break(b);
  }

  void close_link(const frame& f) {
    std::string_view href = f.link;
    if (href.empty() || href[0] == '#' || href.rfind("javascript:", 0) == 0) return;
    std::string_view shown = href;
    if (shown.rfind("mailto:", 0) == 0) shown.remove_prefix(7);
    // Only the text of this link, compared without spaces: print the URL unless it is shown.
    std::string inner = inner_text(f.node);
    if (inner == shown || inner == href) return;
    if (inner.empty()) {
      sink_.text(std::string(shown), false);
      return;
    }
    sink_.text(" ", false);
    sink_.raw("<" + std::string(shown) + ">");
  }

  // The text of a link's children (links are small; nested depth is bounded by gumbo's
  // adoption rules, which never nest <a> in <a>).
  static std::string inner_text(const GumboNode* a) {
    std::string out;
    std::vector<const GumboNode*> todo{a};
    while (!todo.empty() && out.size() < 4096) {
      const GumboNode* n = todo.back();
      todo.pop_back();
      if (n->type == GUMBO_NODE_TEXT) {
        for (const char* p = n->v.text.text; *p; ++p) {
          if (*p != ' ' && *p != '\n' && *p != '\t' && *p != '\r') out += *p;
        }
      } else if (n->type == GUMBO_NODE_ELEMENT) {
        const GumboVector& c = n->v.element.children;
        for (unsigned i = c.length; i > 0; --i)
          todo.push_back(static_cast<const GumboNode*>(c.data[i - 1]));
      }
    }
    return out;
  }

  const std::function<bool()>& over_budget_;
  std::vector<frame> stack_;
  text_sink sink_;
  int pre_ = 0;
};

bool is_void_element(std::string_view tag) {
  for (std::string_view v : {"br", "img", "hr", "input", "meta", "link", "area", "base", "col",
                             "embed", "param", "source", "track", "wbr", "p", "li", "td", "tr"}) {
    if (tag.size() == v.size() && std::equal(tag.begin(), tag.end(), v.begin(),
                                             [](char a, char b) { return (a | 0x20) == b; }))
      return true;
  }
  return false;
}

}  // namespace

std::size_t nesting_estimate(std::string_view html) {
  std::size_t depth = 0, deepest = 0;
  for (std::size_t i = html.find('<'); i != std::string_view::npos; i = html.find('<', i + 1)) {
    if (i + 1 >= html.size()) break;
    if (html[i + 1] == '/') {
      depth -= depth > 0 ? 1 : 0;
      continue;
    }
    std::size_t e = i + 1;
    while (e < html.size() && std::isalnum(static_cast<unsigned char>(html[e]))) ++e;
    if (e == i + 1 || is_void_element(html.substr(i + 1, e - i - 1))) continue;
    deepest = std::max(deepest, ++depth);
  }
  return deepest;
}

namespace {

// Fallback for HTML too deep to parse in reasonable time: tags dropped, a few entities
// decoded, white space collapsed. Linear.
std::string strip_tags(std::string_view html) {
  text_sink sink;
  std::size_t i = 0;
  while (i < html.size()) {
    if (html[i] == '<') {
      std::size_t close = html.find('>', i);
      if (close == std::string_view::npos) break;
      sink.text(" ", false);
      i = close + 1;
      continue;
    }
    std::size_t next = std::min(html.find('<', i), html.size());
    std::string_view chunk = html.substr(i, next - i);
    std::string decoded;
    for (std::size_t k = 0; k < chunk.size(); ++k) {
      bool done = false;
      for (auto [entity, text] : {std::pair<std::string_view, std::string_view>{"&amp;", "&"},
                                  {"&lt;", "<"},
                                  {"&gt;", ">"},
                                  {"&quot;", "\""},
                                  {"&nbsp;", " "}}) {
        if (chunk.substr(k, entity.size()) == entity) {
          decoded += text;
          k += entity.size() - 1;
          done = true;
          break;
        }
      }
      if (!done) decoded += chunk[k];
    }
    sink.text(decoded, false);
    i = next;
  }
  return sink.take();
}

struct output_deleter {
  void operator()(GumboOutput* o) const { gumbo_destroy_output(&kGumboDefaultOptions, o); }
};

}  // namespace

std::string html_to_text(std::string_view html, const std::function<bool()>& over_budget) {
  std::string text;
  if (over_budget && over_budget()) return text;
  if (nesting_estimate(html) > k_max_html_depth) {
    text = strip_tags(html);
  } else {
    std::unique_ptr<GumboOutput, output_deleter> out(
        gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size()));
    if (!out) return {};
    converter c(over_budget);
    text = c.run(out->document);
  }
  // Trailing spaces on each line are noise.
  std::string clean;
  clean.reserve(text.size());
  for (char ch : text) {
    if (ch == '\n') {
      while (!clean.empty() && clean.back() == ' ') clean.pop_back();
    }
    clean += ch;
  }
  while (!clean.empty() && (clean.back() == ' ' || clean.back() == '\n')) clean.pop_back();
  return clean;
}

}  // namespace hd::mailparse
