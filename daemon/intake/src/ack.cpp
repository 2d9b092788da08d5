#include "hd/intake/ack.hpp"

#include "hd/common/spelling.hpp"
#include "hd/intake/message_id.hpp"
#include "hd/templates/compose.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace hd::daemon {
namespace {

namespace fs = std::filesystem;

constexpr std::uintmax_t max_template_bytes = 256 * 1024;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

// The lower-cased value of header NAME up to its first ';' (parameters and comments off).
std::string header_token(const parsed_message& m, std::string_view name) {
  const header_field* h = m.header(name);
  if (h == nullptr) return {};
  std::string_view v = h->value;
  v = v.substr(0, v.find(';'));
  v = v.substr(0, v.find('('));
  return ascii_lower(trim(v));
}

std::string local_part(std::string_view addr) {
  return ascii_lower(addr.substr(0, addr.rfind('@')));
}

std::string domain_of(std::string_view addr) {
  std::size_t at = addr.rfind('@');
  return at == std::string_view::npos ? std::string() : ascii_lower(addr.substr(at + 1));
}

bool is_robot_sender(std::string_view addr) {
  std::string local = local_part(addr);
  static constexpr std::array<std::string_view, 12> exact{
      "mailer-daemon", "postmaster",   "noreply",  "no-reply",  "no_reply", "donotreply",
      "do-not-reply",  "do_not_reply", "listserv", "majordomo", "bounce",   "bounces"};
  if (std::find(exact.begin(), exact.end(), local) != exact.end()) return true;
  for (std::string_view p : {"noreply", "no-reply", "no_reply", "donotreply", "do-not-reply",
                             "bounce-", "bounces-", "owner-", "mailer-daemon"}) {
    if (local.starts_with(p)) return true;
  }
  for (std::string_view s : {"-bounces", "-request", "-owner"}) {
    if (local.ends_with(s)) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> our_addresses(const config& cfg) {
  std::vector<std::string> out{ascii_lower(cfg.outgoing.from_address)};
  for (const mailbox_config& mb : cfg.mailboxes) {
    if (!mb.address.empty()) out.push_back(ascii_lower(mb.address));
  }
  return out;
}

namespace {

bool contains_any_token(std::string_view value, std::initializer_list<std::string_view> tokens) {
  std::string v = ascii_lower(value);
  for (std::size_t pos = 0; pos <= v.size();) {
    std::size_t comma = v.find(',', pos);
    if (comma == std::string::npos) comma = v.size();
    std::string_view tok = trim(std::string_view(v).substr(pos, comma - pos));
    for (std::string_view t : tokens) {
      if (tok == t) return true;
    }
    pos = comma + 1;
  }
  return false;
}

std::optional<std::string> header_block(const parsed_message& m) {
  if (std::string as = header_token(m, "Auto-Submitted"); !as.empty() && as != "no") {
    return fmt::format("the mail is automatic (Auto-Submitted: {})", as);
  }
  if (std::string p = header_token(m, "Precedence"); p == "bulk" || p == "list" || p == "junk") {
    return fmt::format("the mail is bulk or list mail (Precedence: {})", p);
  }
  for (const char* h : {"List-Id", "List-Unsubscribe"}) {
    if (m.header(h) != nullptr) return fmt::format("the mail came from a mailing list ({})", h);
  }
  if (const header_field* h = m.header("X-Auto-Response-Suppress")) {
    if (contains_any_token(h->value, {"all", "autoreply", "oof"})) {
      return "the sender asked for no automatic replies (X-Auto-Response-Suppress)";
    }
  }
  for (const char* h : {"X-Autoreply", "X-Autorespond"}) {
    if (m.header(h) != nullptr) return fmt::format("the mail is an automatic reply ({})", h);
  }
  if (const header_field* h = m.header("Return-Path"); h && trim(h->value) == "<>") {
    return "the mail has an empty Return-Path (a bounce or other automatic mail)";
  }
  return std::nullopt;
}

std::optional<std::string> loop_block(const parsed_message& m, const config& cfg) {
  std::vector<std::string> ours = our_addresses(cfg);
  for (const header_field& h : m.headers) {
    if (!iequals(h.name, "X-Loop")) continue;
    std::string v = ascii_lower(h.value);
    for (const std::string& a : ours) {
      if (v.find(a) != std::string::npos) return "the mail has been through us before (X-Loop)";
    }
  }
  std::string from = ascii_lower(m.from->addr);
  if (std::find(ours.begin(), ours.end(), from) != ours.end()) {
    return "the sender is one of our own addresses";
  }
  std::string ours_domain = ascii_lower(cfg.outgoing.message_id_domain);
  if (m.message_id && !ours_domain.empty() && domain_of(*m.message_id) == ours_domain) {
    return "the mail carries our own Message-ID domain (our mail came back)";
  }
  return std::nullopt;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string mailbox_address(const config& cfg, const std::string& mailbox) {
  const mailbox_config* mb = cfg.find_mailbox(mailbox);
  return mb != nullptr && !mb->address.empty() ? mb->address : cfg.outgoing.from_address;
}

templates::reply_vars vars_of(const config& cfg, const storage::reply_facts& f,
                              const std::string& language) {
  templates::reply_vars v;
  v.request_id = f.request_id;
  v.request_tag = fmt::format("[{}{}]", cfg.threading.tag_prefix, f.request_id);
  v.request_title = f.title;
  v.category = f.category;
  v.priority = f.priority;
  v.owner = f.owner;
  v.person_name = f.person_name;
  v.person_first_name = templates::first_name(f.person_name);
  v.person_email = f.person_address;
  v.company = f.company;
  v.mailbox = mailbox_address(cfg, f.mailbox);
  v.team = cfg.outgoing.from_name;
  v.original_subject = f.last_subject.empty() ? f.title : f.last_subject;
  v.quote = templates::make_quote(f.last_text);
  v.language = language;
  return v;
}

}  // namespace

std::string mailbox_language(const config& cfg, const std::string& mailbox) {
  const mailbox_config* mb = cfg.find_mailbox(mailbox);
  return mb != nullptr && !mb->language.empty() ? mb->language : cfg.outgoing.default_language;
}

templates::reply_vars reply_vars_of(const config& cfg, const storage::reply_facts& facts,
                                    const std::string& language) {
  return vars_of(cfg, facts, language);
}

reply_kit load_reply_kit(const std::string& templates_dir, const std::string& fingerprint_dir) {
  reply_kit kit;
  std::error_code ec;
  if (!fs::is_directory(templates_dir, ec)) {
    kit.problems.push_back(fmt::format("{}: not a directory", templates_dir));
    return kit;
  }
  for (const fs::directory_entry& dir : fs::directory_iterator(templates_dir, ec)) {
    if (!dir.is_directory(ec)) continue;
    for (const fs::directory_entry& f : fs::directory_iterator(dir.path(), ec)) {
      if (f.path().extension() != ".mustache") continue;
      if (f.file_size(ec) > max_template_bytes) {
        kit.problems.push_back(fmt::format("{}: larger than 256 KiB", f.path().string()));
        continue;
      }
      std::string contents = slurp(f.path());
      auto t = templates::parse_template_file(contents, f.path().string());
      // A misspelt variable renders as nothing: listed, but the template is still used.
      for (std::string& w : templates::template_warnings(contents, f.path().string())) {
        kit.problems.push_back(std::move(w));
      }
      if (!t) {
        kit.problems.push_back(t.error().message);
        continue;
      }
      kit.templates.add(dir.path().filename().string(), f.path().stem().string(), std::move(*t));
    }
  }
  std::vector<std::string> langs;
  for (const std::string& name : kit.templates.names()) {
    for (const std::string& l : kit.templates.languages(name)) {
      if (std::find(langs.begin(), langs.end(), l) == langs.end()) langs.push_back(l);
    }
  }
  kit.detector = language_detector::open(langs, fingerprint_dir);
  kit.detector_languages = std::move(langs);
  kit.fingerprint_dir = fingerprint_dir;
  return kit;
}

std::vector<std::string> template_reference_problems(const config& cfg, const reply_kit& kit) {
  std::vector<std::string> out;
  if (!cfg.ack.enabled) return out;
  std::vector<std::string> names = kit.templates.names();
  const std::string& want = cfg.ack.template_name;
  if (std::find(names.begin(), names.end(), want) != names.end()) return out;
  std::string have;
  for (const std::string& n : names) have += (have.empty() ? "" : ", ") + n;
  out.push_back(
      fmt::format("{}: [ack] template = \"{}\": no such template in {}{} (there are: {}); no "
                  "acknowledgement would be sent",
                  cfg.source, want, cfg.outgoing.templates_dir, did_you_mean(want, names),
                  have.empty() ? "none" : have));
  return out;
}

std::shared_ptr<const reply_kit> reply_kit_for(const config& cfg) {
  if (!cfg.ack.enabled) return std::make_shared<const reply_kit>();
  return std::make_shared<const reply_kit>(load_reply_kit(cfg.outgoing.templates_dir));
}

std::string raw_header(std::string_view raw, std::string_view name) {
  std::string value;
  bool in = false;
  for (std::size_t pos = 0; pos < raw.size();) {
    std::size_t nl = raw.find('\n', pos);
    std::string_view line = raw.substr(pos, nl == std::string_view::npos ? raw.npos : nl - pos);
    pos = nl == std::string_view::npos ? raw.size() : nl + 1;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty()) break;  // end of the header
    if (line[0] == ' ' || line[0] == '\t') {
      if (in) value += " " + std::string(trim(line));
      continue;
    }
    if (in) break;
    std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), name)) {
      in = true;
      value = std::string(trim(line.substr(colon + 1)));
    }
  }
  return value;
}

