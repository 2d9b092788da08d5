#include "hd/mailparse/html_safe.hpp"

#include "hd/mailparse/html_text.hpp"
#include "html_depth.hpp"
#include "html_url.hpp"

#include <gumbo.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace hd::mailparse {
namespace {

enum class verdict { keep, unwrap, drop };

// What happens to an HTML element: an allow-list; anything not named here is unwrapped.
verdict verdict_of(GumboTag t) {
  switch (t) {
    case GUMBO_TAG_B:
    case GUMBO_TAG_STRONG:
    case GUMBO_TAG_I:
    case GUMBO_TAG_EM:
    case GUMBO_TAG_U:
    case GUMBO_TAG_S:
    case GUMBO_TAG_STRIKE:
    case GUMBO_TAG_DEL:
    case GUMBO_TAG_INS:
    case GUMBO_TAG_SUB:
    case GUMBO_TAG_SUP:
    case GUMBO_TAG_SMALL:
    case GUMBO_TAG_BIG:
    case GUMBO_TAG_MARK:
    case GUMBO_TAG_ABBR:
    case GUMBO_TAG_CITE:
    case GUMBO_TAG_Q:
    case GUMBO_TAG_TT:
    case GUMBO_TAG_KBD:
    case GUMBO_TAG_SAMP:
    case GUMBO_TAG_VAR:
    case GUMBO_TAG_DFN:
    case GUMBO_TAG_CODE:
    case GUMBO_TAG_PRE:
    case GUMBO_TAG_P:
    case GUMBO_TAG_DIV:
    case GUMBO_TAG_SPAN:
    case GUMBO_TAG_BR:
    case GUMBO_TAG_HR:
    case GUMBO_TAG_WBR:
    case GUMBO_TAG_H1:
    case GUMBO_TAG_H2:
    case GUMBO_TAG_H3:
    case GUMBO_TAG_H4:
    case GUMBO_TAG_H5:
    case GUMBO_TAG_H6:
    case GUMBO_TAG_UL:
    case GUMBO_TAG_OL:
    case GUMBO_TAG_LI:
    case GUMBO_TAG_DL:
    case GUMBO_TAG_DT:
    case GUMBO_TAG_DD:
    case GUMBO_TAG_TABLE:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_TR:
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_A:
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_FONT:
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_SECTION:
    case GUMBO_TAG_ARTICLE:
    case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FOOTER:
    case GUMBO_TAG_MAIN:
    case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_ADDRESS:
    case GUMBO_TAG_FIGURE:
    case GUMBO_TAG_FIGCAPTION:
      return verdict::keep;
    case GUMBO_TAG_SCRIPT:
    case GUMBO_TAG_STYLE:
    case GUMBO_TAG_HEAD:
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_IFRAME:
    case GUMBO_TAG_FRAME:
    case GUMBO_TAG_FRAMESET:
    case GUMBO_TAG_OBJECT:
    case GUMBO_TAG_EMBED:
    case GUMBO_TAG_APPLET:
    case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_NOEMBED:
    case GUMBO_TAG_NOFRAMES:
    case GUMBO_TAG_TEMPLATE:
    case GUMBO_TAG_SVG:
    case GUMBO_TAG_MATH:
    case GUMBO_TAG_SELECT:
    case GUMBO_TAG_TEXTAREA:
    case GUMBO_TAG_AUDIO:
    case GUMBO_TAG_VIDEO:
    case GUMBO_TAG_CANVAS:
    case GUMBO_TAG_META:
    case GUMBO_TAG_LINK:
    case GUMBO_TAG_BASE:
    case GUMBO_TAG_INPUT:
    case GUMBO_TAG_PARAM:
    case GUMBO_TAG_SOURCE:
    case GUMBO_TAG_TRACK:
    case GUMBO_TAG_AREA:
    case GUMBO_TAG_COL:
    case GUMBO_TAG_KEYGEN:
    case GUMBO_TAG_MAP:
    case GUMBO_TAG_PLAINTEXT:
    case GUMBO_TAG_XMP:
    case GUMBO_TAG_ISINDEX:
      return verdict::drop;
    default:
      return verdict::unwrap;
  }
}

bool is_void(GumboTag t) {
  return t == GUMBO_TAG_BR || t == GUMBO_TAG_HR || t == GUMBO_TAG_WBR || t == GUMBO_TAG_IMG;
}

// Presentational attributes kept on any kept element: plain values, no URL, nothing run.
bool allowed_attribute(std::string_view name) {
  static constexpr std::string_view names[] = {
      "title",   "lang",     "dir",         "align",       "valign",  "width",   "height",
      "bgcolor", "border",   "cellpadding", "cellspacing", "colspan", "rowspan", "color",
      "face",    "size",     "start",       "type",        "value",   "alt",     "nowrap",
      "noshade", "reversed", "span",        "headers",     "scope",   "abbr"};
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

// CSS properties kept in style="": how text and boxes look, nothing that loads or moves.
bool allowed_property(std::string_view p) {
  static constexpr std::string_view names[] = {
      "color",           "background-color", "font",
      "font-family",     "font-size",        "font-style",
      "font-weight",     "font-variant",     "text-align",
      "text-decoration", "text-indent",      "text-transform",
      "line-height",     "letter-spacing",   "word-spacing",
      "white-space",     "vertical-align",   "margin",
      "margin-top",      "margin-right",     "margin-bottom",
      "margin-left",     "padding",          "padding-top",
      "padding-right",   "padding-bottom",   "padding-left",
      "border",          "border-top",       "border-right",
      "border-bottom",   "border-left",      "border-color",
      "border-style",    "border-width",     "border-collapse",
      "border-spacing",  "border-radius",    "width",
      "height",          "max-width",        "min-width",
      "list-style-type", "direction"};
  return std::find(std::begin(names), std::end(names), p) != std::end(names);
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= 0x20) s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= 0x20) s.remove_suffix(1);
  return s;
}

