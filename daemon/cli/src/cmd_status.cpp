// helpdeskd status [--json]: how intake is doing, from the database: per configured mailbox
// the last successful poll, the last error, the backlog and the checkpoint; and the outbox.
#include "commands.hpp"
#include "hd/api/json.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/intake/db_health.hpp"
#include "hd/intake/pipeline.hpp"
#include "hd/storage/leases.hpp"
#include "hd/storage/mailbox_state.hpp"
#include "hd/storage/outbox.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace hd::daemon {
namespace {

std::string when(const std::optional<std::int64_t>& t) { return t ? iso8601(*t) : "never"; }

nlohmann::ordered_json opt_json(const std::optional<std::int64_t>& v) {
  return v ? nlohmann::ordered_json(iso8601(*v)) : nlohmann::ordered_json(nullptr);
}

// "which message": the outbox id, what kind of mail, for which request, to whom.
std::string describe(const storage::outbox_item& o) {
  std::string s = fmt::format("outbox #{} ({}", o.id, o.kind);
  if (o.request_id) s += fmt::format(", request #{}", *o.request_id);
  if (!o.recipients.empty()) s += fmt::format(", to {}", fmt::join(o.recipients, ", "));
  return s + ")";
}

nlohmann::ordered_json failure_json(const std::optional<storage::outbox_failure>& f) {
  if (!f) return nullptr;
  return {{"at", iso8601(f->at)},
          {"outbox_id", f->item.id},
          {"kind", f->item.kind},
          {"request_id", f->item.request_id ? nlohmann::ordered_json(*f->item.request_id)
                                            : nlohmann::ordered_json(nullptr)},
          {"recipients", f->item.recipients},
          {"status", f->item.status},
          {"error", f->item.last_error.value_or("")}};
}

// Configured mailboxes first (in config order), then any others the database knows.
std::vector<storage::mailbox_status> merge(const config& cfg,
                                           std::vector<storage::mailbox_status> known) {
  std::vector<storage::mailbox_status> out;
  for (const mailbox_config& m : cfg.mailboxes) {
    auto it =
        std::find_if(known.begin(), known.end(), [&](auto& k) { return k.mailbox == m.name; });
    if (it != known.end()) {
      out.push_back(std::move(*it));
      known.erase(it);
    } else {
      out.push_back(storage::mailbox_status{m.name, {}, {}, {}, 0, {}, 0});
    }
  }
  for (auto& k : known) out.push_back(std::move(k));
  return out;
}

// PostgreSQL: who holds each mailbox (several daemons, docs/scale-out.md).
struct lease_view {
  std::vector<storage::lease_info> leases;
  std::vector<storage::daemon_info> daemons;
  const storage::lease_info* of(const std::string& mailbox) const {
    for (const auto& l : leases) {
      if (l.mailbox == mailbox) return &l;
    }
    return nullptr;
  }
};

std::string holder_text(const storage::lease_info* l, std::int64_t now) {
  if (l == nullptr) return "held by no daemon";
  if (l->expires_at <= now) {
    return fmt::format("lease of {} expired {} s ago", l->holder, now - l->expires_at);
  }
  return fmt::format("held by {} (renewed {} s ago, expires in {} s)", l->holder,
                     now - l->heartbeat_at, l->expires_at - now);
}

nlohmann::ordered_json daemons_json(const std::optional<lease_view>& leases) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  if (!leases) return out;
  for (const auto& d : leases->daemons) {
    out.push_back({{"id", d.id},
                   {"host", d.host},
                   {"pid", d.pid},
                   {"started_at", iso8601(d.started_at)},
                   {"heartbeat_at", iso8601(d.heartbeat_at)}});
  }
  return out;
}

void print_text(cli_state& st, const std::vector<storage::mailbox_status>& list,
                const storage::outbox_counts& ob,
                const std::optional<storage::outbox_failure>& smtp,
                const std::optional<lease_view>& leases, std::int64_t now) {
  for (const auto& m : list) {
    st.io.out << fmt::format("mailbox {}: last success {}, backlog {}, stored {}", m.mailbox,
                             when(m.last_success_at), m.backlog, m.stored);
    if (m.state)
      st.io.out << fmt::format(", uidvalidity {} last uid {}", m.state->uidvalidity,
                               m.state->last_uid);
    if (leases) st.io.out << ", " << holder_text(leases->of(m.mailbox), now);
    st.io.out << "\n";
    if (m.last_error_at)
      st.io.out << fmt::format("  last error {}: {}\n", when(m.last_error_at), m.last_error);
  }
  if (leases) {
    for (const auto& d : leases->daemons) {
      st.io.out << fmt::format("daemon {}: host {}, pid {}, started {}, heartbeat {} s ago\n", d.id,
                               d.host, d.pid, when(d.started_at), now - d.heartbeat_at);
    }
  }
  st.io.out << fmt::format("outbox: {} queued, {} sending, {} sent, {} failed\n", ob.queued,
                           ob.sending, ob.sent, ob.failed);
  if (smtp) {
    st.io.out << fmt::format("  last SMTP error {}: {}: {}\n", iso8601(smtp->at),
                             describe(smtp->item), smtp->item.last_error.value_or(""));
  }
}

