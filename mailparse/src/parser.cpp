#include "hd/mailparse/parser.hpp"

#include "gmime_handles.hpp"
#include "hd/common/digest.hpp"
#include "hd/common/utf8.hpp"

#include <fmt/format.h>
#include <gmime/gmime.h>

#include <mutex>

namespace hd::mailparse {
namespace {

void init_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

std::string strip_brackets(std::string_view id) {
  while (!id.empty() && (id.front() == '<' || id.front() == ' ')) id.remove_prefix(1);
  while (!id.empty() && (id.back() == '>' || id.back() == ' ')) id.remove_suffix(1);
  return std::string(id);
}

std::vector<address> addresses(InternetAddressList* list) {
  std::vector<address> out;
  if (list == nullptr) return out;
  int n = internet_address_list_length(list);
  for (int i = 0; i < n; ++i) {
    InternetAddress* ia = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(ia)) {
      std::vector<address> members =
          addresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)));
      out.insert(out.end(), members.begin(), members.end());
      continue;
    }
    const char* name = internet_address_get_name(ia);
    const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
    if (addr == nullptr || *addr == '\0') continue;
    out.push_back({name ? name : "", addr});
  }
  return out;
}

std::string decoded_content(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (content == nullptr) return {};
  gobject_ptr<GMimeStream> mem(g_mime_stream_mem_new());
  g_mime_data_wrapper_write_to_stream(content, mem.get());
  GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

std::string to_utf8(GMimeTextPart* part) {
  char* text = g_mime_text_part_get_text(part);
  if (text == nullptr) return {};
  std::string out(text);
  g_free(text);
  return out;
}

std::string normalize_newlines(std::string s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += '\n';
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out += s[i];
    }
  }
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
  while (!out.empty() && (out.front() == '.' || out.front() == ' ')) out.erase(0, 1);
  if (out.empty()) {
    std::string_view sub = content_type.substr(content_type.find('/') + 1);
    out = fmt::format("part-{}.{}", index, sub.empty() ? "bin" : sub);
  }
  return out;
}

struct walker {
  const limits& lim;
  parsed_message& msg;
  int parts = 0;
  int attachment_index = 0;

  void add_attachment(GMimeObject* obj, GMimePart* part) {
    const char* type = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(obj));
    std::string content_type = ascii_lower(type ? type : "application/octet-stream");
    g_free(const_cast<char*>(type));
    const char* fn = g_mime_part_get_filename(part);
    const char* cid = g_mime_object_get_content_id(obj);
    const char* disp = g_mime_object_get_disposition(obj);
    attachment a;
    a.content_type = content_type;
    a.filename = safe_filename(fn ? fn : "", ++attachment_index, content_type);
    a.disposition = disp && iequals(disp, "inline") ? "inline" : "attachment";
    if (cid) a.content_id = strip_brackets(cid);
    a.data = decoded_content(part);
    a.sha256 = sha256_hex(a.data);
    msg.attachments.push_back(std::move(a));
  }

  void leaf(GMimeObject* obj) {
    GMimePart* part = GMIME_PART(obj);
    GMimeContentType* ct = g_mime_object_get_content_type(obj);
    const char* disp = g_mime_object_get_disposition(obj);
    bool is_attachment =
        (disp && iequals(disp, "attachment")) || g_mime_part_get_filename(part) != nullptr;
    if (!is_attachment && GMIME_IS_TEXT_PART(obj) &&
        g_mime_content_type_is_type(ct, "text", "plain")) {
      std::string t = normalize_newlines(to_utf8(GMIME_TEXT_PART(obj)));
      if (!msg.text.empty() && !t.empty()) msg.text += "\n";
      msg.text += t;
      return;
    }
    if (!is_attachment && GMIME_IS_TEXT_PART(obj) &&
        g_mime_content_type_is_type(ct, "text", "html") && !msg.html) {
      msg.html = normalize_newlines(to_utf8(GMIME_TEXT_PART(obj)));
      return;
    }
    add_attachment(obj, part);
  }

  void walk(GMimeObject* obj, int depth) {
    if (obj == nullptr) return;
    if (++parts > lim.max_parts) {
      if (parts == lim.max_parts + 1)
        msg.defects.push_back(
            fmt::format("more than {} MIME parts; the rest were not read", lim.max_parts));
      return;
    }
    if (depth > lim.max_mime_depth) {
      msg.defects.push_back(fmt::format("MIME nesting deeper than {}; deeper parts were not read",
                                        lim.max_mime_depth));
      return;
    }
    if (GMIME_IS_MULTIPART(obj)) {
      GMimeMultipart* mp = GMIME_MULTIPART(obj);
      int n = g_mime_multipart_get_count(mp);
      for (int i = 0; i < n; ++i) walk(g_mime_multipart_get_part(mp, i), depth + 1);
    } else if (GMIME_IS_MESSAGE_PART(obj)) {
      GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
      if (inner == nullptr) return;
      gobject_ptr<GMimeStream> mem(g_mime_stream_mem_new());
      g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, mem.get());
      GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem.get()));
      attachment a;
      a.content_type = "message/rfc822";
      const char* subject = g_mime_message_get_subject(inner);
      a.filename = safe_filename(subject ? fmt::format("{}.eml", subject) : "", ++attachment_index,
                                 "message/eml");
      a.disposition = "attachment";
      a.data.assign(reinterpret_cast<const char*>(bytes->data), bytes->len);
      a.sha256 = sha256_hex(a.data);
      msg.attachments.push_back(std::move(a));
    } else if (GMIME_IS_PART(obj)) {
      leaf(obj);
    }
  }
};

