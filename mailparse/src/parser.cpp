#include "hd/mailparse/parser.hpp"

#include "body.hpp"
#include "envelope.hpp"
#include "gmime_handles.hpp"
#include "hd/common/utf8.hpp"
#include "hd/mailparse/charset.hpp"
#include "header_block.hpp"
#include "robot.hpp"

#include <fmt/format.h>
#include <gmime/gmime.h>

#include <algorithm>
#include <mutex>
#include <optional>

namespace hd::mailparse {
namespace {

void init_gmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

struct options_deleter {
  void operator()(GMimeParserOptions* o) const { g_mime_parser_options_free(o); }
};
using options_ptr = std::unique_ptr<GMimeParserOptions, options_deleter>;

const char* warning_text(GMimeParserWarning w) {
  switch (w) {
    case GMIME_WARN_INVALID_CONTENT_TYPE:
      return "invalid Content-Type; read as the default type";
    case GMIME_WARN_MALFORMED_MULTIPART:
      return "multipart without readable parts";
    case GMIME_WARN_TRUNCATED_MESSAGE:
      return "message truncated (a closing boundary is missing)";
    case GMIME_WARN_MALFORMED_MESSAGE:
      return "malformed message structure";
    case GMIME_CRIT_INVALID_HEADER_NAME:
      return "invalid header line; skipped";
    case GMIME_CRIT_CONFLICTING_HEADER:
      return "conflicting repeated header";
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
      return "multipart without a boundary; read as one part";
    case GMIME_CRIT_NESTING_OVERFLOW:
      return "MIME nesting too deep for GMime; deeper parts were not read";
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
      return "MIME part without headers or content";
    case GMIME_WARN_PART_WITHOUT_CONTENT:
      return "MIME part without content";
    default:
      return nullptr;
  }
}

// GMime reports structural problems through this callback; each kind is recorded once.
void on_warning(gint64 /*offset*/, GMimeParserWarning w, const gchar* /*item*/, gpointer user) {
  auto* defects = static_cast<std::vector<std::string>*>(user);
  const char* text = warning_text(w);
  if (text == nullptr) return;
  if (std::find(defects->begin(), defects->end(), text) == defects->end())
    defects->emplace_back(text);
}

options_ptr make_options(std::vector<std::string>* defects) {
  options_ptr o(g_mime_parser_options_new());
  static const char* fallback[] = {"UTF-8", "windows-1252", nullptr};
  g_mime_parser_options_set_fallback_charsets(o.get(), fallback);
  g_mime_parser_options_set_rfc2047_compliance_mode(o.get(), GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_parameter_compliance_mode(o.get(), GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_address_compliance_mode(o.get(), GMIME_RFC_COMPLIANCE_LOOSE);
  g_mime_parser_options_set_warning_callback(o.get(), on_warning, defects);
  return o;
}

// Where the header block ends (the offset of its terminating empty line), or npos.
std::size_t header_end(std::string_view raw) {
  if (raw.rfind("\r\n", 0) == 0 || raw.rfind("\n", 0) == 0) return 0;
  std::size_t lf = raw.find("\n\n");
  std::size_t crlf = raw.find("\n\r\n");
  return std::min(lf, crlf);
}

// "From someone@x Tue Mar  5 13:03:07 2024" (mbox), unlike the header "From : x".
bool is_mbox_from_line(std::string_view raw) {
  if (raw.rfind("From ", 0) != 0) return false;
  std::size_t i = 5;
  while (i < raw.size() && (raw[i] == ' ' || raw[i] == '\t')) ++i;
  return i < raw.size() && raw[i] != ':';
}

// Repairs that must happen before GMime sees the bytes: an mbox "From " line, leading blank
// lines, obsolete "Name :" headers, a header block over the limit. Returns the bytes to parse
// (`storage` owns them when they had to be changed).
std::string_view prepare(std::string_view raw, const limits& lim, std::string& storage,
                         std::vector<std::string>& defects) {
  if (is_mbox_from_line(raw)) {
    std::size_t nl = raw.find('\n');
    raw.remove_prefix(nl == std::string_view::npos ? raw.size() : nl + 1);
    defects.emplace_back("mbox 'From ' line before the headers removed");
  }
  std::size_t lead = 0;
  while (lead < raw.size() && (raw[lead] == '\r' || raw[lead] == '\n')) ++lead;
  if (lead > 0 && lead < raw.size()) {
    raw.remove_prefix(lead);
    defects.emplace_back("blank lines before the headers removed");
  }
  std::size_t end = header_end(raw);
  std::size_t header_bytes = end == std::string_view::npos ? raw.size() : end;
  if (end == std::string_view::npos &&
      static_cast<std::int64_t>(raw.size()) > lim.max_header_bytes &&
      raw.substr(0, static_cast<std::size_t>(lim.max_header_bytes)).find('\n') ==
          std::string_view::npos)
    return {};  // not one line end where the headers should be: nothing readable
  std::optional<std::string> fixed =
      repair_header_block(raw.substr(0, header_bytes), end != std::string_view::npos, lim, defects);
  if (!fixed) return raw;
  storage = std::move(*fixed);
  // `head` stops before its last line's LF (header_end): skip it when the block ends with one.
  bool ends_with_lf = !storage.empty() && storage.back() == '\n';
  if (end != std::string_view::npos) storage.append(raw.substr(end + (ends_with_lf ? 1 : 0)));
  return storage;
}

// The invariant every consumer relies on: every string in a parsed message is valid UTF-8.
// Applies FIX to every decoded header string of M: ids, addresses, subject, header values.
template <class Fix>
void each_header_text(parsed_message& m, Fix fix) {
  if (m.message_id) fix(*m.message_id);
  if (m.in_reply_to) fix(*m.in_reply_to);
  for (std::string& r : m.references) fix(r);
  if (m.from) fix(m.from->name), fix(m.from->addr);
  for (auto* list : {&m.reply_to, &m.to, &m.cc}) {
    for (address& a : *list) fix(a.name), fix(a.addr);
  }
  if (m.subject) fix(*m.subject);
  for (header_field& h : m.headers) fix(h.value);
}

// Whatever a decoder let through is repaired here, in one place.
void ensure_utf8(parsed_message& m) {
  bool repaired = false;
  auto fix = [&](std::string& s) {
    if (!valid_utf8(s)) {
      s = repair_utf8(s);
      repaired = true;
    }
  };
  each_header_text(m, fix);
  fix(m.text);
  if (m.html) fix(*m.html);
  for (attachment& a : m.attachments) {
    fix(a.filename);
    fix(a.content_type);
    if (a.content_id) fix(*a.content_id);
  }
  for (header_field& h : m.headers) fix(h.name);
  for (std::string& d : m.defects) fix(d);
  fix(m.robot.reason);
  if (m.robot.original_message_id) fix(*m.robot.original_message_id);
  for (dsn_recipient& r : m.robot.recipients) {
    fix(r.address), fix(r.action), fix(r.status), fix(r.diagnostic);
  }
  if (repaired)
    m.defects.emplace_back("invalid UTF-8 after decoding; bad bytes replaced with U+FFFD");
}

// Decoded header text must stay one line: an encoded word can carry CR, LF or other controls
// ("=?UTF-8?Q?Hi=0D=0ABcc:_x?=") that would inject headers wherever the text is reused.
void flatten_header_controls(parsed_message& m) {
  bool replaced = false;
  each_header_text(m, [&](std::string& s) {
    for (char& c : s) {
      auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) c = ' ', replaced = true;
    }
  });
  if (replaced)
    m.defects.emplace_back("control characters (CR, LF ...) in decoded header text replaced");
}

// Headers and body of what GMime built; input without any header is read as body text.
void read_message(GMimeMessage* message, GMimeParserOptions* options, std::string_view input,
                  const limits& lim, parsed_message& msg) {
  GMimeObject* root = nullptr;
  if (message != nullptr) {
    read_envelope(message, options, msg);
    root = g_mime_message_get_mime_part(message);
  }
  if (msg.headers.empty() &&
      (root == nullptr || g_mime_header_list_get_count(g_mime_object_get_header_list(root)) == 0)) {
    msg.defects.emplace_back("no header block; the whole input read as body text");
    msg.text = normalize_newlines(to_utf8(input, "", &msg.defects, "text"));
  } else {
    read_body(root, lim, msg, input);
  }
}

bool out_of_time(const limits& lim) { return lim.over_budget && lim.over_budget(); }

// Each defect once, in order of first appearance (a repair repeated on many parts).
void dedupe(std::vector<std::string>& defects) {
  std::vector<std::string> out;
  for (std::string& d : defects) {
    if (std::find(out.begin(), out.end(), d) == out.end()) out.push_back(std::move(d));
  }
  defects = std::move(out);
}

}  // namespace

result<parsed_message, errc> parse(std::string_view raw, const limits& lim) {
  if (raw.empty()) return fail(errc::empty, "the message is empty");
  if (static_cast<std::int64_t>(raw.size()) > lim.max_message_bytes) {
    return fail(errc::too_large, fmt::format("the message is {} bytes, over the limit of {}",
                                             raw.size(), lim.max_message_bytes));
  }
  init_gmime();
  parsed_message msg;
  std::string storage;
  std::string_view input = prepare(raw, lim, storage, msg.defects);
  std::string repaired;
  if (auto fixed = repair_mime_fields(input, lim, msg.defects)) {
    repaired = std::move(*fixed);
    input = repaired;
  }
  options_ptr options = make_options(&msg.defects);
  borrowed_bytes bytes(input.data(), input.size());
  gobject_ptr<GMimeStream> stream(g_mime_stream_mem_new_with_byte_array(bytes.get()));
  g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream.get()), FALSE);
  gobject_ptr<GMimeParser> parser(g_mime_parser_new_with_stream(stream.get()));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  // GMime's structure pass cannot be interrupted (it is linear in the input); the budget is
  // asked before and after it, and then at every part (body.cpp).
  bool late = out_of_time(lim);
  gobject_ptr<GMimeMessage> message(
      late ? nullptr : g_mime_parser_construct_message(parser.get(), options.get()));
  if (input.empty() && static_cast<std::int64_t>(raw.size()) > lim.max_header_bytes)
    return fail(errc::no_headers,
                fmt::format("no header line in the first {} bytes (max_header_bytes); nothing "
                            "readable",
                            lim.max_header_bytes));
  if (input.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return fail(errc::no_headers, "the message has no content");
  if (late || out_of_time(lim)) {
    msg.defects.emplace_back(k_budget_defect);  // nothing more is read; the caller keeps the raw
  } else {
    read_message(message.get(), options.get(), input, lim, msg);
    classify_robot(msg);
  }
  flatten_header_controls(msg);
  ensure_utf8(msg);
  dedupe(msg.defects);
  return msg;
}

}  // namespace hd::mailparse
