#include "body.hpp"

#include "gmime_handles.hpp"
#include "gmime_util.hpp"
#include "hd/common/digest.hpp"
#include "hd/mailparse/charset.hpp"
#include "hd/mailparse/html_text.hpp"
#include "hd/mailparse/params.hpp"
#include "hd/mailparse/rfc2047.hpp"
#include "hd/mailparse/transfer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>

namespace hd::mailparse {
namespace {

std::string extension_for(std::string_view content_type) {
  struct ext {
    std::string_view type, ext;
  };
  static constexpr std::array<ext, 15> table{{{"text/plain", "txt"},
                                              {"image/jpg", "jpg"},
                                              {"text/html", "html"},
                                              {"text/calendar", "ics"},
                                              {"image/jpeg", "jpg"},
                                              {"image/png", "png"},
                                              {"image/gif", "gif"},
                                              {"application/pdf", "pdf"},
                                              {"message/rfc822", "eml"},
                                              {"message/global", "eml"},
                                              {"message/delivery-status", "txt"},
                                              {"text/rfc822-headers", "txt"},
                                              {"application/pgp-signature", "asc"},
                                              {"application/pkcs7-signature", "p7s"},
                                              {"application/zip", "zip"}}};
  for (const ext& e : table) {
    if (content_type == e.type) return std::string(e.ext);
  }
  return "bin";
}

struct content_info {
  std::string type;  ///< lower-case type/subtype
  header_params ct, cd;
  bool attachment = false;  ///< by disposition or by having a filename
  std::optional<std::string> filename;
  bool named_by_us = false;  ///< filename made from the subject, not written by the sender
};

// A part header value cut to max_header_field_bytes (limits hold for part headers too).
std::string_view capped(std::string_view v, std::int64_t max, std::vector<std::string>* defects) {
  if (static_cast<std::int64_t>(v.size()) <= max) return v;
  if (defects)
    defects->push_back(fmt::format("part header over {} bytes (max_header_field_bytes); cut", max));
  return v.substr(0, static_cast<std::size_t>(max));
}

content_info describe(GMimeObject* obj, std::vector<std::string>* defects, const param_limits& plim,
                      std::int64_t max_field) {
  content_info info;
  GMimeContentType* ct = g_mime_object_get_content_type(obj);
  char* mime = ct != nullptr ? g_mime_content_type_get_mime_type(ct) : nullptr;
  info.type = ascii_lower(mime != nullptr ? mime : "text/plain");
  g_free(mime);
  if (auto raw = raw_header(obj, "Content-Type")) {
    info.ct = parse_params(capped(*raw, max_field, defects), defects, plim);
    // RFC 2045 5.2: an unreadable Content-Type means text/plain (GMime says octet-stream).
    if (info.ct.token.find('/') == std::string::npos && !GMIME_IS_MULTIPART(obj) &&
        !GMIME_IS_MESSAGE_PART(obj))
      info.type = "text/plain";
  }
  if (auto raw = raw_header(obj, "Content-Disposition"))
    info.cd = parse_params(capped(*raw, max_field, defects), defects, plim);
  info.filename = info.cd.get("filename");
  if (!info.filename || info.filename->empty()) info.filename = info.ct.get("name");
  if (info.filename && info.filename->empty()) info.filename.reset();
  info.attachment = info.cd.token == "attachment" || info.filename.has_value();
  return info;
}

class walker {
 public:
  walker(const limits& lim, parsed_message& msg, std::string_view input)
      : lim_(lim), msg_(msg), plim_{lim.max_params, lim.over_budget}, input_(input) {}