void status_command(cli_state& st, bool json) {
  std::optional<config> cfg = st.load_config(false);
  if (!cfg) return;
  // Damage a daemon found (and stopped taking mail for) is said first, even when the
  // database can no longer be opened; the exit status is then 1.
  std::string damage =
      cfg->database.postgres() ? std::string() : read_damage_mark(cfg->database.path);
  if (!damage.empty() && !json) {
    st.io.out << fmt::format("database {}: DAMAGED, no mail is taken ({}); see docs/faults.md\n",
                             cfg->database.path, damage);
  }
  auto db = open_store(*cfg);
  if (!db) {
    st.fail(exit_code::temp_fail, db.error().message);
    return;
  }
  auto known = storage::list_mailbox_status(*db);
  auto ob = storage::count_outbox(*db);
  auto smtp = storage::last_outbox_failure(*db);
  if (!known || !ob || !smtp) {
    st.fail(exit_code::temp_fail, !known ? known.error().message
                                  : !ob  ? ob.error().message
                                         : smtp.error().message);
    return;
  }
  auto list = merge(*cfg, std::move(*known));
  std::optional<lease_view> leases;
  if (cfg->database.postgres()) {
    auto l = storage::list_leases(*db);
    auto d = storage::list_daemons(*db);
    if (!l || !d) {
      st.fail(exit_code::temp_fail, !l ? l.error().message : d.error().message);
      return;
    }
    leases = lease_view{std::move(*l), std::move(*d)};
  }
  std::int64_t now = st.io.now();
  if (!damage.empty()) st.exit = exit_code::failure;
  if (!json) {
    print_text(st, list, *ob, *smtp, leases, now);
    return;
  }
  nlohmann::ordered_json boxes = nlohmann::ordered_json::array();
  for (const auto& m : list) {
    boxes.push_back(
        {{"mailbox", m.mailbox},
         {"last_success_at", opt_json(m.last_success_at)},
         {"last_error_at", opt_json(m.last_error_at)},
         {"last_error", m.last_error},
         {"backlog", m.backlog},
         {"stored", m.stored},
         {"uidvalidity", m.state ? nlohmann::ordered_json(m.state->uidvalidity) : nullptr},
         {"last_uid", m.state ? nlohmann::ordered_json(m.state->last_uid) : nullptr}});
    if (leases) {
      const storage::lease_info* l = leases->of(m.mailbox);
      boxes.back()["lease"] = l == nullptr
                                  ? nlohmann::ordered_json(nullptr)
                                  : nlohmann::ordered_json{{"holder", l->holder},
                                                           {"renewed_at", iso8601(l->heartbeat_at)},
                                                           {"expires_at", iso8601(l->expires_at)},
                                                           {"expired", l->expires_at <= now}};
    }
  }
  st.print_json({{"database",
                  {{"path", cfg->database.shown()},
                   {"damaged", !damage.empty()},
                   {"damage", damage.empty() ? nlohmann::ordered_json(nullptr)
                                             : nlohmann::ordered_json(damage)}}},
                 {"mailboxes", boxes},
                 {"daemons", daemons_json(leases)},
                 {"outbox",
                  {{"queued", ob->queued},
                   {"sending", ob->sending},
                   {"sent", ob->sent},
                   {"failed", ob->failed},
                   {"last_error", failure_json(*smtp)}}}});
}

}  // namespace

void add_status_command(CLI::App& app, cli_state& st) {
  CLI::App* cmd = app.add_subcommand(
      "status",
      "Show how intake is doing: per mailbox the last successful poll, the last error, the\n"
      "backlog (mail seen but not yet stored) and the UID checkpoint; and the outbox queue.\n"
      "The outbox line is followed by its most recent SMTP failure (when, which mail, the\n"
      "server's answer). Times are local (TZ) with their offset.\n"
      "A damaged database found by a daemon's integrity check is shown first (exit 1).\n"
      "On PostgreSQL ([database] url) each mailbox also shows which daemon holds its lease\n"
      "and until when, and the running daemons are listed with their last heartbeat.");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print JSON");
  cmd->callback([&st, json] { status_command(st, *json); });
}

}  // namespace hd::daemon