std::optional<std::string> auto_reply_block(const parsed_message& m, std::string_view raw,
                                            const config& cfg) {
  if (!m.from) return "the mail has no sender";
  if (auto why = header_block(m)) return why;
  // The parser's own reading of automatic mail (RFC 3834, RFC 3464, vendor headers) as well:
  // either one is enough to stay quiet.
  if (m.robot.any()) {
    return fmt::format("the mail is automatic ({})",
                       m.robot.reason.empty() ? std::string("robot") : m.robot.reason);
  }
  std::string ct = ascii_lower(raw_header(raw, "Content-Type"));
  if (ct.starts_with("multipart/report") || !hard_bounces(m).empty()) {
    return "the mail is a delivery or read report (multipart/report)";
  }
  if (is_robot_sender(m.from->addr)) {
    return fmt::format("the sender {} is a robot address", ascii_lower(m.from->addr));
  }
  return loop_block(m, cfg);
}

std::vector<bounce> hard_bounces(const parsed_message& m) {
  // The parser read the DSN's per-recipient blocks (robot_facts::recipients, robot.cpp).
  std::vector<bounce> out;
  for (const dsn_recipient& r : m.robot.recipients) {
    if (r.action != "failed" || !r.status.starts_with('5')) continue;
    if (!templates::is_safe_addr_spec(r.address)) continue;
    out.push_back({r.address, r.status, r.diagnostic});
  }
  return out;
}

