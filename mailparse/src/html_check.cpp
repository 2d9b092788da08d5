// html_active_content: the sanitiser's check, written apart from it with its own short tables.
#include "hd/mailparse/html_safe.hpp"

#include <gumbo.h>

#include <algorithm>
#include <cctype>
#include <memory>

namespace hd::mailparse {
namespace {

bool one_of(std::string_view v, std::initializer_list<std::string_view> names) {
  return std::find(names.begin(), names.end(), v) != names.end();
}

// Elements that may appear in inert mail HTML (html, head, body: the parser's own).
bool inert_element(std::string_view t) {
  return one_of(
      t, {"html",    "head",   "body",      "b",       "strong",  "i",          "em",    "u",
          "s",       "strike", "del",       "ins",     "sub",     "sup",        "small", "big",
          "mark",    "abbr",   "cite",      "q",       "tt",      "kbd",        "samp",  "var",
          "dfn",     "code",   "pre",       "p",       "div",     "span",       "br",    "hr",
          "wbr",     "h1",     "h2",        "h3",      "h4",      "h5",         "h6",    "ul",
          "ol",      "li",     "dl",        "dt",      "dd",      "table",      "thead", "tbody",
          "tfoot",   "tr",     "td",        "th",      "caption", "blockquote", "a",     "img",
          "font",    "center", "section",   "article", "header",  "footer",     "main",  "aside",
          "address", "figure", "figcaption"});
}

std::string browser_url(std::string_view v) {
  std::string s;
  for (char c : v) {
    if (c != '\t' && c != '\n' && c != '\r') s += static_cast<char>(std::tolower(c));
  }
  std::size_t b = 0;
  while (b < s.size() && static_cast<unsigned char>(s[b]) <= 0x20) ++b;
  return s.substr(b);
}

bool starts(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

void check_attribute(std::string_view tag, const GumboAttribute& a, std::string_view img_prefix,
                     std::vector<std::string>& why) {
  std::string_view n = a.name;
  std::string v = browser_url(a.value);
  auto bad = [&](std::string_view what) {
    why.push_back(std::string(what) + ": <" + std::string(tag) + " " + std::string(n) + "=\"" +
                  std::string(a.value).substr(0, 80) + "\">");
  };
  if (starts(n, "on")) return bad("event handler");
  if (n == "href") {
    if (tag != "a" || !(starts(v, "http:") || starts(v, "https:") || starts(v, "mailto:")))
      bad("link scheme");
  } else if (n == "src") {
    bool data = starts(v, "data:image/png") || starts(v, "data:image/gif") ||
                starts(v, "data:image/jpeg") || starts(v, "data:image/webp");
    bool ok = starts(v, "http:") || starts(v, "https:") || data ||
              (!img_prefix.empty() && starts(a.value, img_prefix));
    if (tag != "img" || !ok) bad("image source");
  } else if (n == "style") {
    for (std::string_view w : {"url", "expression", "import", "\\", "javascript", "/*"})
      if (v.find(w) != std::string::npos) bad("style");
  } else if (!one_of(n, {"title",   "lang",    "dir",    "align",       "valign",      "width",
                         "height",  "bgcolor", "border", "cellpadding", "cellspacing", "colspan",
                         "rowspan", "color",   "face",   "size",        "start",       "type",
                         "value",   "alt",     "nowrap", "noshade",     "reversed",    "span",
                         "headers", "scope",   "abbr",   "rel",         "target"})) {
    bad("attribute");
  }
}

struct output_deleter {
  void operator()(GumboOutput* o) const { gumbo_destroy_output(&kGumboDefaultOptions, o); }
};

}  // namespace

std::vector<std::string> html_active_content(std::string_view html,
                                             std::string_view allowed_image_prefix) {
  std::vector<std::string> why;
  std::unique_ptr<GumboOutput, output_deleter> out(
      gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size()));
  if (!out) return {"unparsable"};
  std::vector<const GumboNode*> todo{out->document};
  while (!todo.empty() && why.size() < 20) {
    const GumboNode* n = todo.back();
    todo.pop_back();
    if (n->type == GUMBO_NODE_COMMENT) why.emplace_back("comment");
    if (n->type == GUMBO_NODE_TEMPLATE) why.emplace_back("template");
    const GumboVector* kids = nullptr;
    if (n->type == GUMBO_NODE_DOCUMENT) {
      kids = &n->v.document.children;
    } else if (n->type == GUMBO_NODE_ELEMENT) {
      const GumboElement& e = n->v.element;
      std::string tag = e.tag == GUMBO_TAG_UNKNOWN
                            ? std::string(e.original_tag.data, e.original_tag.length)
                            : gumbo_normalized_tagname(e.tag);
      if (e.tag_namespace != GUMBO_NAMESPACE_HTML || !inert_element(tag))
        why.push_back("element <" + tag.substr(0, 40) + ">");
      for (unsigned i = 0; i < e.attributes.length; ++i)
        check_attribute(tag, *static_cast<const GumboAttribute*>(e.attributes.data[i]),
                        allowed_image_prefix, why);
      kids = &e.children;
    }
    if (kids != nullptr) {
      for (unsigned i = 0; i < kids->length; ++i)
        todo.push_back(static_cast<const GumboNode*>(kids->data[i]));
    }
  }
  return why;
}

}  // namespace hd::mailparse