void read_headers(GMimeMessage* m, parsed_message& msg) {
  GMimeHeaderList* headers = g_mime_object_get_header_list(GMIME_OBJECT(m));
  int n = g_mime_header_list_get_count(headers);
  for (int i = 0; i < n; ++i) {
    GMimeHeader* h = g_mime_header_list_get_header_at(headers, i);
    const char* name = g_mime_header_get_name(h);
    const char* value = g_mime_header_get_value(h);
    msg.headers.push_back({name ? name : "", value ? value : ""});
  }
}

void read_envelope(GMimeMessage* m, parsed_message& msg) {
  if (const char* id = g_mime_message_get_message_id(m)) msg.message_id = strip_brackets(id);
  if (const char* s = g_mime_message_get_subject(m)) msg.subject = s;
  std::vector<address> from = addresses(g_mime_message_get_from(m));
  if (!from.empty()) msg.from = from.front();
  msg.reply_to = addresses(g_mime_message_get_reply_to(m));
  msg.to = addresses(g_mime_message_get_to(m));
  msg.cc = addresses(g_mime_message_get_cc(m));
  if (GDateTime* d = g_mime_message_get_date(m)) msg.date = g_date_time_to_unix(d);
  if (const char* irt = g_mime_object_get_header(GMIME_OBJECT(m), "In-Reply-To")) {
    if (GMimeReferences* refs = g_mime_references_parse(nullptr, irt)) {
      if (g_mime_references_length(refs) > 0)
        msg.in_reply_to = g_mime_references_get_message_id(refs, 0);
      g_mime_references_free(refs);
    }
  }
  if (const char* r = g_mime_object_get_header(GMIME_OBJECT(m), "References")) {
    if (GMimeReferences* refs = g_mime_references_parse(nullptr, r)) {
      int n = g_mime_references_length(refs);
      for (int i = 0; i < n; ++i)
        msg.references.emplace_back(g_mime_references_get_message_id(refs, i));
      g_mime_references_free(refs);
    }
  }
}

// The invariant every consumer relies on: every string in a parsed message is valid UTF-8.
// Whatever a charset converter or a header decoder let through is repaired here, in one place.
void ensure_utf8(parsed_message& m) {
  bool repaired = false;
  auto fix = [&](std::string& s) {
    if (!is_valid_utf8(s)) {
      s = repair_utf8(s);
      repaired = true;
    }
  };
  auto fix_opt = [&](std::optional<std::string>& s) {
    if (s) fix(*s);
  };
  auto fix_addr = [&](address& a) {
    fix(a.name);
    fix(a.addr);
  };
  fix_opt(m.message_id);
  fix_opt(m.in_reply_to);
  for (std::string& r : m.references) fix(r);
  if (m.from) fix_addr(*m.from);
  for (auto* list : {&m.reply_to, &m.to, &m.cc}) {
    for (address& a : *list) fix_addr(a);
  }
  fix_opt(m.subject);
  fix(m.text);
  fix_opt(m.html);
  for (attachment& a : m.attachments) {
    fix(a.filename);
    fix(a.content_type);
    fix_opt(a.content_id);
  }
  for (header_field& h : m.headers) {
    fix(h.name);
    fix(h.value);
  }
  if (repaired) m.defects.push_back("invalid UTF-8 after decoding; bad bytes replaced with U+FFFD");
}

}  // namespace

result<parsed_message, errc> parse(std::string_view raw, const limits& lim) {
  if (raw.empty()) return fail(errc::empty, "the message is empty");
  if (static_cast<std::int64_t>(raw.size()) > lim.max_message_bytes) {
    return fail(errc::too_large, fmt::format("the message is {} bytes, over the limit of {}",
                                             raw.size(), lim.max_message_bytes));
  }
  init_gmime();
  gobject_ptr<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
  gobject_ptr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  gobject_ptr<GMimeMessage> message(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!message) return fail(errc::no_headers, "no mail headers could be read");
  parsed_message msg;
  read_headers(message.get(), msg);
  if (msg.headers.empty()) return fail(errc::no_headers, "no mail headers could be read");
  read_envelope(message.get(), msg);
  walker w{lim, msg};
  w.walk(g_mime_message_get_mime_part(message.get()), 0);
  ensure_utf8(msg);
  return msg;
}

}  // namespace hd::mailparse
