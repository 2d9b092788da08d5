// dovecot_html_to_text: a port of Dovecot's lib-mail/mail-html2text.c (2.3), fed the whole part
// at once as Pigeonhole feeds it, so `body :text` over HTML reads what sieve-test reads.

#include "hd/common/utf8.hpp"
#include "hd/mailparse/sieve_parts.hpp"

#include <cstdint>
#include <cstring>
#include <string>

namespace hd::mailparse {
namespace {

// Dovecot's html-entities.h: name and code point.
struct entity {
  const char* name;
  std::uint32_t chr;
};
constexpr entity k_entities[] = {
    {"quot", 0x0022},    {"amp", 0x0026},     {"apos", 0x0027},     {"lt", 0x003C},
    {"gt", 0x003E},      {"nbsp", 0x00A0},    {"iexcl", 0x00A1},    {"cent", 0x00A2},
    {"pound", 0x00A3},   {"curren", 0x00A4},  {"yen", 0x00A5},      {"brvbar", 0x00A6},
    {"sect", 0x00A7},    {"uml", 0x00A8},     {"copy", 0x00A9},     {"ordf", 0x00AA},
    {"laquo", 0x00AB},   {"not", 0x00AC},     {"shy", 0x00AD},      {"reg", 0x00AE},
    {"macr", 0x00AF},    {"deg", 0x00B0},     {"plusmn", 0x00B1},   {"sup2", 0x00B2},
    {"sup3", 0x00B3},    {"acute", 0x00B4},   {"micro", 0x00B5},    {"para", 0x00B6},
    {"middot", 0x00B7},  {"cedil", 0x00B8},   {"sup1", 0x00B9},     {"ordm", 0x00BA},
    {"raquo", 0x00BB},   {"frac14", 0x00BC},  {"frac12", 0x00BD},   {"frac34", 0x00BE},
    {"iquest", 0x00BF},  {"Agrave", 0x00C0},  {"Aacute", 0x00C1},   {"Acirc", 0x00C2},
    {"Atilde", 0x00C3},  {"Auml", 0x00C4},    {"Aring", 0x00C5},    {"AElig", 0x00C6},
    {"Ccedil", 0x00C7},  {"Egrave", 0x00C8},  {"Eacute", 0x00C9},   {"Ecirc", 0x00CA},
    {"Euml", 0x00CB},    {"Igrave", 0x00CC},  {"Iacute", 0x00CD},   {"Icirc", 0x00CE},
    {"Iuml", 0x00CF},    {"ETH", 0x00D0},     {"Ntilde", 0x00D1},   {"Ograve", 0x00D2},
    {"Oacute", 0x00D3},  {"Ocirc", 0x00D4},   {"Otilde", 0x00D5},   {"Ouml", 0x00D6},
    {"times", 0x00D7},   {"Oslash", 0x00D8},  {"Ugrave", 0x00D9},   {"Uacute", 0x00DA},
    {"Ucirc", 0x00DB},   {"Uuml", 0x00DC},    {"Yacute", 0x00DD},   {"THORN", 0x00DE},
    {"szlig", 0x00DF},   {"agrave", 0x00E0},  {"aacute", 0x00E1},   {"acirc", 0x00E2},
    {"atilde", 0x00E3},  {"auml", 0x00E4},    {"aring", 0x00E5},    {"aelig", 0x00E6},
    {"ccedil", 0x00E7},  {"egrave", 0x00E8},  {"eacute", 0x00E9},   {"ecirc", 0x00EA},
    {"euml", 0x00EB},    {"igrave", 0x00EC},  {"iacute", 0x00ED},   {"icirc", 0x00EE},
    {"iuml", 0x00EF},    {"eth", 0x00F0},     {"ntilde", 0x00F1},   {"ograve", 0x00F2},
    {"oacute", 0x00F3},  {"ocirc", 0x00F4},   {"otilde", 0x00F5},   {"ouml", 0x00F6},
    {"divide", 0x00F7},  {"oslash", 0x00F8},  {"ugrave", 0x00F9},   {"uacute", 0x00FA},
    {"ucirc", 0x00FB},   {"uuml", 0x00FC},    {"yacute", 0x00FD},   {"thorn", 0x00FE},
    {"yuml", 0x00FF},    {"OElig", 0x0152},   {"oelig", 0x0153},    {"Scaron", 0x0160},
    {"scaron", 0x0161},  {"Yuml", 0x0178},    {"fnof", 0x0192},     {"circ", 0x02C6},
    {"tilde", 0x02DC},   {"Alpha", 0x0391},   {"Beta", 0x0392},     {"Gamma", 0x0393},
    {"Delta", 0x0394},   {"Epsilon", 0x0395}, {"Zeta", 0x0396},     {"Eta", 0x0397},
    {"Theta", 0x0398},   {"Iota", 0x0399},    {"Kappa", 0x039A},    {"Lambda", 0x039B},
    {"Mu", 0x039C},      {"Nu", 0x039D},      {"Xi", 0x039E},       {"Omicron", 0x039F},
    {"Pi", 0x03A0},      {"Rho", 0x03A1},     {"Sigma", 0x03A3},    {"Tau", 0x03A4},
    {"Upsilon", 0x03A5}, {"Phi", 0x03A6},     {"Chi", 0x03A7},      {"Psi", 0x03A8},
    {"Omega", 0x03A9},   {"alpha", 0x03B1},   {"beta", 0x03B2},     {"gamma", 0x03B3},
    {"delta", 0x03B4},   {"epsilon", 0x03B5}, {"zeta", 0x03B6},     {"eta", 0x03B7},
    {"theta", 0x03B8},   {"iota", 0x03B9},    {"kappa", 0x03BA},    {"lambda", 0x03BB},
    {"mu", 0x03BC},      {"nu", 0x03BD},      {"xi", 0x03BE},       {"omicron", 0x03BF},
    {"pi", 0x03C0},      {"rho", 0x03C1},     {"sigmaf", 0x03C2},   {"sigma", 0x03C3},
    {"tau", 0x03C4},     {"upsilon", 0x03C5}, {"phi", 0x03C6},      {"chi", 0x03C7},
    {"psi", 0x03C8},     {"omega", 0x03C9},   {"thetasym", 0x03D1}, {"upsih", 0x03D2},
    {"piv", 0x03D6},     {"ensp", 0x2002},    {"emsp", 0x2003},     {"thinsp", 0x2009},
    {"zwnj", 0x200C},    {"zwj", 0x200D},     {"lrm", 0x200E},      {"rlm", 0x200F},
    {"ndash", 0x2013},   {"mdash", 0x2014},   {"lsquo", 0x2018},    {"rsquo", 0x2019},
    {"sbquo", 0x201A},   {"ldquo", 0x201C},   {"rdquo", 0x201D},    {"bdquo", 0x201E},
    {"dagger", 0x2020},  {"Dagger", 0x2021},  {"bull", 0x2022},     {"hellip", 0x2026},
    {"permil", 0x2030},  {"prime", 0x2032},   {"Prime", 0x2033},    {"lsaquo", 0x2039},
    {"rsaquo", 0x203A},  {"oline", 0x203E},   {"frasl", 0x2044},    {"euro", 0x20AC},
    {"image", 0x2111},   {"weierp", 0x2118},  {"real", 0x211C},     {"trade", 0x2122},
    {"alefsym", 0x2135}, {"larr", 0x2190},    {"uarr", 0x2191},     {"rarr", 0x2192},
    {"darr", 0x2193},    {"harr", 0x2194},    {"crarr", 0x21B5},    {"lArr", 0x21D0},
    {"uArr", 0x21D1},    {"rArr", 0x21D2},    {"dArr", 0x21D3},     {"hArr", 0x21D4},
    {"forall", 0x2200},  {"part", 0x2202},    {"exist", 0x2203},    {"empty", 0x2205},
    {"nabla", 0x2207},   {"isin", 0x2208},    {"notin", 0x2209},    {"ni", 0x220B},
    {"prod", 0x220F},    {"sum", 0x2211},     {"minus", 0x2212},    {"lowast", 0x2217},
    {"radic", 0x221A},   {"prop", 0x221D},    {"infin", 0x221E},    {"ang", 0x2220},
    {"and", 0x2227},     {"or", 0x2228},      {"cap", 0x2229},      {"cup", 0x222A},
    {"int", 0x222B},     {"there4", 0x2234},  {"sim", 0x223C},      {"cong", 0x2245},
    {"asymp", 0x2248},   {"ne", 0x2260},      {"equiv", 0x2261},    {"le", 0x2264},
    {"ge", 0x2265},      {"sub", 0x2282},     {"sup", 0x2283},      {"nsub", 0x2284},
    {"sube", 0x2286},    {"supe", 0x2287},    {"oplus", 0x2295},    {"otimes", 0x2297},
    {"perp", 0x22A5},    {"sdot", 0x22C5},    {"lceil", 0x2308},    {"rceil", 0x2309},
    {"lfloor", 0x230A},  {"rfloor", 0x230B},  {"lang", 0x27E8},     {"rang", 0x27E9},
    {"loz", 0x25CA},     {"spades", 0x2660},  {"clubs", 0x2663},    {"hearts", 0x2665},
    {"diams", 0x2666},
};

bool html_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool starts_icase(std::string_view data, std::size_t at, std::string_view what) {
  if (data.size() - at < what.size()) return false;
  for (std::size_t i = 0; i < what.size(); ++i) {
    char a = data[at + i], b = what[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a - 'A' + 'a');
    if (a != b) return false;
  }
  return true;
}

// A prefix of WHAT (case-insensitive) of the rest's length: Dovecot waits for more input
// there, which at the end of the part means the rest is dropped.
bool prefix_icase(std::string_view data, std::size_t at, std::string_view what) {
  std::size_t n = std::min(data.size() - at, what.size());
  return starts_icase(data.substr(0, at + n), at, what.substr(0, n));
}

void append_utf8(std::string& out, std::uint32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// Dovecot's str_to_uint32 / str_to_uint32_hex: all digits, at least one, no overflow.
bool to_uint32(std::string_view s, int base, std::uint32_t& out) {
  if (s.empty()) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    int d = c >= '0' && c <= '9'                 ? c - '0'
            : base == 16 && c >= 'a' && c <= 'f' ? c - 'a' + 10
            : base == 16 && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                 : -1;
    if (d < 0) return false;
    v = v * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
    if (v > 0xFFFFFFFFu) return false;
  }
  out = static_cast<std::uint32_t>(v);
  return true;
}

bool entity_char(std::string_view name, std::uint32_t& chr) {
  for (const entity& e : k_entities)
    if (name == e.name) return chr = e.chr, true;
  if (name.size() < 2 || name[0] != '#') return false;
  std::uint32_t c = 0;
  if (!((name[1] == 'x' && to_uint32(name.substr(2), 16, c)) || to_uint32(name.substr(1), 10, c)))
    return false;
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return false;
  chr = c;
  return true;
}

enum class state {
  text,
  tag,
  dquoted,
  dquoted_escape,
  squoted,
  squoted_escape,
  comment,
  comment_end,
  script,
  style,
  cdata
};

class converter {
 public:
  explicit converter(std::string& out) : out_(out) {}

