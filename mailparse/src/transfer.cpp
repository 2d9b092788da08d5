#include "hd/mailparse/transfer.hpp"

#include "hd/common/message.hpp"
#include "hd/mailparse/rfc2047.hpp"

namespace hd::mailparse {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

std::string_view next_line(std::string_view in, std::size_t& pos, bool* had_newline = nullptr) {
  std::size_t nl = in.find('\n', pos);
  if (had_newline != nullptr) *had_newline = nl != std::string_view::npos;
  std::size_t end = nl == std::string_view::npos ? in.size() : nl;
  std::string_view line = in.substr(pos, end - pos);
  pos = nl == std::string_view::npos ? in.size() : nl + 1;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

void uudecode_line(std::string_view line, std::string& out) {
  if (line.empty()) return;
  int n = (line[0] - ' ') & 0x3F;
  auto six = [&](std::size_t i) -> unsigned {
    return i < line.size() ? static_cast<unsigned>((line[i] - ' ') & 0x3F) : 0U;
  };
  for (std::size_t i = 1; n > 0; i += 4) {
    unsigned v = (six(i) << 18) | (six(i + 1) << 12) | (six(i + 2) << 6) | six(i + 3);
    for (int k = 0; k < 3 && n > 0; ++k, --n) out += static_cast<char>((v >> (16 - 8 * k)) & 0xFF);
  }
}

}  // namespace

transfer_encoding classify_transfer_encoding(std::string_view value, bool& known) {
  std::string v = ascii_lower(value);
  std::string t;
  for (char c : v) {
    if (c != ' ' && c != '\t' && c != '"' && c != ';' && c != '\r' && c != '\n') t += c;
  }
  known = t.empty() || t == "7bit" || t == "8bit" || t == "binary" || t == "base64" ||
          t == "quoted-printable";
  if (t.find("base64") != std::string::npos || t == "b") return transfer_encoding::base64;
  if (t.rfind("quoted", 0) == 0 || t == "qp" || t == "q")
    return transfer_encoding::quoted_printable;
  if (t.find("uu") != std::string::npos) return transfer_encoding::uuencode;
  return transfer_encoding::identity;
}

std::string decode_quoted_printable(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t pos = 0;
  while (pos < in.size()) {
    bool had_newline = false;
    std::string_view line = next_line(in, pos, &had_newline);
    while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
    bool soft = !line.empty() && line.back() == '=';
    if (soft) line.remove_suffix(1);
    for (std::size_t i = 0; i < line.size(); ++i) {
      int hi = 0, lo = 0;
      if (line[i] == '=' && i + 2 < line.size() + 0 && (hi = hex_value(line[i + 1])) >= 0 &&
          (lo = hex_value(line[i + 2])) >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
      } else {
        out += line[i];
      }
    }
    if (!soft && had_newline) out += "\r\n";  // RFC 2045 6.7: a hard line break is CRLF
  }
  return out;
}

std::string decode_uuencode(std::string_view in, std::string* name) {
  std::size_t pos = 0;
  std::size_t begin = std::string_view::npos;
  while (pos < in.size()) {
    std::size_t start = pos;
    std::string_view line = next_line(in, pos);
    if (line.rfind("begin ", 0) == 0) {
      begin = start;
      if (name != nullptr) {
        std::size_t sp = line.find(' ', 6);
        if (sp != std::string_view::npos) *name = std::string(line.substr(sp + 1));
      }
      break;
    }
  }
  pos = begin == std::string_view::npos ? 0 : pos;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  while (pos < in.size()) {
    std::string_view line = next_line(in, pos);
    if (line == "end" || line.rfind("end ", 0) == 0) break;
    uudecode_line(line, out);
  }
  return out;
}

std::string decode_transfer(std::string_view in, transfer_encoding enc) {
  switch (enc) {
    case transfer_encoding::base64:
      return decode_base64(in);
    case transfer_encoding::quoted_printable:
      return decode_quoted_printable(in);
    case transfer_encoding::uuencode:
      return decode_uuencode(in);
    case transfer_encoding::identity:
      break;
  }
  return std::string(in);
}

}  // namespace hd::mailparse