// True for a CSS value of plain words, numbers, colours and quoted font names: no function but
// rgb()/rgba()/hsl()/hsla() of numbers, no escapes, comments, at-rules or braces.
bool safe_css_value(std::string_view v, bool quotes) {
  int quote_count = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == ' ' || c == '#' || c == '%' || c == '.' || c == ',' || c == '-' || c == '_';
    if (plain) continue;
    if ((c == '\'' || c == '"') && quotes) {
      ++quote_count;
      continue;
    }
    if (c != '(') return false;
    std::size_t start = i;
    while (start > 0 && std::isalpha(static_cast<unsigned char>(v[start - 1]))) --start;
    std::string fn = lower(v.substr(start, i - start));
    if (fn != "rgb" && fn != "rgba" && fn != "hsl" && fn != "hsla") return false;
    std::size_t close = v.find(')', i);
    if (close == std::string_view::npos) return false;
    std::string_view args = v.substr(i + 1, close - i - 1);
    if (args.find_first_not_of("0123456789 .,%") != std::string_view::npos) return false;
    i = close;
  }
  if (quote_count % 2 != 0) return false;
  std::string l = lower(v);
  for (std::string_view bad : {"url", "expression", "import", "javascript", "behavior", "binding"})
    if (l.find(bad) != std::string::npos) return false;
  return true;
}

// The kept declarations of a style attribute, "prop:value;" each; empty when none is left.
std::string safe_style(std::string_view css) {
  std::string out;
  while (!css.empty()) {
    std::size_t semi = css.find(';');
    std::string_view decl = css.substr(0, semi);
    css = semi == std::string_view::npos ? std::string_view() : css.substr(semi + 1);
    std::size_t colon = decl.find(':');
    if (colon == std::string_view::npos) continue;
    std::string prop = lower(trim(decl.substr(0, colon)));
    std::string_view value = trim(decl.substr(colon + 1));
    if (!allowed_property(prop) || value.empty()) continue;
    if (!safe_css_value(value, prop == "font-family" || prop == "font")) continue;
    out += prop;
    out += ':';
    out += value;
    out += ';';
  }
  return out;
}

void append_attribute(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "=\"";
  out += html_escape(value);
  out += '"';
}

const char* attribute(const GumboElement& e, const char* name) {
  const GumboAttribute* a = gumbo_get_attribute(&e.attributes, name);
  return a != nullptr ? a->value : nullptr;
}

struct output_deleter {
  void operator()(GumboOutput* o) const { gumbo_destroy_output(&kGumboDefaultOptions, o); }
};

class sanitiser {
 public:
  explicit sanitiser(const html_safe_options& o) : opt_(o) {}

