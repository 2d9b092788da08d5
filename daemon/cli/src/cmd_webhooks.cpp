// helpdeskd webhooks list|retry: the webhook delivery log and giving a failed delivery another
// chance. The daemon delivers by itself (docs/api.md, "Webhooks").
#include "commands.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/intake/pipeline.hpp"
#include "hd/storage/webhooks.hpp"

namespace hd::daemon {
namespace {

nlohmann::ordered_json to_json(const storage::webhook_delivery& d) {
  using j = nlohmann::ordered_json;
  return {{"id", d.id},
          {"delivery_id", d.delivery_id},
          {"endpoint", d.endpoint},
          {"event", d.event},
          {"state", d.state},
          {"attempts", d.attempts},
          {"next_attempt_at", d.next_attempt_at},
          {"last_status", d.last_status ? j(*d.last_status) : j()},
          {"last_error", d.last_error ? j(*d.last_error) : j()},
          {"created_at", d.created_at},
          {"delivered_at", d.delivered_at ? j(*d.delivered_at) : j()},
          {"payload", j::parse(d.payload, nullptr, false)}};
}

void print_table(cli_state& st, const std::vector<storage::webhook_delivery>& items) {
  st.io.out << fmt::format("{:>6}  {:<9} {:<12} {:<22} {:>3}  {}\n", "id", "state", "endpoint",
                           "event", "try", "status / last error");
  for (const storage::webhook_delivery& d : items) {
    std::string last = d.last_status ? std::to_string(*d.last_status) : "";
    if (d.last_error) last += (last.empty() ? "" : " / ") + *d.last_error;
    st.io.out << fmt::format("{:>6}  {:<9} {:<12} {:<22} {:>3}  {}\n", d.id, d.state, d.endpoint,
                             d.event, d.attempts, last);
  }
}

std::optional<storage::store> open_or_fail(cli_state& st, const config& cfg) {
  auto db = open_store(cfg);
  if (!db) {
    st.fail(exit_code::temp_fail, db.error().message);
    return std::nullopt;
  }
  return std::move(*db);
}

void add_list(CLI::App* parent, cli_state& st) {
  CLI::App* cmd = parent->add_subcommand("list", "List webhook deliveries, newest first");
  auto state = std::make_shared<std::string>();
  auto endpoint = std::make_shared<std::string>();
  auto limit = std::make_shared<int>(100);
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--state", *state, "Only queued, sending, delivered or failed deliveries")
      ->check(CLI::IsMember({"queued", "sending", "delivered", "failed"}));
  cmd->add_option("--endpoint", *endpoint, "Only deliveries to this [[webhook]] name");
  cmd->add_option("--limit", *limit, "At most this many (default 100)")
      ->check(CLI::Range(1, 100000));
  cmd->add_flag("--json", *json, "Print JSON (with each payload)");
  cmd->callback([&st, state, endpoint, limit, json] {
    std::optional<config> cfg = st.load_config(false);
    if (!cfg) return;
    auto db = open_or_fail(st, *cfg);
    if (!db) return;
    storage::webhook_filter f;
    if (!state->empty()) f.state = *state;
    if (!endpoint->empty()) f.endpoint = *endpoint;
    f.limit = *limit;
    auto items = storage::list_webhook_deliveries(*db, f);
    if (!items) return st.fail(exit_code::temp_fail, items.error().message);
    if (*json) {
      nlohmann::ordered_json arr = nlohmann::ordered_json::array();
      for (const auto& d : *items) arr.push_back(to_json(d));
      st.print_json(arr);
    } else {
      print_table(st, *items);
    }
    st.exit = exit_code::ok;
  });
}

void add_retry(CLI::App* parent, cli_state& st) {
  CLI::App* cmd = parent->add_subcommand(
      "retry", "Queue a failed delivery again, due now, with its attempts counted afresh");
  auto id = std::make_shared<std::int64_t>(0);
  cmd->add_option("id", *id, "The delivery's id (the first column of `webhooks list`)")->required();
  cmd->callback([&st, id] {
    std::optional<config> cfg = st.load_config(false);
    if (!cfg) return;
    auto db = open_or_fail(st, *cfg);
    if (!db) return;
    auto r = storage::retry_webhook_delivery(*db, *id, st.io.now());
    if (!r) {
      bool theirs =
          r.error().code == storage::errc::not_found || r.error().code == storage::errc::invalid;
      return st.fail(theirs ? exit_code::data_error : exit_code::temp_fail, r.error().message);
    }
    st.io.out << fmt::format("requeued {}\n", *id);
    st.exit = exit_code::ok;
  });
}

}  // namespace

void add_webhooks_commands(CLI::App& app, cli_state& st) {
  CLI::App* hooks = app.add_subcommand("webhooks", "Webhook deliveries: list, retry");
  hooks->require_subcommand(1);
  add_list(hooks, st);
  add_retry(hooks, st);
}

}  // namespace hd::daemon
