// helpdeskd requests reply | forward: an agent's mail about a request. The mail is composed
// by compose_agent_mail (intake/agent_mail.hpp, shared with the HTTP API) and
// queued in the outbox in one transaction with the request's message list; the daemon or
// `helpdeskd outbox drain` sends it. `reply --template NAME` renders a reply template in the
// customer's language, with the agent's text as {{text}}.
#include "hd/common/message.hpp"
#include "hd/intake/agent_mail.hpp"
#include "hd/storage/outbox.hpp"
#include "workflow_cli.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace hd::daemon {
namespace {

struct mail_options {
  std::string text, file;
  std::string to;  ///< forward only
  std::vector<std::string> cc;
  std::string template_name;        ///< reply only: render this reply template
  std::vector<std::string> attach;  ///< files to send with it
  bool no_attachments = false;      ///< forward only: without the request's attachments
};

// The type of a file sent by an agent, from its extension (the receiver's reader decides what
// to do with it; unknown is application/octet-stream).
std::string type_of_file(const std::string& name) {
  static const std::pair<const char*, const char*> known[] = {
      {".pdf", "application/pdf"}, {".png", "image/png"},      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},     {".gif", "image/gif"},      {".txt", "text/plain"},
      {".csv", "text/csv"},        {".zip", "application/zip"}};
  std::string lower = ascii_lower(name);
  for (const auto& [ext, type] : known) {
    if (lower.ends_with(ext)) return type;
  }
  return "application/octet-stream";
}

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

// Composes (compose_agent_mail, shared with the HTTP API) and queues the mail; reports.
void send(cli_state& st, session& s, const verb_options& o, const mail_options& m, bool forward) {
  std::string body = read_text(st, m.text, m.file);
  bool with_template = !m.template_name.empty();
  if (!with_template && body.empty() && m.text.empty() && m.file.empty()) {
    std::optional<std::string> edited = from_editor(st, "");
    if (!edited) return st.fail(exit_code::failure, "the editor failed; nothing was sent");
    body = *edited;
  }
  auto facts = storage::reply_facts_of(s.db, o.request);
  if (!facts) return st.fail(exit_code::data_error, facts.error().message);
  agent_mail_request r{forward, m.to, m.cc, body, m.template_name};
  if (forward && !m.no_attachments) {
    auto files = request_files(s.db, o.request);
    if (!files) return st.fail(exit_code::data_error, files.error().message);
    r.attachments = std::move(*files);
  }
  for (const std::string& path : m.attach) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return st.fail(exit_code::no_input, fmt::format("cannot read {}", path));
    std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    std::string name = std::filesystem::path(path).filename().string();
    r.attachments.push_back({name, type_of_file(name), std::move(bytes)});
  }
  auto mail = compose_agent_mail(s.cfg, *facts, s.by.login, s.by.now, r);
  if (!mail) {
    return st.fail(mail.error().code == agent_mail_errc::cannot_compose ? exit_code::data_error
                                                                        : exit_code::usage,
                   mail.error().message);
  }
  auto id = storage::queue_agent_mail(s.db, o.request, mail->mail, s.by);
  auto opt = [](const std::string& v) {
    return v.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(v);
  };
  finish(st, o, forward ? "forwarded" : "replied", id,
         id ? nlohmann::ordered_json{{"outbox", *id},
                                     {"to", mail->to},
                                     {"message_id", mail->mail.message_id},
                                     {"template", opt(mail->template_name)},
                                     {"language", opt(mail->language)}}
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
  c->add_option("--cc", m->cc, "Also send to this address (repeatable)");
  c->add_option("--attach", m->attach, "Send this file with it (repeatable)");
  if (forward)
    c->add_flag("--no-attachments", m->no_attachments,
                "Without the request's attachments (a forward sends them by default)");
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