  // `boundary`: of the multipart that holds `obj` ("" at the top).
  void walk(GMimeObject* obj, int depth, bool in_alternative, std::string_view boundary) {
    if (obj == nullptr || stopped()) return;
    if (++parts_ > lim_.max_parts) {
      if (parts_ == lim_.max_parts + 1)
        msg_.defects.push_back(
            fmt::format("more than {} MIME parts; the rest were not read", lim_.max_parts));
      return;
    }
    if (depth > lim_.max_mime_depth) {
      if (!depth_noted_)
        msg_.defects.push_back(fmt::format(
            "MIME nesting deeper than {}; deeper parts were not read", lim_.max_mime_depth));
      depth_noted_ = true;
      return;
    }
    if (GMIME_IS_MULTIPART(obj)) {
      GMimeMultipart* mp = GMIME_MULTIPART(obj);
      GMimeContentType* ct = g_mime_object_get_content_type(obj);
      bool alt = ct != nullptr && g_mime_content_type_is_type(ct, "multipart", "alternative");
      int n = g_mime_multipart_get_count(mp);
      const char* b = g_mime_multipart_get_boundary(mp);
      std::string_view inner = b != nullptr ? b : "";
      for (int i = 0; i < n; ++i) walk(g_mime_multipart_get_part(mp, i), depth + 1, alt, inner);
      if (n == 0) prologue_as_text(mp);
    } else if (GMIME_IS_MESSAGE_PART(obj)) {
      message_attachment(obj, boundary);
    } else if (GMIME_IS_PART(obj)) {
      leaf(obj, in_alternative);
    }
  }

  void finish() {
    if (msg_.text.empty() && html_.empty()) msg_.text = std::move(inline_text_);
    if (msg_.text.find_first_not_of(" \t\n") == std::string::npos && !html_.empty()) {
      msg_.text.clear();
      for (const std::string& h : html_) {
        if (stopped()) break;
        std::string t = html_to_text(h, lim_.over_budget);
        if (!msg_.text.empty() && !t.empty()) msg_.text += "\n\n";
        msg_.text += t;
      }
    }
    // Every HTML body after the first is kept as an inline attachment: nothing is dropped.
    for (std::size_t i = 1; i < html_.size(); ++i) {
      attachment a;
      a.content_type = "text/html";
      a.filename = safe_filename("", ++attachment_index_, a.content_type);
      a.disposition = "inline";
      a.data = std::move(html_[i]);
      a.sha256 = sha256_hex(a.data);
      msg_.attachments.push_back(std::move(a));
    }
    if (!html_.empty()) msg_.html = std::move(html_.front());
    stopped();  // the HTML conversion may have run out of time
  }

 private:
  // True once the time budget ran out or the decoded bytes passed the message limit; the
  // walk then keeps what it has. The budget's defect is recorded once.
  bool stopped() {
    if (!out_of_time_ && lim_.over_budget && lim_.over_budget()) {
      out_of_time_ = true;
      msg_.defects.emplace_back(k_budget_defect);
    }
    return out_of_time_ || too_much_;
  }

  // Decoding never makes a part larger than its encoded form, but re-serialised messages and
  // repeated text can add up: the message size limit holds for the decoded bytes too.
  void count_decoded(std::size_t bytes) {
    decoded_bytes_ += static_cast<std::int64_t>(bytes);
    if (decoded_bytes_ > lim_.max_message_bytes && !too_much_) {
      too_much_ = true;
      msg_.defects.push_back(fmt::format("decoded content over {} bytes; the rest was not read",
                                         lim_.max_message_bytes));
    }
  }

  std::string decoded(GMimeObject* obj) {
    std::string buffer;
    std::string_view raw = raw_content(GMIME_PART(obj), buffer);
    auto cte = raw_header(obj, "Content-Transfer-Encoding");
    bool known = true;
    transfer_encoding enc = classify_transfer_encoding(cte.value_or(""), known);
    if (!known) {
      msg_.defects.push_back(fmt::format(
          "Content-Transfer-Encoding '{}' read as {}", unfold_value(*cte),
          enc == transfer_encoding::identity ? "8bit" : "its nearest standard encoding"));
    }
    std::string out = decode_transfer(raw, enc);
    count_decoded(out.size());
    return out;
  }

  static std::string unfold_value(std::string_view v) {
    std::string s;
    for (char c : v) {
      if (c != '\r' && c != '\n' && s.size() < 40) s += c;
    }
    return s.substr(s.find_first_not_of(" \t") == std::string::npos ? s.size()
                                                                    : s.find_first_not_of(" \t"));
  }

