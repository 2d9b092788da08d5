// helpdeskd config check [FILE]
#include "commands.hpp"
#include "hd/common/config_describe.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/intake/ack.hpp"
#include "hd/service/connection_budget.hpp"

namespace hd::daemon {

void add_config_commands(CLI::App& app, cli_state& st) {
  CLI::App* cfg = app.add_subcommand("config", "Work with the configuration file");
  cfg->require_subcommand(1);
  CLI::App* check = cfg->add_subcommand(
      "check",
      "Validate a configuration file and print the effective configuration (secrets masked).\n"
      "Exit 0 when valid, 78 with every problem as FILE:LINE:COLUMN: key: message otherwise.");
  auto file = std::make_shared<std::string>();
  auto opts = std::make_shared<describe_options>();
  check->add_option("file", *file, "The file to check (default: --config)");
  check->add_flag("-n,--non-default", opts->only_changed,
                  "Print only what differs from the defaults (as doveconf -n)");
  check->add_flag("--json", opts->json, "Print the configuration as JSON");
  check->callback([&st, file, opts] {
    if (!file->empty()) st.config_path = *file;
    std::optional<config> c = st.load_config();
    if (!c) return;
    // Names the config refers to in other files: a wrong one would stop mail going out.
    std::vector<std::string> problems = template_reference_problems(*c, *reply_kit_for(*c));
    if (!problems.empty()) {
      for (const std::string& p : problems) st.io.err << "helpdeskd: " << p << "\n";
      st.exit = exit_code::config;
      return;
    }
    // Valid, but not what the admin may expect: mailboxes that cannot all keep a connection.
    for (const std::string& w : connection_warnings(*c))
      st.io.err << "helpdeskd: warning: " << w << "\n";
    if (!opts->json) st.io.out << "# " << st.config_path << ": valid\n";
    st.io.out << describe_config(*c, *opts);
    st.exit = exit_code::ok;
  });
}

}  // namespace hd::daemon
