// helpdeskd run [--once]: IMAP intake. As a service it runs until SIGTERM/SIGINT (SIGHUP
// reloads the configuration); with --once (cron) it polls every mailbox once, drains the
// outbox and exits. Both hold a lock file next to the database, so two runs never overlap.
#include "commands.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/intake/ack.hpp"
#include "hd/intake/db_health.hpp"
#include "hd/intake/pipeline.hpp"
#include "hd/service/event_loop.hpp"
#include "hd/service/outbox_delivery.hpp"
#include "hd/service/readiness.hpp"
#include "hd/storage/requests.hpp"
#include "hd/storage/workflow.hpp"
#include "lock_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

namespace hd::daemon {
namespace {

// After a --once pass: wake postponed requests whose time has come, then send the outbox.
void drain_after_once(cli_state& st, const config& cfg) {
  auto db = open_store(cfg);
  if (!db) {
    st.log.error("outbox.drain_failed", {{"reason", db.error().message}});
    return;
  }
  if (auto woke = storage::wake_postponed(*db, st.io.now()); woke && *woke > 0) {
    st.log.info("requests.woke", {{"count", *woke}});
  }
  if (!cfg.smtp) return;
  drain_stats d = drain_outbox(cfg, *db, st.log, st.io.now());
  st.log.info("outbox.drained", {{"attempted", d.attempted},
                                 {"sent", d.sent},
                                 {"deferred", d.deferred},
                                 {"failed", d.failed}});
}

// The log level for this run: the config's, overridden by --log-level. A cron job's
// `run --once` mails whatever it prints, so without --log-level it logs only what needs
// attention (warnings and errors).
void set_run_level(cli_state& st, const config& cfg, bool once) {
  st.log.set_level(cfg.log);
  if (once && cfg.log < log_level::warn) st.log.set_level(log_level::warn);
  if (auto l = parse_log_level(st.log_level)) st.log.set_level(*l);
}

void run_command(cli_state& st, bool once) {
  std::optional<config> cfg = st.load_config();
  if (!cfg) return;
  set_run_level(st, *cfg, once);
  // One daemon per SQLite file. On PostgreSQL the file lock is not taken: it would hold only
  // on this machine (several daemons on one database: docs/scale-out.md).
  std::optional<lock_file> lock;
  if (!cfg->database.postgres()) lock.emplace(cfg->database.path + ".lock");
  if (lock && !lock->ok()) {
    if (once && lock->held_elsewhere()) {
      st.log.warn("run.skipped", {{"reason", lock->error()}});
      st.exit = exit_code::ok;
      return;
    }
    st.fail(exit_code::temp_fail, lock->error());
    return;
  }
  // The database's check and migration can outlast the unit's TimeoutStartSec on a big
  // database: systemd hears every 20 s that the start goes on, until the store is open.
  startup_keepalive keepalive("checking and migrating the database");
  // A damaged database is not written into: no mailbox is polled, the mail stays on the
  // IMAP server until the database is recovered.
  auto health = check_before_intake(*cfg, st.log, "run", st.io.now());
  if (!health) {
    st.fail(health.error().code == storage::errc::not_a_database ? exit_code::config
                                                                 : exit_code::temp_fail,
            health.error().message);
    return;
  }
  if (!health->ok) {
    st.fail(exit_code::temp_fail,
            fmt::format("the database {} is damaged, no mail is taken: {} (recovery: "
                        "docs/faults.md)",
                        cfg->database.shown(), health->problems));
    return;
  }
  auto db = open_store(*cfg);
  keepalive.stop();
  if (!db) {
    st.fail(
        db.error().code == storage::errc::not_a_database ? exit_code::config : exit_code::temp_fail,
        db.error().message);
    return;
  }
  // This connection becomes the storage worker's, which writes every mail: its page cache
  // keeps what a burst reads between transactions (docs/storage.md, "The page cache").
  if (auto c = storage::set_page_cache(*db, cfg->database.cache_mb); !c) {
    st.fail(exit_code::temp_fail, c.error().message);
    return;
  }
  // A missing [ack] template stops every acknowledgement: say so at start, not only per mail.
  for (const std::string& p : template_reference_problems(*cfg, *reply_kit_for(*cfg))) {
    st.log.error("run.template_missing", {{"reason", p}});
  }
  st.log.info("run.started", {{"mode", once ? "once" : "service"},
                              {"mailboxes", cfg->mailboxes.size()},
                              {"config", cfg->source}});
  service_env env{st.log, st.io.now, [&st, once]() -> result<config, config_errc> {
                    auto c = hd::load_config(st.config_path, st.io.env);
                    if (c) set_run_level(st, *c, once);
                    return c;
                  }};
  config copy = *cfg;
  st.exit = run_intake(std::move(*cfg), std::move(*db), env, once);
  if (once && st.exit != exit_code::config) drain_after_once(st, copy);
  st.log.info("run.finished", {{"exit", st.exit}});
}

}  // namespace

void add_run_command(CLI::App& app, cli_state& st) {
  CLI::App* cmd = app.add_subcommand(
      "run",
      "Take mail from every configured [[mailbox]] over IMAP (IDLE where offered, polling\n"
      "otherwise) and store it as requests. Runs until SIGTERM or SIGINT (the mail in hand is\n"
      "finished first; exit 0); SIGHUP reloads the configuration (an invalid one is logged and\n"
      "the running one kept). With --once: poll every mailbox once, send the outbox, exit 0, or\n"
      "75 when a mailbox failed. A lock file next to the database (DB.lock) keeps two runs from\n"
      "overlapping: a --once run that finds it held exits 0 at once. The database is checked\n"
      "first ([database] check_on_start): a damaged one is not written into (exit 75), a file\n"
      "that is not a database gives exit 78. While it runs the check is repeated every\n"
      "[database] check_every_s: damage found then stops it (the mail in hand is finished;\n"
      "exit 75).");
  auto once = std::make_shared<bool>(false);
  cmd->add_flag("--once", *once, "Poll every mailbox once, drain the outbox, then exit (cron)");
  cmd->callback([&st, once] { run_command(st, *once); });
}

}  // namespace hd::daemon
