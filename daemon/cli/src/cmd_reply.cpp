// helpdeskd requests reply | forward: an agent's mail about a request. The mail is composed
// here (templates::compose: no header injection, threading headers, the request tag) and
// queued in the outbox in one transaction with the request's message list; the daemon or
// `helpdeskd outbox drain` sends it. `reply --template NAME` renders a reply template in the
// customer's language, with the agent's text as {{text}}.
#include "hd/intake/ack.hpp"
#include "hd/intake/message_id.hpp"
#include "hd/storage/outbox.hpp"
#include "hd/templates/compose.hpp"
#include "workflow_cli.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>

namespace hd::daemon {
namespace {

struct mail_options {
  std::string text, file;
  std::string to;             ///< forward only
  std::string template_name;  ///< reply only: render this reply template
};

// A reply template rendered for the request, and the language it was rendered in.
struct templated {
  templates::rendered mail;
  std::string language;
};

// Opens $EDITOR (else vi) on a temporary file, as git does, and returns what was written.
std::optional<std::string> from_editor(cli_state& st, const std::string& start) {
  std::string editor = st.io.env ? st.io.env("EDITOR").value_or("vi") : "vi";
  char path[] = "/tmp/helpdeskd-reply-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) return std::nullopt;
  if (!start.empty() && write(fd, start.data(), start.size()) < 0) {
    close(fd);
    return std::nullopt;
  }
  close(fd);
  // The path is mkstemp's (no shell metacharacters); the editor is the user's own setting.
  int rc = std::system((editor + " " + path).c_str());
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(path);
  if (rc != 0) return std::nullopt;
  return text;
}

std::string unique_part(std::int64_t request, std::int64_t now) {
  return fmt::format("{}.{}.{}", request, now, random_token());
}

const user_config* user_of(const config& cfg, const std::string& login) {
  for (const user_config& u : cfg.users) {
    if (u.login == login) return &u;
  }
  return nullptr;
}

// Renders reply template NAME for FACTS. The language is chosen as for acknowledgements: the
// person's, else detected from their last mail, else the mailbox's; then the best the
// template has. nullopt after reporting why not.
std::optional<templated> render_reply(cli_state& st, const session& s,
                                      const storage::reply_facts& facts, const std::string& name,
                                      const std::string& text) {
  reply_kit kit = load_reply_kit(s.cfg.outgoing.templates_dir);
  std::string fallback = mailbox_language(s.cfg, facts.mailbox);
  parsed_message last;
  last.subject = facts.last_subject;
  last.text = facts.last_text;
  language_choice choice =
      choose_language(facts.person_language, "", last, kit.detector.get(), fallback);
  std::optional<std::string> lang = kit.templates.pick_language(name, choice.language, fallback);
  if (!lang) {
    st.fail(exit_code::usage,
            fmt::format("there is no template '{}' in {} (see helpdeskd templates check)", name,
                        s.cfg.outgoing.templates_dir));
    return std::nullopt;
  }
  templates::reply_vars v = reply_vars_of(s.cfg, facts, *lang);
  const user_config* me = user_of(s.cfg, s.by.login);
  v.agent_name = me && !me->name.empty() ? me->name : s.by.login;
  v.agent_text = text;
  return templated{templates::render(*kit.templates.find(name, *lang), v), *lang};
}

// The headers and body of an agent's mail about FACTS (to the person, or to TO when
// forwarding): tagged subject, threading headers, the language of a template.
templates::mail_parts parts_of(const session& s, const storage::reply_facts& facts,
                               const std::string& to, bool forward,
                               const std::optional<templated>& t, const std::string& body) {
  const outgoing_config& out = s.cfg.outgoing;
  const user_config* me = user_of(s.cfg, s.by.login);
  templates::mail_parts p;
  p.from = {
      me && !me->name.empty() ? fmt::format("{} ({})", me->name, out.from_name) : out.from_name,
      out.from_address};
  p.to = {forward ? "" : facts.person_name, forward ? to : facts.person_address};
  std::string subject = t                            ? t->mail.subject
                        : facts.last_subject.empty() ? facts.title
                                                     : facts.last_subject;
  p.subject = templates::tag_subject(forward ? "Fwd: " + subject : subject,
                                     s.cfg.threading.tag_prefix, facts.request_id);
  p.text = body;
  p.message_id =
      templates::make_message_id(unique_part(facts.request_id, s.by.now), out.message_id_domain);
  if (!forward && facts.last_message_id) {
    p.in_reply_to = facts.last_message_id;
    p.references = {*facts.last_message_id};
  }
  p.date = s.by.now;
  p.auto_submitted = "";  // a person wrote this (RFC 3834)
  if (t) p.language = t->language;
  return p;
}

// Composes and queues the mail; reports the outcome.
void send(cli_state& st, session& s, const verb_options& o, const mail_options& m, bool forward) {
  std::string body = read_text(st, m.text, m.file);
  bool with_template = !m.template_name.empty();
  if (!with_template && body.empty() && m.text.empty() && m.file.empty()) {
    std::optional<std::string> edited = from_editor(st, "");
    if (!edited) return st.fail(exit_code::failure, "the editor failed; nothing was sent");
    body = *edited;
  }
  if (!with_template && body.find_first_not_of(" \t\r\n") == std::string::npos) {
    return st.fail(exit_code::usage, "the message is empty; nothing was sent");
  }
  auto facts = storage::reply_facts_of(s.db, o.request);
  if (!facts) return st.fail(exit_code::data_error, facts.error().message);
  std::optional<templated> t;
  if (with_template) {
    t = render_reply(st, s, *facts, m.template_name, body);
    if (!t) return;
    body = t->mail.text;
  }
  const user_config* me = user_of(s.cfg, s.by.login);
  // A template signs the mail itself ({{agent.name}}, {{team}}).
  if (me && !me->signature.empty() && !t) body += "\n-- \n" + me->signature + "\n";
  if (forward) {
    body += fmt::format(
        "\n---------- Forwarded request #{} ----------\nFrom: {} <{}>\nSubject: {}\n\n{}\n",
        facts->request_id, facts->person_name, facts->person_address, facts->last_subject,
        facts->last_text);
  }
  templates::mail_parts p = parts_of(s, *facts, m.to, forward, t, body);
  auto mail = templates::compose(p);
  if (!mail)
    return st.fail(exit_code::data_error,
                   fmt::format("cannot compose the mail: {}", mail.error().message));
  storage::outgoing_mail q{forward ? "forward" : "reply",
                           s.cfg.outgoing.from_address,
                           {p.to.addr},
                           mail->bytes,
                           mail->message_id,
                           p.subject,
                           body};
  auto id = storage::queue_agent_mail(s.db, o.request, q, s.by);
  finish(st, o, forward ? "forwarded" : "replied", id,
         id ? nlohmann::ordered_json{{"outbox", *id},
                                     {"to", p.to.addr},
                                     {"message_id", mail->message_id},
                                     {"template", t ? nlohmann::ordered_json(m.template_name)
                                                    : nlohmann::ordered_json(nullptr)},
                                     {"language", t ? nlohmann::ordered_json(t->language)
                                                    : nlohmann::ordered_json(nullptr)}}
            : nlohmann::ordered_json::object());
}

void add_mail_verb(CLI::App* req, cli_state& st, bool forward) {
  auto o = std::make_shared<verb_options>();
  auto m = std::make_shared<mail_options>();
  CLI::App* c = verb(req, forward ? "forward" : "reply",
                     forward ? "Forward the request to an external party; their answer threads back"
                             : "Answer the customer (text from --text, --file, or $EDITOR)",
                     o);
  if (forward) c->add_option("address", m->to, "The external party's email address")->required();
  c->add_option("--text", m->text, "The message");
  c->add_option("--file", m->file, "Read the message from a file (- for stdin)");
  if (!forward) {
    c->add_option("--template", m->template_name,
                  "Render this reply template (e.g. answer) in the customer's language, with\n"
                  "the text (optional) as {{text}}; see docs/templates.md");
  }
  c->callback([&st, o, m, forward] {
    if (auto s = begin(st, *o)) send(st, *s, *o, *m, forward);
  });
}

}  // namespace

void add_reply_commands(CLI::App& app, cli_state& st) {
  CLI::App* req = app.get_subcommand("requests");
  add_mail_verb(req, st, false);
  add_mail_verb(req, st, true);
}

}  // namespace hd::daemon
