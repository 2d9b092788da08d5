#pragma once
// Shared state of the CLI and the registration function of each command group. Each group
// lives in its own cmd_*.cpp; cli.cpp only lists them.

#include "hd/cli/cli.hpp"
#include "hd/common/config.hpp"
#include "hd/common/log.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace hd::daemon {

struct cli_state {
  cli_io& io;
  std::string config_path;
  std::string log_level;
  int exit = 0;
  logger log{log_level::warn, stderr};

  /// Loads the configuration named by --config; on failure prints why, sets exit 78 and
  /// returns nullopt. With SECRETS false the secret files and variables are not read (the
  /// agents' commands need none: an agent need not be able to read the IMAP password).
  std::optional<config> load_config(bool secrets = true);
  /// Prints JSON (pretty, invalid UTF-8 replaced) followed by a newline.
  void print_json(const nlohmann::ordered_json& j);
  /// Prints "helpdeskd: MESSAGE" to stderr and sets the exit code.
  void fail(int code, const std::string& message);
};

void add_config_commands(CLI::App& app, cli_state& st);
void add_ingest_command(CLI::App& app, cli_state& st);
void add_parse_command(CLI::App& app, cli_state& st);
void add_requests_commands(CLI::App& app, cli_state& st);
void add_workflow_commands(CLI::App& app, cli_state& st);
void add_dashboard_commands(CLI::App& app, cli_state& st);
void add_reply_commands(CLI::App& app, cli_state& st);
void add_db_commands(CLI::App& app, cli_state& st);
void add_outbox_commands(CLI::App& app, cli_state& st);
void add_webhooks_commands(CLI::App& app, cli_state& st);
void add_templates_commands(CLI::App& app, cli_state& st);
void add_rules_commands(CLI::App& app, cli_state& st);
void add_quarantine_commands(CLI::App& app, cli_state& st);
void add_persons_commands(CLI::App& app, cli_state& st);
void add_companies_commands(CLI::App& app, cli_state& st);
void add_attachments_commands(CLI::App& app, cli_state& st);
void add_run_command(CLI::App& app, cli_state& st);
void add_status_command(CLI::App& app, cli_state& st);
void add_access_commands(CLI::App& app, cli_state& st);

}  // namespace hd::daemon
