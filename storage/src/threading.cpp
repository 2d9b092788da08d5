#include "hd/storage/threading.hpp"

namespace hd::storage {
namespace {

// Reply and forward prefixes as mail clients write them. ASCII ones compare
// case-insensitively; the others are listed in the forms clients produce.
constexpr std::string_view prefixes[] = {
    // English, and what most clients use everywhere
    "re", "fw", "fwd",
    // German (AW = Antwort, WG = Weitergeleitet), Dutch (Antw, Doorst), Scandinavian (SV, VS,
    // VB = videresendt/vidarebefordrat), Finnish (VS = vastaus, VL = välitetty), Icelandic
    "aw", "antwort", "wg", "antw", "doorst", "sv", "svar", "vs", "vb", "vl", "vid", "fs",
    // French, Italian, Spanish, Portuguese
    "ref", "réf", "tr", "rif", "r", "rv", "res", "enc",
    // Polish, Czech/Slovak, Hungarian, Turkish, Estonian, Latvian, Lithuanian, Croatian, Romanian
    "odp", "pd", "vá", "továbbítás", "ynt", "ilt", "vast", "edasi", "atb", "pārs", "ats", "pr",
    "odg", "prosl",
    // Greek, Cyrillic
    "ΑΠ", "Απ", "απ", "ΣΧΕΤ", "Σχετ", "ΠΡΘ", "Πρθ", "Отв", "ОТВ", "отв", "Пересл", "ПЕРЕСЛ", "Відп",
    "ВІДП", "Переслати",
    // Hebrew, Arabic, Chinese, Japanese, Korean
    "השב", "הועבר", "رد", "توجيه", "回复", "回覆", "答复", "答覆", "转发", "轉寄", "返信", "転送",
    "답장", "전달"};

bool ascii_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool digit(char c) { return c >= '0' && c <= '9'; }
char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool starts_with_word(std::string_view s, std::string_view word) {
  if (s.size() < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (lower(s[i]) != lower(word[i])) return false;
  }
  // "Re" must not match the start of "Return"; non-ASCII letters after the word (UTF-8 lead
  // bytes) also continue a word.
  std::string_view rest = s.substr(word.size());
  if (rest.empty() || rest.starts_with("\xEF\xBC\x9A")) return true;  // fullwidth colon
  return !(ascii_alpha(rest[0]) || static_cast<unsigned char>(rest[0]) >= 0x80);
}

std::size_t skip_spaces(std::string_view s, std::size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return i;
}

// "[2]", "(2)", "^2", "*2" after the word: some clients count replies.
std::size_t skip_counter(std::string_view s, std::size_t i) {
  if (i >= s.size()) return i;
  char open = s[i];
  std::size_t j = i + 1;
  while (j < s.size() && digit(s[j])) ++j;
  if (j == i + 1) return i;
  if (open == '^' || open == '*') return j;
  if (open == '[' && j < s.size() && s[j] == ']') return j + 1;
  if (open == '(' && j < s.size() && s[j] == ')') return j + 1;
  return i;
}

// Length of the prefix at the start of S (word, counter, spaces, colon), or 0.
std::size_t prefix_length(std::string_view s) {
  for (std::string_view word : prefixes) {
    if (!starts_with_word(s, word)) continue;
    std::size_t i = skip_spaces(s, skip_counter(s, word.size()));
    if (i < s.size() && s[i] == ':') return i + 1;
    if (s.substr(i).starts_with("\xEF\xBC\x9A")) return i + 3;  // fullwidth colon
  }
  return 0;
}

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n'))
    --e;
  return std::string(s.substr(b, e - b));
}

// Position and length of the first tag in TEXT at or after FROM.
std::optional<std::pair<std::size_t, std::size_t>> tag_at(std::string_view text,
                                                          std::string_view prefix, std::size_t from,
                                                          std::int64_t* id) {
  for (std::size_t pos = text.find('[', from); pos != std::string_view::npos;
       pos = text.find('[', pos + 1)) {
    std::size_t i = skip_spaces(text, pos + 1);
    std::string_view rest = text.substr(i);
    if (rest.size() < prefix.size()) continue;
    bool same = true;
    for (std::size_t k = 0; k < prefix.size() && same; ++k)
      same = lower(rest[k]) == lower(prefix[k]);
    if (!same) continue;
    i = skip_spaces(text, i + prefix.size());
    std::int64_t value = 0;
    std::size_t digits = 0;
    while (i < text.size() && digit(text[i]) && digits < 15) {
      value = value * 10 + (text[i] - '0');
      ++i;
      ++digits;
    }
    i = skip_spaces(text, i);
    if (digits > 0 && i < text.size() && text[i] == ']') {
      if (id != nullptr) *id = value;
      return std::pair{pos, i + 1 - pos};
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> find_request_tag(std::string_view text, std::string_view prefix) {
  std::int64_t id = 0;
  if (prefix.empty() || !tag_at(text, prefix, 0, &id)) return std::nullopt;
  return id;
}

std::string strip_reply_prefixes(std::string_view subject) {
  std::string_view s = subject;
  for (;;) {
    std::size_t start = skip_spaces(s, 0);
    std::size_t n = prefix_length(s.substr(start));
    if (n == 0) break;
    s.remove_prefix(start + n);
  }
  return trim(s);
}

std::string request_title(std::string_view subject, std::string_view tag_prefix) {
  std::string text;
  std::size_t from = 0;
  while (auto t = tag_prefix.empty() ? std::nullopt : tag_at(subject, tag_prefix, from, nullptr)) {
    text.append(subject.substr(from, t->first - from)).append(" ");
    from = t->first + t->second;
  }
  text.append(subject.substr(from));
  // Tags may sit between prefixes ("Re: [#12] AW: x"): strip again after removing them.
  std::string title = strip_reply_prefixes(text);
  std::string collapsed;
  for (char c : title) {
    if (c == ' ' && !collapsed.empty() && collapsed.back() == ' ') continue;
    collapsed += c;
  }
  return collapsed.empty() ? std::string("(no subject)") : collapsed;
}

bool is_automatic(const robot_facts& r) { return r.auto_submitted || r.delivery_status; }

std::string_view automatic_event_kind(const robot_facts& r) {
  if (r.delivery_status) return "delivery_report";
  if (r.out_of_office) return "auto_reply";
  return "automatic";
}

std::string_view automatic_reason(const robot_facts& r) {
  return r.reason.empty() ? std::string_view("automatic mail") : std::string_view(r.reason);
}

}  // namespace hd::storage
