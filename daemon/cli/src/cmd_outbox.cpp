// helpdeskd outbox list|drain|retry: what is waiting to be sent, sending it now, and giving
// failed mail another chance. The daemon drains the outbox by itself; these are for cron
// (`run --once`), operators and tests.
#include "commands.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/intake/pipeline.hpp"
#include "hd/service/outbox_delivery.hpp"
#include "hd/storage/outbox.hpp"

namespace hd::daemon {
namespace {

nlohmann::ordered_json to_json(const storage::outbox_item& it) {
  nlohmann::ordered_json j{{"id", it.id},
                           {"request", it.request_id ? nlohmann::ordered_json(*it.request_id)
                                                     : nlohmann::ordered_json()},
                           {"kind", it.kind},
                           {"status", it.status},
                           {"from", it.mail_from},
                           {"to", it.recipients},
                           {"attempts", it.attempts},
                           {"next_attempt_at", it.next_attempt_at},
                           {"created_at", it.created_at}};
  j["sent_at"] = it.sent_at ? nlohmann::ordered_json(*it.sent_at) : nlohmann::ordered_json();
  j["last_error"] =
      it.last_error ? nlohmann::ordered_json(*it.last_error) : nlohmann::ordered_json();
  return j;
}

void print_table(cli_state& st, const std::vector<storage::outbox_item>& items) {
  st.io.out << fmt::format("{:>6}  {:<8} {:<6} {:>7} {:>3}  {}\n", "id", "status", "kind",
                           "request", "try", "to / last error");
  for (const storage::outbox_item& it : items) {
    std::string to = it.recipients.empty() ? "" : it.recipients.front();
    st.io.out << fmt::format("{:>6}  {:<8} {:<6} {:>7} {:>3}  {}{}\n", it.id, it.status, it.kind,
                             it.request_id.value_or(0), it.attempts, to,
                             it.last_error ? " / " + *it.last_error : "");
  }
}

// Opens the configured store, or reports why not (exit 75: try again).
std::optional<storage::store> open_or_fail(cli_state& st, const config& cfg) {
  auto db = open_store(cfg);
  if (!db) {
    st.fail(exit_code::temp_fail, db.error().message);
    return std::nullopt;
  }
  return std::move(*db);
}

void add_list(CLI::App* outbox, cli_state& st) {
  CLI::App* cmd = outbox->add_subcommand("list", "List outgoing mail, newest first");
  auto status = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--status", *status, "Only queued, sending, sent or failed mail")
      ->check(CLI::IsMember({"queued", "sending", "sent", "failed"}));
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->callback([&st, status, json] {
    std::optional<config> cfg = st.load_config();
    if (!cfg) return;
    auto db = open_or_fail(st, *cfg);
    if (!db) return;
    storage::outbox_filter f;
    if (!status->empty()) f.status = *status;
    auto items = storage::list_outbox(*db, f);
    if (!items) return st.fail(exit_code::temp_fail, items.error().message);
    if (*json) {
      nlohmann::ordered_json arr = nlohmann::ordered_json::array();
      for (const auto& it : *items) arr.push_back(to_json(it));
      st.print_json(arr);
    } else {
      print_table(st, *items);
    }
    st.exit = exit_code::ok;
  });
}

void add_drain(CLI::App* outbox, cli_state& st) {
  CLI::App* cmd = outbox->add_subcommand(
      "drain",
      "Send every outgoing mail that is due, once, through the [smtp] server. Temporary\n"
      "failures are retried later with backoff; permanent ones are marked failed. Exit 0\n"
      "when something was sent or nothing was due; when mail was due and none could be\n"
      "sent, 75 if some will be retried, else 1.");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print the counts as JSON");
  cmd->callback([&st, json] {
    std::optional<config> cfg = st.load_config();
    if (!cfg) return;
    if (!cfg->smtp) {
      return st.fail(exit_code::config,
                     fmt::format("no [smtp] section in {}: nothing can be sent", cfg->source));
    }
    auto db = open_or_fail(st, *cfg);
    if (!db) return;
    drain_stats s = drain_outbox(*cfg, *db, st.log, st.io.now());
    if (*json) {
      st.print_json({{"recovered", s.recovered},
                     {"attempted", s.attempted},
                     {"sent", s.sent},
                     {"deferred", s.deferred},
                     {"failed", s.failed}});
    } else {
      st.io.out << fmt::format("sent {}, deferred {}, failed {} (of {} due; {} recovered)\n",
                               s.sent, s.deferred, s.failed, s.attempted, s.recovered);
    }
    // A cron job must notice when nothing gets out (a wrong password, a server down).
    st.exit = s.attempted == 0 || s.sent > 0 ? exit_code::ok
              : s.deferred > 0               ? exit_code::temp_fail
                                             : exit_code::failure;
  });
}

void add_retry(CLI::App* outbox, cli_state& st) {
  CLI::App* cmd = outbox->add_subcommand(
      "retry", "Queue failed mail again, due now (one item by ID, or every failed item)");
  auto id = std::make_shared<std::int64_t>(0);
  auto json = std::make_shared<bool>(false);
  cmd->add_option("id", *id, "Outbox item (default: every failed item)");
  cmd->add_flag("--json", *json, "Print the count as JSON");
  cmd->callback([&st, id, json] {
    std::optional<config> cfg = st.load_config();
    if (!cfg) return;
    auto db = open_or_fail(st, *cfg);
    if (!db) return;
    std::optional<std::int64_t> which;
    if (*id > 0) which = *id;
    auto n = storage::retry_outbox(*db, which, st.io.now());
    if (!n) return st.fail(exit_code::temp_fail, n.error().message);
    if (which && *n == 0) {
      return st.fail(exit_code::data_error,
                     fmt::format("outbox item {} does not exist or is not failed/queued", *id));
    }
    if (*json) {
      st.print_json({{"requeued", *n}});
    } else {
      st.io.out << fmt::format("requeued {}\n", *n);
    }
    st.exit = exit_code::ok;
  });
}

}  // namespace

void add_outbox_commands(CLI::App& app, cli_state& st) {
  CLI::App* outbox = app.add_subcommand("outbox", "Outgoing mail: list, send now, retry");
  outbox->require_subcommand(1);
  add_list(outbox, st);
  add_drain(outbox, st);
  add_retry(outbox, st);
}

}  // namespace hd::daemon