  html_safe_result run(const GumboNode* root) {
    struct frame {
      const GumboNode* node;
      unsigned next = 0;
      const char* close = nullptr;  ///< the end tag to write, when the element was kept
    };
    std::vector<frame> stack{{root}};
    while (!stack.empty()) {
      frame& f = stack.back();
      const GumboNode* n = f.node;
      const GumboVector* kids = n->type == GUMBO_NODE_DOCUMENT  ? &n->v.document.children
                                : n->type == GUMBO_NODE_ELEMENT ? &n->v.element.children
                                                                : nullptr;
      if (kids == nullptr || f.next >= kids->length) {
        if (f.close != nullptr) {
          out_ += "</";
          out_ += f.close;
          out_ += '>';
          --depth_;
        }
        stack.pop_back();
        continue;
      }
      const auto* child = static_cast<const GumboNode*>(kids->data[f.next++]);
      switch (child->type) {
        case GUMBO_NODE_TEXT:
        case GUMBO_NODE_WHITESPACE:
        case GUMBO_NODE_CDATA:
          out_ += html_escape(child->v.text.text);
          break;
        case GUMBO_NODE_ELEMENT: {
          std::optional<const char*> close = open(child->v.element);
          if (close) stack.push_back({child, 0, *close});
          break;
        }
        default:  // comments, templates
          break;
      }
    }
    return {std::move(out_), blocked_, false};
  }

 private:
  // Writes the start tag of a kept element. nullopt: skip the element and its content; else
  // the end tag to write after its content (nullptr: unwrapped, no tags).
  std::optional<const char*> open(const GumboElement& e) {
    if (e.tag_namespace != GUMBO_NAMESPACE_HTML) return std::nullopt;
    verdict v = verdict_of(e.tag);
    if (v == verdict::drop) return std::nullopt;
    if (v == verdict::unwrap || depth_ >= opt_.max_depth) return nullptr;
    const char* name = gumbo_normalized_tagname(e.tag);
    std::string attrs;
    if (e.tag == GUMBO_TAG_A) {
      const char* href = attribute(e, "href");
      std::optional<std::string> url = href ? link_url(href) : std::nullopt;
      if (!url) return nullptr;
      append_attribute(attrs, "href", *url);
      attrs += R"( rel="noopener noreferrer" target="_blank")";
    } else if (e.tag == GUMBO_TAG_IMG) {
      const char* src = attribute(e, "src");
      std::optional<std::string> url = src ? image_url(src) : std::nullopt;
      if (!url) {
        const char* alt = attribute(e, "alt");
        if (alt != nullptr) out_ += html_escape(alt);
        return std::nullopt;
      }
      append_attribute(attrs, "src", *url);
    }
    for (unsigned i = 0; i < e.attributes.length; ++i) {
      const auto* a = static_cast<const GumboAttribute*>(e.attributes.data[i]);
      std::string_view an = a->name;
      if (an == "style") {
        std::string css = safe_style(a->value);
        if (!css.empty()) append_attribute(attrs, "style", css);
      } else if (allowed_attribute(an)) {
        append_attribute(attrs, an, a->value);
      }
    }
    out_ += '<';
    out_ += name;
    out_ += attrs;
    out_ += '>';
    // The parser drops a newline right after <pre>: this one keeps the content's own.
    if (e.tag == GUMBO_TAG_PRE) out_ += '\n';
    if (is_void(e.tag)) return std::nullopt;
    ++depth_;
    return name;
  }

  std::optional<std::string> image_url(std::string_view src) {
    std::string url = clean_url(src);
    std::string scheme = url_scheme(url);
    if (scheme == "cid") {
      if (!opt_.cid_url) return std::nullopt;
      return opt_.cid_url(percent_decode(std::string_view(url).substr(4)));
    }
    if (scheme == "http" || scheme == "https") {
      if (opt_.remote_images) return url;
      ++blocked_;
      return std::nullopt;
    }
    if (scheme == "data" && safe_data_image(url)) return url;
    return std::nullopt;
  }

  const html_safe_options& opt_;
  std::string out_;
  std::size_t depth_ = 0;
  int blocked_ = 0;
};

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '\0':
        break;
      default:
        out += c;
    }
  }
  return out;
}

html_safe_result sanitise_html(std::string_view html, const html_safe_options& options) {
  bool cut = html.size() > options.max_input_bytes;
  if (cut) html = html.substr(0, options.max_input_bytes);
  if (nesting_estimate(html) > 4 * options.max_depth) {
    return {"<pre>\n" + html_escape(html_to_text(html)) + "</pre>", 0, true};
  }
  std::unique_ptr<GumboOutput, output_deleter> parsed(
      gumbo_parse_with_options(&kGumboDefaultOptions, html.data(), html.size()));
  if (!parsed) return {"", 0, true};
  sanitiser s(options);
  html_safe_result r = s.run(parsed->document);
  r.cut = cut;
  return r;
}

}  // namespace hd::mailparse
