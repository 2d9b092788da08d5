#include "envelope.hpp"

#include "gmime_util.hpp"
#include "hd/mailparse/params.hpp"
#include "hd/mailparse/rfc2047.hpp"

#include <fmt/format.h>

namespace hd::mailparse {
namespace {

std::string strip_brackets(std::string_view id) {
  auto junk = [](char c) { return c == '<' || c == '>' || c == ' ' || c == '\t'; };
  while (!id.empty() && junk(id.front())) id.remove_prefix(1);
  while (!id.empty() && junk(id.back())) id.remove_suffix(1);
  return std::string(id);
}

void flatten(InternetAddressList* list, std::vector<address>& out, int depth) {
  if (list == nullptr || depth > 4) return;
  int n = internet_address_list_length(list);
  for (int i = 0; i < n; ++i) {
    InternetAddress* ia = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(ia)) {
      flatten(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)), out, depth + 1);
      continue;
    }
    const char* name = internet_address_get_name(ia);
    const char* addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
    if (addr == nullptr || *addr == '\0') continue;
    out.push_back({name != nullptr ? name : "", addr});
  }
}

// Last resort for headers GMime cannot read at all: the first word containing '@'.
std::optional<address> bare_addr_spec(std::string_view s) {
  std::size_t at = s.find('@');
  if (at == std::string_view::npos) return std::nullopt;
  auto stop = [](char c) {
    return std::string_view(" \t<>,;:\"()[]").find(c) != std::string_view::npos;
  };
  std::size_t b = at, e = at + 1;
  while (b > 0 && !stop(s[b - 1])) --b;
  while (e < s.size() && !stop(s[e])) ++e;
  if (b == at || e == at + 1) return std::nullopt;
  return address{"", std::string(s.substr(b, e - b))};
}

std::optional<std::string> first_id(const char* raw) {
  std::optional<std::string> out;
  if (GMimeReferences* refs = g_mime_references_parse(nullptr, raw)) {
    if (g_mime_references_length(refs) > 0) out = g_mime_references_get_message_id(refs, 0);
    g_mime_references_free(refs);
  }
  return out;
}

void read_ids(GMimeMessage* m, parsed_message& msg) {
  GMimeObject* obj = GMIME_OBJECT(m);
  if (const char* id = g_mime_message_get_message_id(m)) {
    msg.message_id = strip_brackets(id);
  } else if (auto raw = raw_header(obj, "Message-ID")) {
    std::string s = strip_brackets(unfold(*raw));
    if (!s.empty()) msg.message_id = s;
  }
  if (msg.message_id && msg.message_id->empty()) msg.message_id.reset();
  if (auto raw = raw_header(obj, "In-Reply-To")) {
    msg.in_reply_to = first_id(std::string(*raw).c_str());
    if (!msg.in_reply_to) {
      std::string s = strip_brackets(unfold(*raw));
      if (!s.empty() && s.find(' ') == std::string::npos) msg.in_reply_to = s;
    }
  }
  if (auto raw = raw_header(obj, "References")) {
    if (GMimeReferences* refs = g_mime_references_parse(nullptr, std::string(*raw).c_str())) {
      int n = g_mime_references_length(refs);
      for (int i = 0; i < n; ++i)
        msg.references.emplace_back(g_mime_references_get_message_id(refs, i));
      g_mime_references_free(refs);
    }
  }
}

void read_date(GMimeMessage* m, parsed_message& msg) {
  auto raw = raw_header(GMIME_OBJECT(m), "Date");
  if (!raw) return;
  std::string value = unfold(*raw);
  if (GDateTime* d = g_mime_utils_header_decode_date(value.c_str())) {
    msg.date = g_date_time_to_unix(d);
    g_date_time_unref(d);
  } else {
    msg.defects.push_back("Date header unreadable; date left empty");
  }
}

// The charset of the first body part that declares one: raw 8-bit header text is most often
// in the same charset as the body.
std::string body_charset(GMimeObject* obj) {
  for (int steps = 0; obj != nullptr && steps < 16; ++steps) {
    if (auto raw = raw_header(obj, "Content-Type")) {
      if (auto cs = parse_params(*raw).get("charset")) return *cs;
    }
    if (!GMIME_IS_MULTIPART(obj) || g_mime_multipart_get_count(GMIME_MULTIPART(obj)) == 0) break;
    obj = g_mime_multipart_get_part(GMIME_MULTIPART(obj), 0);
  }
  return {};
}

// From, or when it has no usable mailbox (missing, `"Name" <>`), Sender, Reply-To and
// Return-Path in that order: no sender is no reason to lose a mail. Extra From mailboxes are
// named in a defect (the first one is the sender).
template <class List>
void read_sender(List list, parsed_message& msg) {
  std::vector<address> from = list("From");
  if (!from.empty()) {
    msg.from = from.front();
    if (from.size() > 1) {
      std::string others;
      for (std::size_t i = 1; i < from.size() && i <= 10; ++i)
        others += (others.empty() ? "" : ", ") + from[i].addr;
      if (from.size() > 11) others += fmt::format(" and {} more", from.size() - 11);
      msg.defects.push_back(
          fmt::format("{} mailboxes in From; the first is the sender, the others were: {}",
                      from.size(), others));
    }
    return;
  }
  for (const char* name : {"Sender", "Reply-To", "Return-Path"}) {
    std::vector<address> alt = list(name);
    if (alt.empty()) continue;
    msg.from = alt.front();
    msg.defects.push_back(fmt::format("no usable From; the sender was taken from {}", name));
    return;
  }
}

}  // namespace

std::vector<address> parse_addresses(std::string_view raw, GMimeParserOptions* options,
                                     std::vector<std::string>* defects,
                                     std::string_view fallback_charset) {
  std::string value = normalize_structured(raw, defects, fallback_charset);
  std::vector<address> out;
  if (InternetAddressList* list = internet_address_list_parse(options, value.c_str())) {
    flatten(list, out, 0);
    g_object_unref(list);
  }
  if (out.empty()) {
    if (auto a = bare_addr_spec(value)) out.push_back(std::move(*a));
  }
  return out;
}

void read_envelope(GMimeMessage* m, GMimeParserOptions* options, parsed_message& msg) {
  GMimeObject* obj = GMIME_OBJECT(m);
  std::string charset = body_charset(g_mime_message_get_mime_part(m));
  GMimeHeaderList* headers = g_mime_object_get_header_list(obj);
  int n = g_mime_header_list_get_count(headers);
  for (int i = 0; i < n; ++i) {
    GMimeHeader* h = g_mime_header_list_get_header_at(headers, i);
    const char* name = g_mime_header_get_name(h);
    const char* value = g_mime_header_get_raw_value(h);
    msg.headers.push_back(
        {name != nullptr ? name : "", decode_unstructured(value ? value : "", nullptr, charset)});
  }
  read_ids(m, msg);
  read_date(m, msg);
  if (auto raw = raw_header(obj, "Subject"))
    msg.subject = decode_unstructured(*raw, &msg.defects, charset);
  auto list = [&](const char* name) {
    auto raw = joined_raw_headers(obj, name);
    return raw ? parse_addresses(*raw, options, &msg.defects, charset) : std::vector<address>{};
  };
  read_sender(list, msg);
  msg.reply_to = list("Reply-To");
  msg.to = list("To");
  msg.cc = list("Cc");
}

}  // namespace hd::mailparse
