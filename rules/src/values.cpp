#include "values.hpp"

namespace hd::rules {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

// One mailbox: "Name <a@b>", "a@b (comment)", "a@b".
std::string mailbox_addr(std::string_view m) {
  std::size_t lt = m.rfind('<');
  if (lt != std::string_view::npos) {
    std::size_t gt = m.find('>', lt);
    return std::string(trim(m.substr(lt + 1, gt == std::string_view::npos ? gt : gt - lt - 1)));
  }
  std::string out;
  int depth = 0;
  for (char c : m) {
    if (c == '(')
      ++depth;
    else if (c == ')' && depth > 0)
      --depth;
    else if (depth == 0 && c != ' ' && c != '\t' && c != '"')
      out += c;
  }
  return out;
}

}  // namespace

std::vector<std::string> parse_address_list(std::string_view value) {
  std::vector<std::string> out;
  std::size_t start = 0;
  bool quoted = false, angle = false;
  int comment = 0;
  auto flush = [&](std::size_t end) {
    std::string_view item = trim(value.substr(start, end - start));
    // A group "name: a, b;" - drop the display name before the colon.
    if (std::size_t colon = item.find(':');
        colon != std::string_view::npos && item.find('<') > colon && item.find('"') > colon)
      item = trim(item.substr(colon + 1));
    while (!item.empty() && item.back() == ';') item.remove_suffix(1);
    std::string a = mailbox_addr(item);
    if (!a.empty()) out.push_back(std::move(a));
    start = end + 1;
  };
  for (std::size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    if (quoted) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        quoted = false;
    } else if (comment > 0) {
      if (c == '(')
        ++comment;
      else if (c == ')')
        --comment;
    } else if (c == '"')
      quoted = true;
    else if (c == '(')
      ++comment;
    else if (c == '<')
      angle = true;
    else if (c == '>')
      angle = false;
    else if ((c == ',' || c == ';') && !angle)
      flush(i);
  }
  if (start < value.size()) flush(value.size());
  return out;
}

std::optional<std::string_view> address_part(std::string_view addr, addr_part part) {
  std::size_t at = addr.rfind('@');
  std::string_view local = at == std::string_view::npos ? addr : addr.substr(0, at);
  switch (part) {
    case addr_part::all:
      return addr;
    case addr_part::localpart:
      return local;
    case addr_part::domain:
      if (at == std::string_view::npos) return std::nullopt;
      return addr.substr(at + 1);
    case addr_part::user:
      return local.substr(0, local.find('+'));
    case addr_part::detail: {
      std::size_t plus = local.find('+');
      if (plus == std::string_view::npos) return std::nullopt;
      return local.substr(plus + 1);
    }
  }
  return std::nullopt;
}

// Content-* headers of the top-level entity, unfolded, from the raw header block: the parsed
// message lists the envelope headers, and Sieve scripts test these too.
std::vector<std::pair<std::string_view, std::string>> raw_content_headers(std::string_view raw) {
  std::vector<std::pair<std::string_view, std::string>> out;
  bool folding = false;  // the previous line started a Content-* header
  std::size_t pos = 0;
  while (pos < raw.size()) {
    std::size_t eol = raw.find('\n', pos);
    std::string_view line = raw.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    pos = eol == std::string_view::npos ? raw.size() : eol + 1;
    if (line[0] == ' ' || line[0] == '\t') {
      if (folding) out.back().second.append(" ").append(trim(line));
      continue;
    }
    std::size_t colon = line.find(':');
    folding =
        colon != std::string_view::npos && colon >= 8 && iequals(line.substr(0, 8), "content-");
    if (folding) out.emplace_back(line.substr(0, colon), std::string(trim(line.substr(colon + 1))));
  }
  return out;
}

mail_view::mail_view(const compiled& p, const input& in)
    : p_(p), in_(in), headers_(p.header_names.size()), addresses_(p.header_names.size()) {
  std::string lower;
  bool has_content = false;
  auto add = [&](std::string_view name, std::string_view value) {
    lower.assign(name);
    for (char& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    has_content = has_content || lower.rfind("content-", 0) == 0;
    auto it = p.header_ids.find(lower);
    // Sieve compares header values without leading and trailing whitespace (as Pigeonhole).
    if (it != p.header_ids.end()) headers_[it->second].push_back(trim(value));
  };
  for (const header_field& h : in.message->headers) add(h.name, h.value);
  if (!has_content && p.wants_content_headers) {
    raw_content_ = raw_content_headers(in.raw);
    for (const auto& [name, value] : raw_content_) add(name, value);
  }
}

std::vector<std::string_view> mail_view::headers(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const header_field& h : in_.message->headers)
    if (iequals(h.name, name)) out.push_back(trim(h.value));
  for (const auto& [n, v] : raw_content_)
    if (iequals(n, name)) out.push_back(v);
  return out;
}

