#include "robot.hpp"

#include "hd/mailparse/params.hpp"

#include <algorithm>
#include <string_view>

namespace hd::mailparse {
namespace {

std::string_view trim(std::string_view s) {
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

// The first word of header NAME, lower-case ("auto-replied" of "auto-replied; owner=x").
std::string token(const parsed_message& m, std::string_view name) {
  const header_field* h = m.header(name);
  if (h == nullptr) return {};
  std::string_view v = trim(h->value);
  v = v.substr(0, v.find_first_of(" \t;("));
  return ascii_lower(v);
}

bool has_token(std::string_view list, std::initializer_list<std::string_view> wanted) {
  std::string v = ascii_lower(list);
  for (std::size_t pos = 0; pos <= v.size();) {
    std::size_t comma = v.find(',', pos);
    if (comma == std::string::npos) comma = v.size();
    std::string_view t = trim(std::string_view(v).substr(pos, comma - pos));
    if (std::find(wanted.begin(), wanted.end(), t) != wanted.end()) return true;
    pos = comma + 1;
  }
  return false;
}

void decide(robot_facts& r, std::string reason) {
  if (r.reason.empty()) r.reason = std::move(reason);
}

// Header fields of a block ("Name: value", continuation lines joined), names lower-case.
std::vector<std::pair<std::string, std::string>> fields_of(std::string_view block) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t pos = 0; pos < block.size();) {
    std::size_t nl = block.find('\n', pos);
    std::string_view line = block.substr(pos, nl == std::string_view::npos ? block.npos : nl - pos);
    pos = nl == std::string_view::npos ? block.size() : nl + 1;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
      if (!out.empty()) out.back().second += " " + std::string(trim(line));
      continue;
    }
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    out.emplace_back(ascii_lower(trim(line.substr(0, colon))),
                     std::string(trim(line.substr(colon + 1))));
  }
  return out;
}

std::string without_cr(std::string_view s) {
  std::string out(s);
  out.erase(std::remove(out.begin(), out.end(), '\r'), out.end());
  return out;
}

// "rfc822; a@b" or "<a@b>" -> "a@b".
std::string address_of(std::string_view v) {
  std::size_t semi = v.find(';');
  if (semi != std::string_view::npos) v = v.substr(semi + 1);
  v = trim(v);
  if (v.size() >= 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
  return ascii_lower(trim(v));
}

// RFC 3464: the first block is per-message, each further one per recipient.
void read_delivery_status(std::string_view data, robot_facts& r) {
  std::string text = without_cr(data);
  bool first = true;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find("\n\n", pos);
    if (end == std::string::npos) end = text.size();
    std::string_view block = std::string_view(text).substr(pos, end - pos);
    pos = end + 2;
    if (trim(block).empty()) continue;
    dsn_recipient d;
    for (const auto& [name, value] : fields_of(block)) {
      if (name == "final-recipient" || (name == "original-recipient" && d.address.empty())) {
        d.address = address_of(value);
      } else if (name == "action") {
        d.action = ascii_lower(trim(value));
      } else if (name == "status") {
        d.status = std::string(trim(value).substr(0, 16));
      } else if (name == "diagnostic-code") {
        d.diagnostic = value.substr(0, 300);
      }
    }
    if (first && d.address.empty() && d.action.empty()) {
      first = false;
      continue;  // the per-message block (Reporting-MTA ...)
    }
    first = false;
    if (!d.address.empty() || !d.action.empty()) r.recipients.push_back(std::move(d));
  }
}

// The Message-ID of the returned headers or message.
std::optional<std::string> returned_message_id(std::string_view data) {
  std::string text = without_cr(data);
  std::size_t end = text.find("\n\n");
  for (const auto& [name, value] : fields_of(std::string_view(text).substr(0, end))) {
    if (name != "message-id") continue;
    std::string_view v = trim(value);
    std::size_t lt = v.find('<'), gt = v.find('>');
    if (lt != std::string_view::npos && gt != std::string_view::npos && gt > lt)
      v = v.substr(lt + 1, gt - lt - 1);
    if (!v.empty()) return std::string(v);
  }
  return std::nullopt;
}

void read_report(parsed_message& m, robot_facts& r) {
  if (const header_field* ct = m.header("Content-Type")) {
    header_params p = parse_params(ct->value);
    if (p.token == "multipart/report" &&
        ascii_lower(p.get("report-type").value_or("")) == "delivery-status")
      r.delivery_status = true;
  }
  for (const attachment& a : m.attachments) {
    if (a.content_type == "message/delivery-status" ||
        a.content_type == "message/global-delivery-status") {
      r.delivery_status = true;
      read_delivery_status(a.data, r);
    }
  }
  if (!r.delivery_status) return;
  for (const attachment& a : m.attachments) {
    if (a.content_type == "text/rfc822-headers" || a.content_type == "message/rfc822" ||
        a.content_type == "message/global" || a.content_type == "message/global-headers") {
      if ((r.original_message_id = returned_message_id(a.data))) break;
    }
  }
}

}  // namespace

void classify_robot(parsed_message& m) {
  robot_facts& r = m.robot;
  read_report(m, r);
  if (r.delivery_status) {
    r.auto_submitted = true;
    decide(r, "a delivery-status notification (RFC 3464)");
  }
  std::string as = token(m, "Auto-Submitted");
  if (!as.empty() && as != "no") {
    r.auto_submitted = true;
    if (as == "auto-replied" && !r.delivery_status) r.out_of_office = true;
    decide(r, "Auto-Submitted: " + as);
  }
  for (const char* h : {"X-Autoreply", "X-Autorespond"}) {
    std::string v = token(m, h);
    if (m.header(h) != nullptr && v != "no" && v != "false" && v != "0") {
      r.auto_submitted = true;
      r.out_of_office = !r.delivery_status;
      decide(r, std::string(h));
    }
  }
  // RFC 3834 3.3 / RFC 5321 4.5.5: automatic replies and bounces go out with a null
  // reverse-path, which the delivering server records as "Return-Path: <>".
  if (const header_field* h = m.header("Return-Path"); h != nullptr && trim(h->value) == "<>") {
    r.auto_submitted = true;
    decide(r, "Return-Path: <>");
  }
  std::string prec = token(m, "Precedence");
  if (prec == "auto_reply") {
    r.auto_submitted = true;
    r.out_of_office = !r.delivery_status;
    decide(r, "Precedence: auto_reply");
  } else if (prec == "bulk" || prec == "junk" || prec == "list") {
    r.bulk = true;
    decide(r, "Precedence: " + prec);
  }
  for (const char* h : {"List-Id", "List-Unsubscribe"}) {
    if (m.header(h) != nullptr) {
      r.bulk = true;
      decide(r, std::string(h));
    }
  }
  if (const header_field* h = m.header("X-Auto-Response-Suppress")) {
    if (has_token(h->value, {"all", "oof", "autoreply"})) {
      r.suppress_auto_reply = true;
      decide(r, "X-Auto-Response-Suppress: " + std::string(trim(h->value)));
    }
  }
  if (r.auto_submitted || r.delivery_status || r.bulk) r.suppress_auto_reply = true;
}

}  // namespace hd::mailparse
