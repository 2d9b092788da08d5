#include "hd/intake/agent_mail.hpp"
#include "hd/storage/requests.hpp"

#include "hd/intake/ack.hpp"
#include "hd/intake/message_id.hpp"
#include "hd/templates/compose.hpp"

#include <fmt/format.h>

#include <set>

namespace hd::daemon {
namespace {

struct templated {
  templates::rendered mail;
  std::string language;
};

// Renders reply template NAME for FACTS in the customer's language (as for acknowledgements:
// the person's, else detected from their last mail, else the mailbox's; then the best the
// template has).
result<templated, agent_mail_errc> render_reply(const config& cfg,
                                                const storage::reply_facts& facts,
                                                const std::string& login, const std::string& name,
                                                const std::string& text) {
  reply_kit kit = load_reply_kit(cfg.outgoing.templates_dir);
  std::string fallback = mailbox_language(cfg, facts.mailbox);
  parsed_message last;
  last.subject = facts.last_subject;
  last.text = facts.last_text;
  language_choice choice =
      choose_language(facts.person_language, "", last, kit.detector.get(), fallback);
  std::optional<std::string> lang = kit.templates.pick_language(name, choice.language, fallback);
  if (!lang) {
    return fail(agent_mail_errc::no_template,
                fmt::format("there is no template '{}' in {} (see helpdeskd templates check)", name,
                            cfg.outgoing.templates_dir));
  }
  templates::reply_vars v = reply_vars_of(cfg, facts, *lang);
  const user_config* me = cfg.find_user(login);
  v.agent_name = me && !me->name.empty() ? me->name : login;
  v.agent_text = text;
  return templated{templates::render(*kit.templates.find(name, *lang), v), *lang};
}

}  // namespace

result<agent_mail, agent_mail_errc> compose_agent_mail(const config& cfg,
                                                       const storage::reply_facts& facts,
                                                       const std::string& login, std::int64_t now,
                                                       const agent_mail_request& r) {
  std::size_t files = 0;
  for (const templates::attachment_part& a : r.attachments) files += a.bytes.size();
  if (files > static_cast<std::size_t>(cfg.outgoing.max_attachments_bytes))
    return fail(agent_mail_errc::too_large,
                fmt::format("the attachments are {} bytes, over [outgoing] max_attachments_bytes "
                            "({}); nothing was sent",
                            files, cfg.outgoing.max_attachments_bytes));
  bool with_template = !r.forward && !r.template_name.empty();
  if (!with_template && r.text.find_first_not_of(" \t\r\n") == std::string::npos)
    return fail(agent_mail_errc::empty, "the message is empty; nothing was sent");
  std::string body = r.text;
  std::optional<templated> t;
  if (with_template) {
    auto rendered = render_reply(cfg, facts, login, r.template_name, r.text);
    if (!rendered) return rendered.error();
    t = std::move(*rendered);
    body = t->mail.text;
  }
  const outgoing_config& out = cfg.outgoing;
  const user_config* me = cfg.find_user(login);
  // A template signs the mail itself ({{agent.name}}, {{team}}).
  if (me && !me->signature.empty() && !t) body += "\n-- \n" + me->signature + "\n";
  if (r.forward) {
    body += fmt::format(
        "\n---------- Forwarded request #{} ----------\nFrom: {} <{}>\nSubject: {}\n\n{}\n",
        facts.request_id, facts.person_name, facts.person_address, facts.last_subject,
        facts.last_text);
  }
  templates::mail_parts p;
  p.from = {
      me && !me->name.empty() ? fmt::format("{} ({})", me->name, out.from_name) : out.from_name,
      out.from_address};
  p.to = {r.forward ? "" : facts.person_name, r.forward ? r.to : facts.person_address};
  p.cc = r.cc;
  // Plain and templated replies use the same subject form: the template's subject, else the
  // customer's last one, tagged.
  std::string subject = t                            ? t->mail.subject
                        : facts.last_subject.empty() ? facts.title
                                                     : facts.last_subject;
  p.subject = templates::tag_subject(r.forward ? "Fwd: " + subject : subject,
                                     cfg.threading.tag_prefix, facts.request_id);
  p.text = body;
  p.message_id = templates::make_message_id(
      fmt::format("{}.{}.{}", facts.request_id, now, random_token()), out.message_id_domain);
  if (!r.forward && facts.last_message_id) {
    p.in_reply_to = facts.last_message_id;
    p.references = {*facts.last_message_id};
  }
  p.date = now;
  p.auto_submitted = "";  // a person wrote this (RFC 3834)
  if (t) p.language = t->language;
  p.attachments = r.attachments;
  auto mail = templates::compose(p);
  if (!mail) {
    return fail(agent_mail_errc::cannot_compose,
                fmt::format("cannot compose the mail: {}", mail.error().message));
  }
  std::vector<std::string> rcpt{p.to.addr};
  rcpt.insert(rcpt.end(), r.cc.begin(), r.cc.end());
  agent_mail a;
  a.mail = storage::outgoing_mail{r.forward ? "forward" : "reply",
                                  out.from_address,
                                  std::move(rcpt),
                                  mail->bytes,
                                  mail->message_id,
                                  p.subject,
                                  body};
  a.to = p.to.addr;
  if (t) {
    a.template_name = r.template_name;
    a.language = t->language;
  }
  return a;
}

result<std::vector<templates::attachment_part>, storage::errc> request_files(storage::store& db,
                                                                             std::int64_t id) {
  auto stored = storage::request_attachments(db, id);
  if (!stored) return stored.error();
  std::vector<templates::attachment_part> out;
  std::set<std::string> seen;
  for (storage::attachment_data& a : *stored) {
    if (seen.insert(a.info.sha256).second)
      out.push_back({a.info.filename, a.info.content_type, std::move(a.bytes)});
  }
  return out;
}

}  // namespace hd::daemon
