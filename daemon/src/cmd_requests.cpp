// helpdeskd requests ...: the agent's view of requests.
#include "commands.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/daemon/pipeline.hpp"
#include "json.hpp"

namespace hd::daemon {
namespace {

struct list_options {
  std::string status, category, owner;
  bool unassigned = false;
  bool json = false;
};

void print_table(std::ostream& out, const std::vector<storage::request_summary>& rows) {
  out << fmt::format("{:>6}  {:<8}  {:<12}  {:<28}  {}\n", "ID", "STATUS", "OWNER", "FROM",
                     "TITLE");
  for (const storage::request_summary& r : rows) {
    std::string from = r.person_name.empty()
                           ? r.person_address
                           : fmt::format("{} <{}>", r.person_name, r.person_address);
    out << fmt::format("{:>6}  {:<8}  {:<12}  {:<28.28}  {}\n", r.id, r.status,
                       r.owner.empty() ? "-" : r.owner, from, r.title);
  }
}

void list_requests(cli_state& st, const list_options& o) {
  std::optional<config> cfg = st.load_config();
  if (!cfg) return;
  auto db = open_store(*cfg);
  if (!db) {
    st.fail(exit_code::temp_fail, db.error().message);
    return;
  }
  storage::request_filter f;
  if (!o.status.empty()) f.status = o.status;
  if (!o.category.empty()) f.category = o.category;
  if (!o.owner.empty()) f.owner = o.owner;
  f.unassigned = o.unassigned;
  auto rows = db->list_requests(f);
  if (!rows) {
    st.fail(exit_code::temp_fail, rows.error().message);
    return;
  }
  if (o.json) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const auto& r : *rows) a.push_back(to_json(r));
    st.print_json(a);
  } else {
    print_table(st.io.out, *rows);
  }
  st.exit = exit_code::ok;
}

}  // namespace

void add_requests_commands(CLI::App& app, cli_state& st) {
  CLI::App* req = app.add_subcommand("requests", "List and work on requests");
  req->require_subcommand(1);
  auto o = std::make_shared<list_options>();
  CLI::App* list = req->add_subcommand("list", "List requests, oldest first");
  list->add_option("--status", o->status, "open, pending, closed or merged")
      ->check(CLI::IsMember({"open", "pending", "closed", "merged"}));
  list->add_option("--category", o->category, "Only this category (queue)");
  list->add_option("--owner", o->owner, "Only requests owned by this user (login)");
  list->add_flag("--unassigned", o->unassigned, "Only requests with no owner");
  list->add_flag("--json", o->json, "Print JSON");
  list->callback([&st, o] { list_requests(st, *o); });
}

}  // namespace hd::daemon
