// helpdeskd templates check|render: are the reply templates loadable, and what would a reply
// to a request look like (rendered and composed exactly as it would be queued, never sent).
#include "commands.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/intake/ack.hpp"
#include "hd/intake/pipeline.hpp"

namespace hd::daemon {
namespace {

void add_check(CLI::App* group, cli_state& st) {
  CLI::App* cmd = group->add_subcommand(
      "check", "Load every template in [outgoing] templates_dir and report problems (exit 78)");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->callback([&st, json] {
    std::optional<config> cfg = st.load_config();
    if (!cfg) return;
    reply_kit kit = load_reply_kit(cfg->outgoing.templates_dir);
    for (std::string& p : template_reference_problems(*cfg, kit)) kit.problems.push_back(p);
    nlohmann::ordered_json names = nlohmann::ordered_json::object();
    for (const std::string& n : kit.templates.names()) names[n] = kit.templates.languages(n);
    if (*json) {
      st.print_json({{"directory", cfg->outgoing.templates_dir},
                     {"templates", names},
                     {"language_detection", kit.detector != nullptr},
                     {"problems", kit.problems}});
    } else {
      for (const std::string& n : kit.templates.names()) {
        std::string langs;
        for (const std::string& l : kit.templates.languages(n)) langs += " " + l;
        st.io.out << fmt::format("{}:{}\n", n, langs);
      }
      for (const std::string& p : kit.problems) st.io.err << "helpdeskd: " << p << "\n";
    }
    st.exit = kit.problems.empty() ? exit_code::ok : exit_code::config;
  });
}

std::string for_display(std::string bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') continue;
    out += bytes[i];
  }
  return out;
}

void add_render(CLI::App* group, cli_state& st) {
  CLI::App* cmd = group->add_subcommand(
      "render", "Show the mail template NAME would make for a request (nothing is queued or sent)");
  auto name = std::make_shared<std::string>();
  auto request = std::make_shared<std::int64_t>(0);
  auto lang = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("name", *name, "Template name, e.g. ack")->required();
  cmd->add_option("--request", *request, "Request to render it for")->required();
  cmd->add_option("--lang", *lang, "Language (default: the person's, else the mailbox default)");
  cmd->add_flag("--json", *json, "Print language, subject, text, html and the whole message");
  cmd->callback([&st, name, request, lang, json] {
    std::optional<config> cfg = st.load_config();
    if (!cfg) return;
    auto db = open_store(*cfg);
    if (!db) return st.fail(exit_code::temp_fail, db.error().message);
    auto facts = storage::reply_facts_of(*db, *request);
    if (!facts) return st.fail(exit_code::data_error, facts.error().message);
    reply_kit kit = load_reply_kit(cfg->outgoing.templates_dir);
    for (const std::string& p : kit.problems) st.log.warn("templates.problem", {{"reason", p}});
    std::string wanted = !lang->empty() ? *lang : facts->person_language.value_or("");
    auto mail = build_reply(*cfg, kit, *facts, *name, wanted, nullptr, st.io.now(), "preview");
    if (!mail) return st.fail(exit_code::data_error, mail.error().message);
    if (*json) {
      st.print_json({{"request", *request},
                     {"to", mail->recipients},
                     {"subject", mail->subject},
                     {"text", mail->text},
                     {"message", for_display(mail->bytes)}});
    } else {
      st.io.out << for_display(mail->bytes);
    }
    st.exit = exit_code::ok;
  });
}

}  // namespace

void add_templates_commands(CLI::App& app, cli_state& st) {
  CLI::App* group = app.add_subcommand("templates", "Reply templates: check, render");
  group->require_subcommand(1);
  add_check(group, st);
  add_render(group, st);
}

}  // namespace hd::daemon
