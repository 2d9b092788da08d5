#include "hd/intake/redirect.hpp"

#include "hd/intake/ack.hpp"
#include "hd/intake/routing.hpp"
#include "hd/storage/outbox.hpp"
#include "hd/templates/compose.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace hd::daemon {
namespace {

// The header fields Pigeonhole drops from a redirected copy (the receiving MTA writes a new
// Return-Path; the X-Sieve fields are replaced by ours).
constexpr std::array<std::string_view, 3> dropped_fields{"Return-Path", "X-Sieve",
                                                         "X-Sieve-Redirected-From"};

bool dropped(std::string_view line) {
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view name = line.substr(0, colon);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  return std::any_of(dropped_fields.begin(), dropped_fields.end(),
                     [&](std::string_view f) { return iequals(name, f); });
}

std::string mailbox_address(const config& cfg, const std::string& mailbox) {
  const mailbox_config* mb = cfg.find_mailbox(mailbox);
  return mb != nullptr && !mb->address.empty() ? mb->address : cfg.outgoing.from_address;
}

bool names_us(std::string_view value, const std::vector<std::string>& ours) {
  std::string v = ascii_lower(value);
  return std::any_of(ours.begin(), ours.end(),
                     [&](const std::string& a) { return v.find(a) != std::string::npos; });
}

std::string unbracket(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '<')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '>')) s.remove_suffix(1);
  return std::string(s);
}

struct planned {
  std::vector<storage::outgoing_mail> mails;
  std::vector<std::pair<bool, std::string>> notes;  ///< (queued?, what happened)
};

storage::outgoing_mail copy_for(const redirect_input& in, const std::string& target) {
  std::string ours = mailbox_address(in.cfg, in.mailbox);
  storage::outgoing_mail out;
  out.kind = "redirect";
  // Our address as the envelope sender: an authenticated relay accepts it, and bounces come
  // back to us as DSNs. A mail that itself had an empty envelope sender (a bounce, a
  // notification) keeps it empty, so a redirected bounce can never bounce again.
  out.mail_from = in.null_sender ? std::string() : ours;
  out.recipients = {target};
  out.bytes = redirect_copy(in.raw, ours);
  out.message_id = in.m.message_id.value_or("");
  out.subject = in.m.subject.value_or("");
  out.text = fmt::format("(a copy of the customer's mail, redirected to {} by the rules)", target);
  return out;
}

// Decides every target inside the caller's transaction (each address once, however often the
// rules named it, in any case); REQUEST is 0 for a discarded mail. Fails closed: a rate-limit count
// that cannot be read suppresses the copy; a redirect that cannot be recorded is the caller's error
// (the transaction rolls back).
result<planned, storage::errc> plan(const redirect_input& in, std::int64_t request) {
  planned p;
  std::string sender = in.m.from ? ascii_lower(in.m.from->addr) : std::string();
  const ack_config& a = in.cfg.ack;
  std::vector<std::string> done;
  for (const std::string& raw_target : in.targets) {
    std::string target = ascii_lower(raw_target);
    if (std::find(done.begin(), done.end(), target) != done.end()) continue;
    done.push_back(target);
    if (auto why = redirect_block(in.cfg, in.m, in.env, target)) {
      p.notes.emplace_back(false, fmt::format("redirect to {} suppressed: {}", target, *why));
      continue;
    }
    auto recent = storage::count_redirects(in.db, sender, target, in.now - a.rate_limit_window_s);
    if (!recent) {
      p.notes.emplace_back(false, fmt::format("redirect to {} suppressed: the rate limit could not "
                                              "be checked: {}",
                                              target, recent.error().message));
      continue;
    }
    if (*recent >= a.rate_limit_count) {
      p.notes.emplace_back(false, fmt::format("redirect to {} suppressed: rate limit: {} copies "
                                              "of mail from {} in the last {} s",
                                              target, *recent, sender, a.rate_limit_window_s));
      continue;
    }
    if (auto rec = storage::record_redirect(in.db, sender, target, request, in.now); !rec)
      return rec.error();
    p.mails.push_back(copy_for(in, target));
    p.notes.emplace_back(true, fmt::format("a copy redirected to {}", target));
  }
  return p;
}

}  // namespace

redirect_input redirect_input_of(const intake_context& cx, const storage::mail_source& src,
                                 const parsed_message& m, std::string_view raw,
                                 std::vector<std::string> targets, std::int64_t now) {
  redirect_input in{
      cx.cfg, cx.db, m, raw, src.mailbox, envelope_of(m, cx.envelope), std::move(targets), now};
  in.null_sender = in.env.from.empty() && (cx.envelope || m.header("Return-Path") != nullptr);
  return in;
}

std::string redirect_copy(std::string_view raw, std::string_view our_address) {
  std::string out = fmt::format("X-Sieve: helpdeskd\r\nX-Sieve-Redirected-From: {}\r\n",
                                templates::is_safe_addr_spec(our_address) ? our_address : "");
  out.reserve(raw.size() + out.size() + raw.size() / 40);
  bool in_header = true, skipping = false, first = true;
  for (std::size_t pos = 0; pos < raw.size();) {
    std::size_t nl = raw.find('\n', pos);
    std::string_view line = raw.substr(pos, nl == std::string_view::npos ? raw.npos : nl - pos);
    pos = nl == std::string_view::npos ? raw.size() : nl + 1;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (in_header) {
      if (first && line.starts_with("From ")) {
        first = false;
        continue;  // an mbox separator, not a header field
      }
      first = false;
      if (line.empty()) {
        in_header = false;
      } else if (line[0] == ' ' || line[0] == '\t') {
        if (skipping) continue;  // continuation of a dropped field
      } else {
        skipping = dropped(line);
        if (skipping) continue;
      }
    }
    out.append(line);
    out += "\r\n";
  }
  return out;
}

std::optional<std::string> redirect_block(const config& cfg, const parsed_message& m,
                                          const rules::envelope& env, std::string_view target) {
  if (!templates::is_safe_addr_spec(target)) return "the address is not a plain addr-spec";
  std::vector<std::string> ours = our_addresses(cfg);
  std::string t = ascii_lower(target);
  if (std::find(ours.begin(), ours.end(), t) != ours.end()) {
    return "it is one of our own addresses";
  }
  if ((m.from && ascii_lower(m.from->addr) == t) || ascii_lower(unbracket(env.from)) == t) {
    return "it is the mail's own sender";
  }
  for (const header_field& h : m.headers) {
    if ((iequals(h.name, "X-Sieve-Redirected-From") || iequals(h.name, "X-Loop")) &&
        names_us(h.value, ours)) {
      return fmt::format("the mail has been through us before ({})", h.name);
    }
  }
  return std::nullopt;
}

storage::outgoing_result redirect_mails(const redirect_input& in,
                                        const storage::ingest_outcome& o) {
  using mails = std::vector<storage::outgoing_mail>;
  if (o.kind == storage::ingest_kind::duplicate || in.targets.empty()) return mails{};
  auto p = plan(in, o.request_id);
  if (!p) return p.error();
  for (const auto& [queued, note] : p->notes) {
    auto ev = storage::add_request_event(in.db, o.request_id, in.now,
                                         queued ? "redirect_queued" : "redirect_suppressed", note);
    if (!ev) return ev.error();
  }
  return std::move(p->mails);
}

storage::outgoing_result redirect_discarded(const redirect_input& in, std::string& reason) {
  auto p = plan(in, 0);
  if (!p) return p.error();
  for (const auto& note : p->notes) reason += "; " + note.second;
  return std::move(p->mails);
}

}  // namespace hd::daemon