  void run(std::string_view d) {
    for (std::size_t i = 0; i < d.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(d[i]);
      switch (st_) {
        case state::text:
          if (c == '<') {
            std::size_t r = tag_name(d, i + 1);
            if (r == 0) return;
            i += r - 1;
          } else if (c == '&') {
            std::size_t r = entity_at(d, i + 1);
            if (r == 0) return;
            i += r - 1;
          } else {
            out_ += static_cast<char>(c);
          }
          break;
        case state::tag:
          if (c == '"') {
            st_ = state::dquoted;
          } else if (c == '\'') {
            st_ = state::squoted;
          } else if (c == '>') {
            st_ = state::text;
            if (quote_level_ > 0) {
              out_ += "\n>";
            } else if (add_newline_) {
              out_ += '\n';
            }
            add_newline_ = false;
            add_space();
          }
          break;
        case state::dquoted:
          if (c == '"')
            st_ = state::tag;
          else if (c == '\\')
            st_ = state::dquoted_escape;
          break;
        case state::dquoted_escape:
          st_ = state::dquoted;
          break;
        case state::squoted:
          if (c == '\'')
            st_ = state::tag;
          else if (c == '\\')
            st_ = state::squoted_escape;
          break;
        case state::squoted_escape:
          st_ = state::squoted;
          break;
        case state::comment:
          if (c == '-') {
            if (i + 1 == d.size()) return;
            if (d[i + 1] == '-') st_ = state::comment_end, ++i;
          }
          break;
        case state::comment_end:
          if (c == '>')
            st_ = state::text;
          else if (!html_space(c))
            st_ = state::comment;
          break;
        case state::script:
        case state::style: {
          std::string_view end = st_ == state::script ? "</script>" : "</style>";
          if (c == '<' && prefix_icase(d, i, end)) {
            if (d.size() - i < end.size()) return;
            add_space();
            st_ = state::text;
            i += end.size() - 1;
          }
          break;
        }
        case state::cdata:
          if (c == ']' && prefix_icase(d, i, "]]>")) {
            if (d.size() - i < 3) return;
            st_ = state::text;
            i += 2;
            break;
          }
          out_ += static_cast<char>(c);
          break;
      }
    }
  }