std::vector<std::string> mail_view::addresses_uncached(std::string_view name) const {
  const parsed_message& m = *in_.message;
  std::vector<std::string> out;
  auto take = [&](const std::vector<address>& list) {
    for (const address& a : list)
      if (!a.addr.empty()) out.push_back(a.addr);
  };
  // The parser already decoded these four headers; its result is the most faithful.
  if (name == "from" && m.from) {
    if (!m.from->addr.empty()) out.push_back(m.from->addr);
    return out;
  }
  if (name == "to" && !m.to.empty()) return take(m.to), out;
  if (name == "cc" && !m.cc.empty()) return take(m.cc), out;
  if (name == "reply-to" && !m.reply_to.empty()) return take(m.reply_to), out;
  for (std::string_view v : headers(name))
    for (std::string& a : parse_address_list(v)) out.push_back(std::move(a));
  return out;
}

const std::vector<std::string>& mail_view::addresses(int id, std::string_view name) {
  if (id < 0) {
    dynamic_addresses_ = addresses_uncached(ascii_lower(name));
    return dynamic_addresses_;
  }
  auto& slot = addresses_[static_cast<std::size_t>(id)];
  if (!slot) slot = addresses_uncached(p_.header_names[static_cast<std::size_t>(id)]);
  return *slot;
}

const std::vector<std::string>& mail_view::folded_headers(int id) {
  int key = -1 - id;
  for (const cached& c : cache_)
    if (c.key == key) return c.values;
  std::vector<std::string> out;
  for (std::string_view v : headers(id)) out.push_back(ascii_lower(v));
  return cache_.emplace_back(cached{key, std::move(out)}).values;
}

const std::vector<std::string>& mail_view::address_parts(int id, addr_part part, bool fold) {
  int key = (id * 5 + static_cast<int>(part)) * 2 + (fold ? 1 : 0);
  for (const cached& c : cache_)
    if (c.key == key) return c.values;
  std::vector<std::string> out;
  for (const std::string& a : addresses(id, p_.header_names[static_cast<std::size_t>(id)]))
    if (auto p = address_part(a, part)) out.push_back(fold ? ascii_lower(*p) : std::string(*p));
  return cache_.emplace_back(cached{key, std::move(out)}).values;
}

std::vector<std::string_view> mail_view::envelope(std::string_view part) const {
  if (iequals(part, "from")) return {in_.env.from};
  if (iequals(part, "to")) return {in_.env.to.begin(), in_.env.to.end()};
  return {};
}

std::vector<std::string_view> mail_view::body(body_transform t,
                                              const std::vector<std::string>& types) const {
  const parsed_message& m = *in_.message;
  if (t == body_transform::text) return {m.text};
  if (t == body_transform::raw) {
    std::string_view raw = in_.raw;
    std::size_t crlf = raw.find("\r\n\r\n"), lf = raw.find("\n\n");
    if (crlf != std::string_view::npos && (lf == std::string_view::npos || crlf < lf))
      return {raw.substr(crlf + 4)};
    if (lf != std::string_view::npos) return {raw.substr(lf + 2)};
    return {std::string_view()};
  }
  std::vector<std::string_view> out;
  // RFC 5173 :content: a type matches "type" or "type/subtype"; "" matches every part.
  auto wanted = [&](std::string_view ct) {
    for (const std::string& ty : types) {
      if (ty.empty() || ct == ty) return true;
      if (ty.find('/') == std::string::npos && ct.substr(0, ct.find('/')) == ty) return true;
    }
    return false;
  };
  if (wanted("text/plain")) out.push_back(m.text);
  if (m.html && wanted("text/html")) out.push_back(*m.html);
  for (const attachment& a : m.attachments)
    if (wanted(a.content_type)) out.push_back(a.data);
  return out;
}

}  // namespace hd::rules
