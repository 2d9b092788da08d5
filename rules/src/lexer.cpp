#include "lexer.hpp"

#include <fmt/format.h>

namespace hd::rules {
namespace {

class lexer {
 public:
  explicit lexer(std::string_view t) : t_(t) {}

  lex_result run() {
    lex_result r;
    while (!r.error) {
      skip_space_and_comments(r);
      if (r.error) break;
      token tk;
      tk.line = line_;
      tk.column = column();
      tk.offset = pos_;
      if (pos_ >= t_.size()) {
        tk.end = pos_;
        r.tokens.push_back(std::move(tk));
        return r;
      }
      if (!next(tk, r)) break;
      tk.end = pos_;
      r.tokens.push_back(std::move(tk));
    }
    token e;
    e.line = line_;
    e.column = column();
    e.offset = e.end = pos_;
    r.tokens.push_back(e);
    return r;
  }

 private:
  int column() const { return static_cast<int>(pos_ - line_start_) + 1; }
  char peek(std::size_t k = 0) const { return pos_ + k < t_.size() ? t_[pos_ + k] : '\0'; }
  void advance() {
    if (t_[pos_] == '\n') {
      ++line_;
      line_start_ = pos_ + 1;
    }
    ++pos_;
  }
  void error(lex_result& r, int line, int col, std::string msg) {
    r.error = script_error{line, col, std::move(msg)};
  }

  void skip_space_and_comments(lex_result& r) {
    while (pos_ < t_.size()) {
      char c = t_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        advance();
      } else if (c == '#') {
        while (pos_ < t_.size() && t_[pos_] != '\n') advance();
      } else if (c == '/' && peek(1) == '*') {
        int l = line_, col = column();
        std::size_t close = t_.find("*/", pos_ + 2);
        if (close == std::string_view::npos) {
          error(r, l, col, "comment '/*' is never closed with '*/'");
          return;
        }
        while (pos_ < close + 2) advance();
      } else {
        return;
      }
    }
  }

  static bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }
  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  std::string identifier() {
    std::string s;
    while (pos_ < t_.size() && (is_alpha(t_[pos_]) || is_digit(t_[pos_]))) {
      char c = t_[pos_];
      s += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      advance();
    }
    return s;
  }

  bool next(token& tk, lex_result& r) {
    char c = t_[pos_];
    if (is_alpha(c)) {
      tk.kind = token_kind::identifier;
      tk.text = identifier();
      if (tk.text == "text" && peek() == ':') return multiline(tk, r);
      return true;
    }
    if (c == ':') {
      advance();
      if (!is_alpha(peek())) {
        error(r, tk.line, tk.column, "':' must be followed by a tag name, e.g. ':contains'");
        return false;
      }
      tk.kind = token_kind::tag;
      tk.text = identifier();
      return true;
    }
    if (is_digit(c)) return number(tk, r);
    if (c == '"') return quoted(tk, r);
    if (std::string_view("[](){},;").find(c) != std::string_view::npos) {
      tk.kind = token_kind::punct;
      tk.text = std::string(1, c);
      advance();
      return true;
    }
    error(r, tk.line, tk.column, fmt::format("unexpected character '{}'", printable(c)));
    return false;
  }

  static std::string printable(char c) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) return fmt::format("\\x{:02x}", u);
    return std::string(1, c);
  }

  bool number(token& tk, lex_result& r) {
    std::uint64_t v = 0;
    while (is_digit(peek())) {
      if (v > (UINT64_MAX - 9) / 10) {
        error(r, tk.line, tk.column, "number is too large");
        return false;
      }
      v = v * 10 + static_cast<std::uint64_t>(peek() - '0');
      advance();
    }
    std::uint64_t mult = 1;
    switch (peek()) {
      case 'K':
      case 'k':
        mult = 1024;
        break;
      case 'M':
      case 'm':
        mult = 1024 * 1024;
        break;
      case 'G':
      case 'g':
        mult = 1024 * 1024 * 1024;
        break;
      default:
        break;
    }
    if (mult != 1) advance();
    if (v > UINT64_MAX / mult) {
      error(r, tk.line, tk.column, "number is too large");
      return false;
    }
    tk.kind = token_kind::number;
    tk.number = v * mult;
    return true;
  }

  bool quoted(token& tk, lex_result& r) {
    advance();  // opening quote
    std::string s;
    while (pos_ < t_.size() && t_[pos_] != '"') {
      if (t_[pos_] == '\\' && pos_ + 1 < t_.size()) advance();  // "\x" means "x" (RFC 5228 2.4.2)
      s += t_[pos_];
      advance();
    }
    if (pos_ >= t_.size()) {
      error(r, tk.line, tk.column, "string is never closed with '\"'");
      return false;
    }
    advance();
    tk.kind = token_kind::string;
    tk.text = std::move(s);
    return true;
  }

  // text: <ws/comment> CRLF  lines...  "." CRLF ; a leading ".." stands for "." (dot-stuffing).
  bool multiline(token& tk, lex_result& r) {
    advance();  // ':'
    while (peek() == ' ' || peek() == '\t') advance();
    if (peek() == '#') {
      while (pos_ < t_.size() && t_[pos_] != '\n') advance();
    }
    if (peek() == '\r') advance();
    if (peek() != '\n') {
      error(r, line_, column(), "'text:' must be followed by the end of the line");
      return false;
    }
    advance();
    std::string s;
    while (pos_ < t_.size()) {
      std::size_t eol = t_.find('\n', pos_);
      std::string_view line =
          t_.substr(pos_, eol == std::string_view::npos ? std::string_view::npos : eol - pos_);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      std::size_t stop = eol == std::string_view::npos ? t_.size() : eol + 1;
      if (line == ".") {
        while (pos_ < stop) advance();
        tk.kind = token_kind::string;
        tk.text = std::move(s);
        return true;
      }
      if (line.substr(0, 2) == "..") line.remove_prefix(1);
      s.append(line);
      s += "\r\n";
      while (pos_ < stop) advance();
    }
    error(r, tk.line, tk.column, "multi-line string 'text:' is never ended with a line '.'");
    return false;
  }

  std::string_view t_;
  std::size_t pos_ = 0;
  std::size_t line_start_ = 0;
  int line_ = 1;
};

}  // namespace

lex_result lex(std::string_view text) { return lexer(text).run(); }

}  // namespace hd::rules
