// helpdeskd db migrate: bring the database schema up to date (also done at every start).
#include "commands.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/daemon/pipeline.hpp"

namespace hd::daemon {

void add_db_commands(CLI::App& app, cli_state& st) {
  CLI::App* db = app.add_subcommand("db", "Database maintenance");
  db->require_subcommand(1);
  CLI::App* migrate =
      db->add_subcommand("migrate", "Create the database or upgrade its schema to this version");
  migrate->callback([&st] {
    std::optional<config> cfg = st.load_config();
    if (!cfg) return;
    auto s = open_store(*cfg);
    if (!s) {
      st.fail(exit_code::temp_fail, s.error().message);
      return;
    }
    auto v = s->version();
    if (!v) {
      st.fail(exit_code::temp_fail, v.error().message);
      return;
    }
    st.io.out << fmt::format("{}: schema version {}\n", cfg->database.path, *v);
    st.exit = exit_code::ok;
  });
}

}  // namespace hd::daemon