 private:
  // After '<' at AT-1: how far to skip (counted from '<'), 0 for "cut off by the end".
  std::size_t tag_name(std::string_view d, std::size_t at) {
    std::size_t size = d.size() - at;
    auto ends_name = [&](std::size_t k) {
      return html_space(static_cast<unsigned char>(d[at + k])) || d[at + k] == '>';
    };
    if (size >= 3 && d.compare(at, 3, "!--") == 0) return st_ = state::comment, 4;
    if (size >= 7 && starts_icase(d, at, "script") && ends_name(6)) return st_ = state::script, 8;
    if (size >= 6 && starts_icase(d, at, "style") && ends_name(5)) return st_ = state::style, 7;
    if (size >= 8 && starts_icase(d, at, "![cdata[")) return st_ = state::cdata, 9;
    if (size >= 11 && starts_icase(d, at, "blockquote") && ends_name(10)) {
      ++quote_level_;
      st_ = state::tag;
      return 1;
    }
    if (quote_level_ > 0 && size >= 12 && starts_icase(d, at, "/blockquote>")) {
      --quote_level_;
      add_newline_ = true;
      st_ = state::tag;
      return 1;
    }
    if (size < 12) {
      std::size_t k = 0;
      while (k < size && !ends_name(k)) ++k;
      if (k == size) return 0;
    }
    st_ = state::tag;
    return 1;
  }

  // After '&' at AT-1: how far to skip, 0 for "cut off by the end".
  std::size_t entity_at(std::string_view d, std::size_t at) {
    std::size_t i = 0;
    for (; at + i < d.size(); ++i) {
      if (html_space(static_cast<unsigned char>(d[at + i])) || i >= 10) return 1;  // broken
      if (d[at + i] == ';') break;
    }
    if (at + i == d.size()) return 0;
    std::uint32_t chr = 0;
    std::string_view name = d.substr(at, i);
    // Dovecot copies the name into a C string: a NUL ends it.
    name = name.substr(0, name.find('\0'));
    if (entity_char(name, chr)) append_utf8(out_, chr);
    return i + 2;
  }

  void add_space() {
    if (!out_.empty() && out_.back() != ' ' && out_.back() != '\n') out_ += ' ';
  }

  std::string& out_;
  state st_ = state::text;
  unsigned quote_level_ = 0;
  bool add_newline_ = false;
};

}  // namespace

std::string dovecot_html_to_text(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  converter(out).run(html);
  return out;
}

}  // namespace hd::mailparse