  void leaf(GMimeObject* obj, bool in_alternative) {
    content_info info = describe(obj, &msg_.defects, plim_, lim_.max_header_field_bytes);
    bool plain = info.type == "text/plain", html = info.type == "text/html";
    if (!info.attachment && (plain || html)) {
      std::string text = normalize_newlines(
          to_utf8(decoded(obj), info.ct.get("charset").value_or(""), &msg_.defects, info.type));
      if (plain) {
        if (info.ct.get("format").value_or("") == "flowed")
          text = unflow(text, info.ct.get("delsp").value_or("") == "yes");
        if (!msg_.text.empty() && !text.empty()) msg_.text += "\n";
        msg_.text += text;
      } else {
        html_.push_back(std::move(text));
      }
      return;
    }
    if (in_alternative && !info.attachment && info.type.rfind("text/", 0) == 0) return;
    std::string data = decoded(obj);
    if (plain && info.cd.token != "attachment") {
      // Named inline text: an attachment, and the body when the message has no other.
      std::string text = normalize_newlines(
          to_utf8(data, info.ct.get("charset").value_or(""), &msg_.defects, info.type));
      if (!inline_text_.empty() && !text.empty()) inline_text_ += "\n";
      inline_text_ += text;
    }
    add_attachment(obj, info, std::move(data));
  }

  // A multipart whose boundary never appears: its text is all in the prologue.
  void prologue_as_text(GMimeMultipart* mp) {
    const char* prologue = g_mime_multipart_get_prologue(mp);
    if (prologue == nullptr || *prologue == '\0') return;
    std::string text = normalize_newlines(to_utf8(prologue, "", &msg_.defects, "text"));
    if (!msg_.text.empty() && !text.empty()) msg_.text += "\n";
    msg_.text += text;
  }

  // RFC 3676: a line ending in a space continues on the next line (quoted lines aside).
  static std::string unflow(const std::string& text, bool delsp) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size()) {
      std::size_t nl = text.find('\n', pos);
      std::size_t end = nl == std::string::npos ? text.size() : nl;
      std::string_view line(text.data() + pos, end - pos);
      bool soft = !line.empty() && line.back() == ' ' && line != "-- " && line.front() != '>';
      if (soft && delsp) line.remove_suffix(1);
      out += line;
      if (!soft && nl != std::string::npos) out += '\n';
      pos = nl == std::string::npos ? text.size() : nl + 1;
    }
    return out;
  }

  void add_attachment(GMimeObject* obj, const content_info& info, std::string data) {
    attachment a;
    a.content_type = info.type;
    a.filename = safe_filename(info.filename.value_or(""), ++attachment_index_, info.type);
    if (info.filename && !info.named_by_us && a.filename != *info.filename)
      msg_.defects.emplace_back(
          "unsafe attachment filename repaired (directories, control characters or invisible "
          "characters removed)");
    a.disposition = info.cd.token == "inline" ? "inline" : "attachment";
    if (const char* cid = g_mime_object_get_content_id(obj)) a.content_id = std::string(cid);
    if (a.content_id && a.content_id->empty()) a.content_id.reset();
    a.data = std::move(data);
    a.sha256 = sha256_hex(a.data);
    msg_.attachments.push_back(std::move(a));
  }

  // The original bytes of an attached message: from its first header to the boundary line
  // after it (or the end of the input). nullopt when GMime gave no offsets to go by.
  std::optional<std::string_view> original_bytes(GMimeMessage* inner, std::string_view boundary) {
    GMimeHeaderList* list = g_mime_object_get_header_list(GMIME_OBJECT(inner));
    if (list == nullptr || g_mime_header_list_get_count(list) == 0) return std::nullopt;
    gint64 start = g_mime_header_get_offset(g_mime_header_list_get_header_at(list, 0));
    if (start < 0 || static_cast<std::size_t>(start) >= input_.size()) return std::nullopt;
    std::size_t begin = static_cast<std::size_t>(start), end = input_.size();
    const char* first = g_mime_header_get_name(g_mime_header_list_get_header_at(list, 0));
    std::string_view name = first != nullptr ? first : "";
    if (name.empty() || !iequals(input_.substr(begin, name.size()), name)) return std::nullopt;
    if (!boundary.empty()) {
      std::string marker = "\n--" + std::string(boundary);
      std::size_t at = input_.find(marker, begin);
      if (at == std::string_view::npos) return input_.substr(begin);
      end = at + 1;  // the line end before the boundary belongs to the boundary
    }
    return input_.substr(begin, end - begin);
  }