std::string language_sample(const parsed_message& m) {
  return m.subject.value_or("") + "\n" + templates::make_quote(m.text, 40, 4000);
}

language_choice choose_language(const std::optional<std::string>& person_language,
                                std::string_view content_language, const parsed_message& m,
                                const language_detector* detector,
                                const std::string& mailbox_default, const language_guess& ahead) {
  if (person_language && !person_language->empty()) return {*person_language, "person", false};
  std::string tag =
      templates::normalize_language(content_language.substr(0, content_language.find(',')));
  if (!tag.empty()) return {tag, "content-language", true};
  if (ahead.done) {
    if (ahead.language) return {*ahead.language, "detected", true};
  } else if (detector != nullptr) {
    if (auto l = detector->detect(language_sample(m))) return {*l, "detected", true};
  }
  return {mailbox_default, "default", false};
}

result<storage::outgoing_mail, reply_errc> build_reply(
    const config& cfg, const reply_kit& kit, const storage::reply_facts& facts,
    const std::string& name, const std::string& language, const parsed_message* inbound,
    std::int64_t now, const std::string& unique) {
  auto lang = kit.templates.pick_language(name, language, mailbox_language(cfg, facts.mailbox));
  if (!lang) return fail(reply_errc::no_template, fmt::format("no template named '{}'", name));
  templates::rendered r =
      templates::render(*kit.templates.find(name, *lang), vars_of(cfg, facts, *lang));
  templates::mail_parts p;
  p.from = {cfg.outgoing.from_name, mailbox_address(cfg, facts.mailbox)};
  p.to = {facts.person_name, facts.person_address};
  p.subject = templates::tag_subject(r.subject, cfg.threading.tag_prefix, facts.request_id);
  p.text = r.text;
  p.html = r.html;
  p.message_id = templates::make_message_id(unique, cfg.outgoing.message_id_domain);
  if (inbound != nullptr) {
    p.in_reply_to = inbound->message_id;
    p.references = inbound->references;
  } else {
    p.in_reply_to = facts.last_message_id;
  }
  p.date = now;
  p.x_loop = p.from.addr;
  p.language = *lang;
  auto mail = templates::compose(p);
  if (!mail) return fail(reply_errc::bad_address, mail.error().message);
  storage::outgoing_mail out;
  out.kind = name == cfg.ack.template_name ? "ack" : name;
  out.mail_from = p.from.addr;
  out.recipients = {p.to.addr};
  out.bytes = std::move(mail->bytes);
  out.message_id = mail->message_id;
  out.subject = p.subject;
  out.text = r.text;
  return out;
}

}  // namespace hd::daemon

