#include "values.hpp"

#include "hd/common/utf8.hpp"

#include <algorithm>
#include <unordered_map>

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

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::vector<raw_header> raw_headers(std::string_view raw) {
  std::vector<raw_header> out;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    std::size_t eol = raw.find('\n', pos);
    std::string_view line = raw.substr(pos, eol == std::string_view::npos ? eol : eol - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    pos = eol == std::string_view::npos ? raw.size() : eol + 1;
    if (line[0] == ' ' || line[0] == '\t') {
      // Unfolded as Dovecot does: the line break goes, a tab starting the line is a space.
      if (!out.empty()) out.back().value.append(" ").append(line.substr(1));
      continue;
    }
    if (out.empty() && line.substr(0, 5) == "From " &&
        line.find_first_not_of(' ', 5) != line.find(':'))
      continue;  // an mbox "From sender date" line (not "From  : x", a header)
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) colon = line.size();  // junk: a header without value
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && is_space(name.back())) name.remove_suffix(1);
    out.push_back({name, std::string(line.substr(std::min(colon + 1, line.size())))});
  }
  for (raw_header& h : out) h.value = std::string(trim(h.value));
  return out;
}

mail_view::mail_view(const compiled& p, const input& in)
    : p_(p), in_(in), headers_(p.header_names.size()), addresses_(p.header_names.size()) {
  // Header values come from the raw header block, decoded the way a Sieve engine (Dovecot)
  // decodes them, so a script routes a mail the same under both: in.decode_header for values
  // with encoded words, 8-bit bytes or NUL; without it, mailparse's value for the header.
  // A caller that gives no raw header block (tests) gets the parsed message's headers.
  // raw_ (undecoded) is what address tests parse; sieve_headers_ the decoded values.
  raw_ = raw_headers(in.raw);
  if (raw_.empty())
    for (const header_field& f : in.message->headers) raw_.push_back({f.name, f.value});
  std::unordered_map<std::string, std::size_t> seen;
  std::unordered_map<std::string, std::vector<const header_field*>> parsed;
  sieve_headers_.reserve(raw_.size());
  for (const raw_header& h : raw_) {
    std::string name = ascii_lower(h.name);
    std::size_t k = seen[name]++;  // the k-th header of this name
    bool plain =
        std::all_of(h.value.begin(), h.value.end(),
                    [](char c) { return c != '\0' && static_cast<unsigned char>(c) < 0x80; }) &&
        h.value.find("=?") == std::string::npos;
    std::string value = h.value;
    if (!plain && in.decode_header) {
      value = in.decode_header(h.value);
    } else if (!plain) {
      // The k-th header of this name in the parsed message is this one, decoded.
      if (parsed.empty())
        for (const header_field& f : in.message->headers) parsed[ascii_lower(f.name)].push_back(&f);
      auto it = parsed.find(name);
      value = it != parsed.end() && k < it->second.size() ? it->second[k]->value
                                                          : repair_utf8_runs(h.value);
    }
    if (!plain) {
      // As Dovecot: trailing spaces and tabs of the decoded value go (an encoded word may end
      // in one); leading ones and other white space (CR, LF, U+00A0) stay.
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    }
    sieve_headers_.push_back({h.name, std::move(value)});
  }
  // Views into sieve_headers_, taken once it no longer grows.
  std::string lower;
  for (const raw_header& h : sieve_headers_) {
    lower.assign(h.name);
    for (char& c : lower)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    auto it = p.header_ids.find(lower);
    if (it != p.header_ids.end()) headers_[it->second].push_back(h.value);
  }
}

std::vector<std::string_view> mail_view::headers(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const raw_header& h : sieve_headers_)
    if (iequals(h.name, name)) out.push_back(h.value);
  return out;
}

std::vector<sieve_address> mail_view::addresses_uncached(std::string_view name) {
  std::vector<sieve_address> out;
  for (const raw_header& h : raw_) {
    if (!iequals(h.name, name)) continue;
    for (sieve_address& a : sieve_address_list(h.value)) {
      if (a.k == sieve_address::kind::unparsed) a.all = repair_utf8_runs(a.all);
      out.push_back(std::move(a));
    }
  }
  // Values become variables and folder names: keep them UTF-8 (only 8-bit junk is touched).
  for (sieve_address& a : out) {
    if (a.k != sieve_address::kind::mailbox || is_valid_utf8(a.all)) continue;
    a.all = repair_utf8_runs(a.all);
    a.local = repair_utf8_runs(a.local);
    a.domain = repair_utf8_runs(a.domain);
  }
  return out;
}

const std::vector<sieve_address>& mail_view::addresses(int id, std::string_view name) {
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
  for (const sieve_address& a : addresses(id, p_.header_names[static_cast<std::size_t>(id)]))
    if (auto p = address_part(a, part)) out.push_back(fold ? ascii_lower(*p) : std::string(*p));
  return cache_.emplace_back(cached{key, std::move(out)}).values;
}

std::vector<std::string_view> mail_view::envelope(std::string_view part) const {
  if (iequals(part, "from")) return {in_.env.from};
  if (iequals(part, "to")) return {in_.env.to.begin(), in_.env.to.end()};
  return {};
}

namespace {

// RFC 5173 :content, as Pigeonhole's _is_wanted_content_type: "" wants every part, "type"
// every subtype, "type/subtype" that one; ASCII case-insensitive.
bool wanted(const std::vector<std::string>& types, std::string_view ct) {
  std::string_view main = ct.substr(0, ct.find('/'));
  for (const std::string& ty : types) {
    if (ty.empty()) return true;
    if (ty.find('/') == std::string::npos ? iequals(ty, main) : iequals(ty, ct)) return true;
  }
  return false;
}

}  // namespace

std::string_view raw_body(std::string_view raw) {
  // Where Dovecot's header ends: after the first empty line (CRLF or LF); none: no body.
  std::size_t pos = 0;
  while (pos < raw.size()) {
    std::size_t nl = raw.find('\n', pos);
    if (nl == std::string_view::npos) return {};
    std::size_t len = nl - pos;
    if (len == 0 || (len == 1 && raw[pos] == '\r')) return raw.substr(nl + 1);
    pos = nl + 1;
  }
  return {};
}

std::vector<std::string_view> mail_view::body(body_transform t,
                                              const std::vector<std::string>& types) const {
  if (t == body_transform::raw) {
    // Pigeonhole: an empty body is no value at all (nothing matches, not even "").
    std::string_view b = raw_body(in_.raw);
    if (b.empty()) return {};
    return {b};
  }
  std::vector<std::string_view> out;
  if (in_.body_parts) {
    if (!parts_) parts_ = in_.body_parts();
    static const std::vector<std::string> text_types = {"application/xhtml+xml", "text"};
    const std::vector<std::string>& want = t == body_transform::text ? text_types : types;
    for (const body_part& p : *parts_) {
      if (!wanted(want, p.content_type)) continue;
      out.push_back(t == body_transform::text && p.text ? std::string_view(*p.text)
                                                        : std::string_view(p.content));
    }
    return out;
  }
  // No parts given (callers without mailparse): the parsed message.
  const parsed_message& m = *in_.message;
  if (t == body_transform::text) return {m.text};
  if (wanted(types, "text/plain")) out.push_back(m.text);
  if (m.html && wanted(types, "text/html")) out.push_back(*m.html);
  for (const attachment& a : m.attachments)
    if (wanted(types, a.content_type)) out.push_back(a.data);
  return out;
}

}  // namespace hd::rules