  void message_attachment(GMimeObject* obj, std::string_view boundary) {
    content_info info = describe(obj, &msg_.defects, plim_, lim_.max_header_field_bytes);
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
    std::string data;
    if (inner != nullptr) {
      if (auto original = original_bytes(inner, boundary)) {
        data.assign(*original);
        if (data.size() >= 2 && data.compare(data.size() - 2, 2, "\r\n") == 0) {
          data.resize(data.size() - 2);  // the CRLF before the boundary belongs to it
        } else if (!data.empty() && data.back() == '\n' && !boundary.empty()) {
          data.pop_back();
        }
      } else {
        gobject_ptr<GMimeStream> mem(g_mime_stream_mem_new());
        g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, mem.get());
        GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
        data.assign(reinterpret_cast<const char*>(bytes->data), bytes->len);
      }
      count_decoded(data.size());
      if (!info.filename) {
        if (auto raw = raw_header(GMIME_OBJECT(inner), "Subject")) {
          std::string s = decode_unstructured(*raw);
          if (!s.empty()) info.filename = s + ".eml", info.named_by_us = true;
        }
      }
    }
    add_attachment(obj, info, std::move(data));
  }

  const limits& lim_;
  parsed_message& msg_;
  param_limits plim_;
  std::string_view input_;
  std::vector<std::string> html_;
  std::string inline_text_;
  int parts_ = 0;
  int attachment_index_ = 0;
  std::int64_t decoded_bytes_ = 0;
  bool depth_noted_ = false;
  bool out_of_time_ = false;
  bool too_much_ = false;
};

}  // namespace

std::string normalize_newlines(std::string_view s) {
  // Copies the runs between CRs and NULs whole (memchr-speed), not byte by byte.
  std::size_t next_cr = s.find('\r'), next_nul = s.find('\0');
  std::size_t at = std::min(next_cr, next_nul);
  if (at == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  std::size_t pos = 0;
  while (at != std::string_view::npos) {
    out.append(s.substr(pos, at - pos));
    pos = at + 1;
    if (s[at] == '\r') {
      out += '\n';
      if (pos < s.size() && s[pos] == '\n') ++pos;
      next_cr = s.find('\r', pos);
    } else {
      next_nul = s.find('\0', pos);
    }
    at = std::min(next_cr, next_nul);
  }
  out.append(s.substr(pos));
  return out;
}

std::string safe_filename(std::string_view name, int index, std::string_view content_type) {
  std::size_t slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name.remove_prefix(slash + 1);
  std::string out;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) continue;
    out += static_cast<char>(c);
  }
  // C1 controls (U+0080..U+009F) and bidi overrides (U+202A..U+202E, U+2066..U+2069) hide
  // a file's real extension.
  for (std::string_view bad :
       {"\xE2\x80\xAA", "\xE2\x80\xAB", "\xE2\x80\xAC", "\xE2\x80\xAD", "\xE2\x80\xAE",
        "\xE2\x81\xA6", "\xE2\x81\xA7", "\xE2\x81\xA8", "\xE2\x81\xA9"}) {
    for (std::size_t p; (p = out.find(bad)) != std::string::npos;) out.erase(p, bad.size());
  }
  for (std::size_t i = 0; i + 1 < out.size();) {
    if (out[i] == '\xC2' && static_cast<unsigned char>(out[i + 1]) < 0xA0) {
      out.erase(i, 2);
    } else {
      ++i;
    }
  }
  while (!out.empty() && (out.front() == '.' || out.front() == ' ')) out.erase(0, 1);
  while (!out.empty() && (out.back() == '.' || out.back() == ' ')) out.pop_back();
  if (out.size() > 255) {
    std::size_t cut = 255;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  if (out.empty()) out = fmt::format("part-{}.{}", index, extension_for(content_type));
  return out;
}

void read_body(GMimeObject* root, const limits& lim, parsed_message& msg, std::string_view input) {
  walker w(lim, msg, input);
  w.walk(root, 0, false, {});
  w.finish();
}

}  // namespace hd::mailparse