namespace hd::daemon {
namespace {

using hook_state = ack_input;

result<void, storage::errc> record_bounces(const hook_state& h, const storage::ingest_outcome& o) {
  for (const bounce& b : hard_bounces(h.m)) {
    std::int64_t until = h.now + std::int64_t{h.cfg.ack.bounce_suppress_days} * 86400;
    std::string why = fmt::format("hard bounce {} {}", b.status, b.diagnostic);
    if (auto s = storage::suppress_address(h.db, b.address, why, until, h.now); !s) return s;
    auto ev = storage::add_request_event(
        h.db, o.request_id, h.now, "bounce",
        fmt::format("{} bounced ({}); no automatic mail to it for {} days", b.address, b.status,
                    h.cfg.ack.bounce_suppress_days));
    if (!ev) return ev;
  }
  return {};
}

// Why this acknowledgement must not go out, or nullopt.
std::optional<std::string> block_reason(const hook_state& h, const storage::ingest_outcome& o,
                                        const std::string& to) {
  if (!h.rules.allowed) return h.rules.reason.empty() ? "a rule said noack" : h.rules.reason;
  if (auto why = auto_reply_block(h.m, h.raw, h.cfg)) return why;
  // Fail closed: what cannot be checked blocks the acknowledgement.
  auto sup = storage::suppression_of(h.db, to, h.now);
  if (!sup) return fmt::format("the suppression list could not be read: {}", sup.error().message);
  if (*sup) return fmt::format("{} is suppressed: {}", to, **sup);
  const ack_config& a = h.cfg.ack;
  auto recent = storage::count_auto_replies(h.db, to, h.now - a.rate_limit_window_s);
  if (!recent) {
    return fmt::format("the rate limit could not be checked: {}", recent.error().message);
  }
  if (*recent >= a.rate_limit_count) {
    return fmt::format("rate limit: {} automatic mails to {} in the last {} s", *recent, to,
                       a.rate_limit_window_s);
  }
  if (o.kind == storage::ingest_kind::appended) {
    auto today = storage::count_auto_replies(h.db, to, h.now - 86400, o.request_id);
    if (!today) {
      return fmt::format("earlier acknowledgements could not be counted: {}",
                         today.error().message);
    }
    if (*today > 0) return "this request was already acknowledged today";
  }
  return std::nullopt;
}

}  // namespace

result<ack_result, storage::errc> acknowledge(const ack_input& h,
                                              const storage::ingest_outcome& o) {
  if (o.kind == storage::ingest_kind::duplicate) return ack_result{};
  if (auto b = record_bounces(h, o); !b) return b.error();
  if (!h.cfg.ack.enabled) return ack_result{};
  if (o.kind == storage::ingest_kind::appended && !h.cfg.ack.on_followup) return ack_result{};
  std::string to = ascii_lower(h.m.from->addr);
  auto suppressed = [&](const std::string& why,
                        bool problem = false) -> result<ack_result, storage::errc> {
    auto ev = storage::add_request_event(h.db, o.request_id, h.now, "ack_suppressed", why);
    if (!ev) return ev.error();
    ack_result r;
    r.note = {why, problem};
    return r;
  };
  if (auto why = block_reason(h, o, to)) return suppressed(*why);
  auto facts = storage::ack_facts_of(h.db, o, h.m);
  if (!facts) return suppressed(facts.error().message, true);
  if (facts->person_name.empty()) facts->person_name = h.m.from->name;
  language_choice lang =
      choose_language(facts->person_language, raw_header(h.raw, "Content-Language"), h.m,
                      h.kit.detector.get(), mailbox_language(h.cfg, h.mailbox), h.ahead);
  if (lang.remember) {
    auto set = storage::set_person_language(h.db, facts->person_id, lang.language);
    if (!set) return set.error();
  }
  std::string name =
      h.rules.template_name.empty() ? h.cfg.ack.template_name : h.rules.template_name;
  std::string unique = fmt::format("hd.{}.{}.{}", o.request_id, h.now, random_token());
  auto mail = build_reply(h.cfg, h.kit, *facts, name, lang.language, &h.m, h.now, unique);
  if (!mail) return suppressed(mail.error().message, true);
  if (auto rec = storage::record_auto_reply(h.db, to, o.request_id, h.now); !rec) {
    return rec.error();
  }
  auto ev = storage::add_request_event(
      h.db, o.request_id, h.now, "ack_queued",
      fmt::format("acknowledgement to {} in '{}' ({})", to, lang.language, lang.source));
  if (!ev) return ev.error();
  ack_result r;
  r.mails.push_back(std::move(*mail));
  return r;
}

}  // namespace hd::daemon
