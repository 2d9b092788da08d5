// helpdeskd companies list|show|add|add-domain: companies own persons and mail domains.
#include "commands.hpp"
#include "hd/common/sysexits.hpp"
#include "json.hpp"
#include "json_storage.hpp"

#include <fmt/format.h>

namespace hd::daemon {
namespace {

void list(cli_state& st, bool json) {
  auto db = open_db(st);
  if (!db) return;
  auto rows = storage::list_companies(*db);
  if (!rows) return fail_storage(st, rows.error());
  if (json) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const auto& c : *rows) a.push_back(to_json(c));
    st.print_json(a);
  } else {
    st.io.out << fmt::format("{:>6}  {:<24}  {:>7}  {:>8}  {}\n", "ID", "NAME", "PERSONS",
                             "REQUESTS", "DOMAINS");
    for (const auto& c : *rows) {
      st.io.out << fmt::format("{:>6}  {:<24.24}  {:>7}  {:>8}  {}\n", c.id, c.name, c.person_count,
                               c.request_count, fmt::join(c.domains, ", "));
    }
  }
  st.exit = exit_code::ok;
}

void show(cli_state& st, const std::string& which, bool json) {
  auto db = open_db(st);
  if (!db) return;
  auto id = storage::find_company(*db, which);
  if (!id) return fail_storage(st, id.error());
  auto c = storage::show_company(*db, *id);
  if (!c) return fail_storage(st, c.error());
  if (json) {
    st.print_json(to_json(*c));
  } else {
    st.io.out << fmt::format("Company {}: {}\nDomains: {}\nPersons:\n", c->company.id,
                             c->company.name, fmt::join(c->company.domains, ", "));
    for (const auto& p : c->persons) {
      st.io.out << fmt::format("{:>6}  {}  {}\n", p.id, p.name, fmt::join(p.addresses, ", "));
    }
    st.io.out << "Requests:\n";
    for (const auto& r : c->requests) {
      st.io.out << fmt::format("{:>6}  {:<8}  {}\n", r.id, r.status, r.title);
    }
  }
  st.exit = exit_code::ok;
}

struct add_options {
  std::string name;
  std::vector<std::string> domains;
  std::string by = "cli";
  bool json = false;
};

void add(cli_state& st, const add_options& o) {
  auto db = open_db(st);
  if (!db) return;
  auto id = storage::add_company(*db, o.name, o.by, st.io.now());
  if (!id) return fail_storage(st, id.error());
  for (const std::string& d : o.domains) {
    auto moved = storage::add_company_domain(*db, *id, d, o.by, st.io.now());
    if (!moved) return fail_storage(st, moved.error());
  }
  st.log.info("company.added", {{"company", *id}, {"name", o.name}});
  if (o.json) {
    st.print_json(to_json(storage::show_company(*db, *id).value().company));
  } else {
    st.io.out << fmt::format("company {} '{}' added\n", *id, o.name);
  }
  st.exit = exit_code::ok;
}

void add_domain(cli_state& st, const add_options& o) {
  auto db = open_db(st);
  if (!db) return;
  auto id = storage::find_company(*db, o.name);
  if (!id) return fail_storage(st, id.error());
  auto moved = storage::add_company_domain(*db, *id, o.domains.front(), o.by, st.io.now());
  if (!moved) return fail_storage(st, moved.error());
  st.log.info("company.domain_added",
              {{"company", *id}, {"domain", o.domains.front()}, {"moved", *moved}});
  if (o.json) {
    nlohmann::ordered_json j = to_json(storage::show_company(*db, *id).value().company);
    j["persons_moved"] = *moved;
    st.print_json(j);
  } else {
    st.io.out << fmt::format(
        "domain {} added to company {}; {} existing person(s) moved under it\n", o.domains.front(),
        *id, *moved);
  }
  st.exit = exit_code::ok;
}

}  // namespace

void add_companies_commands(CLI::App& app, cli_state& st) {
  CLI::App* co = app.add_subcommand(
      "companies", "Companies: persons belong to one; new persons from its domains join it");
  co->require_subcommand(1);
  auto json = std::make_shared<bool>(false);
  CLI::App* l = co->add_subcommand("list", "List companies with their domains");
  l->add_flag("--json", *json, "Print JSON");
  l->callback([&st, json] { list(st, *json); });

  auto which = std::make_shared<std::string>();
  CLI::App* s = co->add_subcommand("show", "Show a company, its persons and their requests");
  s->add_option("COMPANY", *which, "Company name or id")->required();
  s->add_flag("--json", *json, "Print JSON");
  s->callback([&st, which, json] { show(st, *which, *json); });

  auto a = std::make_shared<add_options>();
  CLI::App* ad = co->add_subcommand("add", "Create a company");
  ad->add_option("NAME", a->name, "Its name (unique)")->required();
  ad->add_option("--domain", a->domains, "A mail domain it owns (repeatable)");
  ad->add_option("--by", a->by, "Who does it, for the audit trail (default: cli)");
  ad->add_flag("--json", a->json, "Print JSON");
  ad->callback([&st, a] { add(st, *a); });

  auto d = std::make_shared<add_options>();
  CLI::App* dom = co->add_subcommand(
      "add-domain",
      "Give a mail domain to a company: new persons from it (and its subdomains) land under\n"
      "the company, and existing persons of that domain with no company are moved under it");
  dom->add_option("COMPANY", d->name, "Company name or id")->required();
  dom->add_option("DOMAIN", d->domains, "e.g. bigcorp.nl")->required()->expected(1);
  dom->add_option("--by", d->by, "Who does it, for the audit trail (default: cli)");
  dom->add_flag("--json", d->json, "Print JSON");
  dom->callback([&st, d] { add_domain(st, *d); });
}

}  // namespace hd::daemon
