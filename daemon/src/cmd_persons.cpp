// helpdeskd persons list|show: the customers behind requests.
#include "commands.hpp"
#include "hd/common/sysexits.hpp"
#include "json.hpp"
#include "json_storage.hpp"

#include <fmt/format.h>

namespace hd::daemon {
namespace {

void print_persons(std::ostream& out, const std::vector<storage::person_summary>& rows) {
  out << fmt::format("{:>6}  {:<24}  {:<32}  {:<16}  {}\n", "ID", "NAME", "ADDRESS", "COMPANY",
                     "REQUESTS");
  for (const auto& p : rows) {
    out << fmt::format("{:>6}  {:<24.24}  {:<32.32}  {:<16.16}  {}\n", p.id, p.name,
                       p.addresses.empty() ? "" : p.addresses.front(),
                       p.company.empty() ? "-" : p.company, p.request_count);
  }
}

struct list_options {
  std::string company;
  bool json = false;
};

void list(cli_state& st, const list_options& o) {
  auto db = open_db(st);
  if (!db) return;
  storage::person_filter f;
  if (!o.company.empty()) {
    auto c = storage::find_company(*db, o.company);
    if (!c) return fail_storage(st, c.error());
    f.company_id = *c;
  }
  auto rows = storage::list_persons(*db, f);
  if (!rows) return fail_storage(st, rows.error());
  if (o.json) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const auto& p : *rows) a.push_back(to_json(p));
    st.print_json(a);
  } else {
    print_persons(st.io.out, *rows);
  }
  st.exit = exit_code::ok;
}

// "12" is a person id; anything with an '@' an address.
result<std::int64_t, storage::errc> resolve(storage::store& db, const std::string& who) {
  if (who.find('@') != std::string::npos) return storage::find_person(db, who);
  if (who.empty() || who.find_first_not_of("0123456789") != std::string::npos || who.size() > 15)
    return fail(storage::errc::invalid,
                fmt::format("'{}' is neither a person id nor an address", who));
  return std::stoll(who);
}

void show(cli_state& st, const std::string& who, bool json) {
  auto db = open_db(st);
  if (!db) return;
  auto id = resolve(*db, who);
  if (!id) return fail_storage(st, id.error());
  auto p = storage::show_person(*db, *id);
  if (!p) return fail_storage(st, p.error());
  if (json) {
    st.print_json(to_json(*p));
  } else {
    st.io.out << fmt::format("Person {}: {}\nAddresses: {}\nCompany: {}\n", p->person.id,
                             p->person.name, fmt::join(p->person.addresses, ", "),
                             p->person.company.empty() ? "-" : p->person.company);
    st.io.out << "Requests:\n";
    for (const auto& r : p->requests) {
      st.io.out << fmt::format("{:>6}  {:<8}  {}  {}\n", r.id, r.status, iso8601(r.created_at),
                               r.title);
    }
  }
  st.exit = exit_code::ok;
}

}  // namespace

void add_persons_commands(CLI::App& app, cli_state& st) {
  CLI::App* persons = app.add_subcommand("persons", "Customers (persons), found by address");
  persons->require_subcommand(1);
  auto o = std::make_shared<list_options>();
  CLI::App* l = persons->add_subcommand("list", "List persons");
  l->add_option("--company", o->company, "Only persons of this company (name or id)");
  l->add_flag("--json", o->json, "Print JSON");
  l->callback([&st, o] { list(st, *o); });

  auto who = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  CLI::App* s = persons->add_subcommand("show", "Show a person and their requests");
  s->add_option("PERSON", *who, "Person id or one of their addresses")->required();
  s->add_flag("--json", *json, "Print JSON");
  s->callback([&st, who, json] { show(st, *who, *json); });
}

}  // namespace hd::daemon
