#include "hd/cli/cli.hpp"

#include "commands.hpp"
#include "hd/common/config_options.hpp"
#include "hd/common/spelling.hpp"
#include "hd/common/sysexits.hpp"

#include <iostream>

namespace hd::daemon {

std::optional<config> cli_state::load_config(bool secrets) {
  auto c = hd::load_config(config_path, io.env, load_options{secrets});
  if (!c) {
    io.err << c.error().message << "\n";
    exit = exit_code::config;
    return std::nullopt;
  }
  log.set_level(c->log);
  if (auto l = parse_log_level(log_level)) log.set_level(*l);
  return std::move(*c);
}

void cli_state::print_json(const nlohmann::ordered_json& j) {
  io.out << j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
}

void cli_state::fail(int code, const std::string& message) {
  io.err << "helpdeskd: " << message << "\n";
  exit = code;
}

namespace {

// The deepest subcommand given on the command line, and what it was asked to do that it does
// not know, when that looks like a subcommand name (not an option or an argument).
std::optional<std::string> unknown_subcommand(CLI::App& app) {
  CLI::App* at = &app;
  std::string path;  // " requests"
  for (bool deeper = true; deeper;) {
    deeper = false;
    for (CLI::App* sub : at->get_subcommands()) {
      at = sub;
      path += " " + sub->get_name();
      deeper = true;
      break;
    }
  }
  std::vector<std::string> names;
  for (const CLI::App* sub : at->get_subcommands({})) names.push_back(sub->get_name());
  std::vector<std::string> extras = app.remaining(true);
  if (names.empty() || extras.empty() || extras[0].starts_with("-")) return std::nullopt;
  std::string list;
  for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
  const char* kind = path.empty() ? "command" : "subcommand";
  return fmt::format("{}unknown {} '{}'{}; the {}s are: {} (see `helpdeskd{} --help`)",
                     path.empty() ? "" : path.substr(1) + ": ", kind, extras[0],
                     did_you_mean(extras[0], names), kind, list, path);
}

}  // namespace

int run_cli(int argc, const char* const* argv, cli_io& io) {
  CLI::App app{
      "helpdeskd turns mail sent to your support address into requests (tickets) and keeps\n"
      "the conversation going. Run `helpdeskd COMMAND --help` for each command.",
      "helpdeskd"};
  app.set_version_flag("-V,--version", "helpdeskd " HD_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  cli_state st{io, "", "", 0};
  // Under systemd each line carries its syslog priority; elsewhere a timestamp leads it.
  st.log.set_style(log_style_for(io.env && io.env("JOURNAL_STREAM").has_value()));
  if (auto env = io.env ? io.env("HELPDESKD_CONFIG") : std::nullopt) {
    st.config_path = *env;
  } else {
    st.config_path = "/etc/helpdeskd/helpdeskd.toml";
  }
  app.add_option(
      "-c,--config", st.config_path,
      "Configuration file (default: $HELPDESKD_CONFIG, else /etc/helpdeskd/helpdeskd.toml)");
  app.add_option("--log-level", st.log_level,
                 "debug, info, warn or error (overrides the config file)")
      ->check(CLI::IsMember({"debug", "info", "warn", "warning", "error"}));

  add_config_commands(app, st);
  add_ingest_command(app, st);
  add_parse_command(app, st);
  add_requests_commands(app, st);
  add_workflow_commands(app, st);   // adds verbs to `requests`: keep after it
  add_dashboard_commands(app, st);  // also adds `requests next`
  add_reply_commands(app, st);      // requests reply, requests forward
  add_db_commands(app, st);
  add_outbox_commands(app, st);
  add_webhooks_commands(app, st);
  add_templates_commands(app, st);
  add_rules_commands(app, st);
  add_quarantine_commands(app, st);
  add_persons_commands(app, st);
  add_companies_commands(app, st);
  add_attachments_commands(app, st);
  add_run_command(app, st);
  add_status_command(app, st);
  add_access_commands(app, st);  // users passwd, tokens

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, io.out, io.err);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, io.out, io.err);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e, io.out, io.err);
  } catch (const CLI::ParseError& e) {
    // `helpdeskd requests frobnicate`: name the command and the subcommands it has, rather
    // than "The following arguments were not expected" or "A subcommand is required".
    if (auto why = unknown_subcommand(app)) {
      io.err << "helpdeskd: " << *why << "\n";
    } else {
      app.exit(e, io.out, io.err);
    }
    return exit_code::usage;
  }
  return st.exit;
}

}  // namespace hd::daemon
