// helpdeskd db migrate: bring the database schema up to date (also done at every start).
// helpdeskd db backup FILE: a consistent copy while helpdeskd runs.
#include "commands.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/intake/pipeline.hpp"
#include "hd/storage/backup.hpp"

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
  auto dest = std::make_shared<std::string>();
  CLI::App* backup = db->add_subcommand(
      "backup",
      "Write a consistent copy of the database to FILE while helpdeskd keeps running (SQLite's\n"
      "online backup; a plain cp of a database being written can be torn). The copy is\n"
      "integrity-checked. Exit 0 when done, 73 when FILE exists or cannot be written.");
  backup->add_option("file", *dest, "The new file to write")->required();
  backup->callback([&st, dest] {
    std::optional<config> cfg = st.load_config();
    if (!cfg) return;
    auto s = open_store(*cfg);
    if (!s) return st.fail(exit_code::temp_fail, s.error().message);
    auto size = storage::backup_to(*s, *dest);
    if (!size) {
      return st.fail(
          size.error().code == storage::errc::busy ? exit_code::temp_fail : exit_code::can_t_create,
          size.error().message);
    }
    st.io.out << fmt::format("{}: {} bytes, integrity ok\n", *dest, *size);
    st.exit = exit_code::ok;
  });
}

}  // namespace hd::daemon
