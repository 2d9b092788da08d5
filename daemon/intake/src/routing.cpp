#include "hd/intake/routing.hpp"

#include "hd/intake/pipeline.hpp"
#include "hd/mailparse/rfc2047.hpp"
#include "hd/mailparse/sieve_parts.hpp"
#include "hd/storage/directory.hpp"
#include "hd/storage/threading.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace hd::daemon {
namespace {

std::string strip_angles(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '<')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '>')) s.remove_suffix(1);
  return std::string(s);
}

const std::string& first_default_priority(const config& cfg, const std::string& fallback) {
  for (const priority_config& p : cfg.priorities)
    if (p.is_default) return p.name;
  return fallback;
}

}  // namespace

rules::known_names known_names_of(const config& cfg) {
  rules::known_names k;
  k.categories.emplace();
  for (const category_config& c : cfg.categories) k.categories->push_back(c.name);
  k.users.emplace();
  for (const user_config& u : cfg.users) k.users->push_back(u.login);
  k.priorities.emplace();
  for (const priority_config& p : cfg.priorities) k.priorities->push_back(p.name);
  std::error_code ec;
  std::filesystem::directory_iterator it(cfg.outgoing.templates_dir, ec);
  if (ec) return k;
  k.templates.emplace();
  for (const auto& entry : it) {
    std::string name = entry.path().filename().string();
    if (!entry.is_directory(ec)) name = name.substr(0, name.find('.'));
    if (!name.empty() && name[0] != '.') k.templates->push_back(name);
  }
  return k;
}

result<std::shared_ptr<const rules::script>, rules::errc> load_rules(const config& cfg) {
  if (cfg.rules.file.empty()) return std::shared_ptr<const rules::script>();
  std::ifstream f(cfg.rules.file, std::ios::binary);
  std::ostringstream text;
  if (!f || !(text << f.rdbuf()))
    return fail(rules::errc::cannot_read,
                fmt::format("{}: cannot read the rules file ([rules] file in {})", cfg.rules.file,
                            cfg.source));
  rules::limits lim;
  lim.max_script_bytes = static_cast<std::size_t>(cfg.rules.max_script_bytes);
  lim.max_nesting = cfg.rules.max_nesting;
  lim.max_variable_bytes = static_cast<std::size_t>(cfg.rules.max_variable_bytes);
  auto s = rules::compile(text.str(), cfg.rules.file, lim, known_names_of(cfg));
  if (!s) return s.error();
  return std::make_shared<const rules::script>(std::move(*s));
}

rules::envelope envelope_of(const parsed_message& m, const std::optional<rules::envelope>& over) {
  if (over) return *over;
  rules::envelope env;
  if (const header_field* rp = m.header("Return-Path")) env.from = strip_angles(rp->value);
  for (const header_field& h : m.headers)
    if (iequals(h.name, "Delivered-To")) env.to.push_back(strip_angles(h.value));
  if (env.to.empty()) {
    for (const address& a : m.to) env.to.push_back(a.addr);
    for (const address& a : m.cc) env.to.push_back(a.addr);
  }
  return env;
}

result<routed, storage::errc> route_mail(const intake_context& cx, const storage::mail_source& src,
                                         const parsed_message& m, std::string_view raw,
                                         const storage::thread_found& thread) {
  const config& cfg = cx.cfg;
  std::shared_ptr<const rules::script> script = cx.rules;
  if (!script && !cfg.rules.file.empty()) {
    auto loaded = load_rules(cfg);
    if (!loaded) return fail(storage::errc::invalid, "rules: " + loaded.error().message);
    script = *loaded;
  }
  routed r;
  r.followup = thread.request_id.has_value();
  if (script) {
    rules::input in;
    in.message = &m;
    in.raw = raw;
    in.env = envelope_of(m, cx.envelope);
    in.followup = r.followup;
    in.trace = false;
    in.decode_header = mailparse::decode_strict;
    in.body_parts = [&cfg, raw] {
      return mailparse::sieve_body_parts(raw, mailparse_limits(cfg.limits));
    };
    r.outcome = rules::evaluate(*script, in);
    const rules::decision& d = r.outcome.result;
    r.create_request = d.create_request;
    r.reason = d.reason;
    r.ack = d.ack;
    r.template_name = d.template_name;
    r.route = {d.category, d.priority, d.owner, d.tags};
    for (const rules::action& a : r.outcome.actions)
      if (a.type == "redirect") r.redirects.push_back(a.argument);
  }
  const mailbox_config* mb = cfg.find_mailbox(src.mailbox);
  if (r.route.category.empty() && mb) r.route.category = mb->category;
  if (r.route.priority.empty() && mb) r.route.priority = mb->priority;
  if (r.route.priority.empty()) r.route.priority = first_default_priority(cfg, r.route.priority);
  // Automatic mail that refers to no request is closed on arrival (storage::is_automatic):
  // it does not take a turn in the category's round robin.
  if (r.route.owner.empty() && !r.followup && r.create_request && !r.route.category.empty() &&
      !storage::is_automatic(m.robot)) {
    auto owner = storage::pick_owner(cx.db, r.route.category);
    if (!owner) return owner.error();
    r.route.owner = *owner;
  }
  return r;
}

}  // namespace hd::daemon
