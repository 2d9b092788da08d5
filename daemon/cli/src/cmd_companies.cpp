// helpdeskd companies list|show|add|add-domain|edit|merge: companies own persons and mail
// domains, and carry a category and an industry from the admin's lists ([companies]).
#include "commands.hpp"
#include "hd/api/json.hpp"
#include "hd/common/sysexits.hpp"
#include "json_storage.hpp"

#include <fmt/format.h>

#include <algorithm>

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
    st.io.out << fmt::format("Company {}: {}\nCategory: {}   Industry: {}\nDomains: {}\nPersons:\n",
                             c->company.id, c->company.name,
                             c->company.category.empty() ? "-" : c->company.category,
                             c->company.industry.empty() ? "-" : c->company.industry,
                             fmt::join(c->company.domains, ", "));
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
  auto id = storage::add_company(*db, o.name, o.by, st.io.now(), o.domains);
  if (!id) return fail_storage(st, id.error());
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

struct edit_options {
  std::string which, into, by = "cli";
  std::string name_arg, category_arg, industry_arg;
  std::optional<std::string> category, industry;  ///< set when given (even as '')
  storage::company_changes change;
  bool json = false;
};

// VALUE must be "" (clear) or on the admin's LIST; else a usage error naming the choices.
bool on_list(cli_state& st, const std::optional<std::string>& value,
             const std::vector<std::string>& list, std::string_view what) {
  if (!value || value->empty() || std::find(list.begin(), list.end(), *value) != list.end())
    return true;
  st.fail(exit_code::usage,
          list.empty() ? fmt::format("no company {} is declared: add {} = [...] to [companies]",
                                     what, what == "category" ? "categories" : "industries")
                       : fmt::format("'{}' is not a declared company {}: one of {}", *value, what,
                                     fmt::join(list, ", ")));
  return false;
}

void print_company(cli_state& st, storage::store& db, std::int64_t id, bool json,
                   std::string_view what) {
  auto c = storage::show_company(db, id);
  if (!c) return fail_storage(st, c.error());
  if (json) {
    st.print_json(to_json(c->company));
  } else {
    st.io.out << fmt::format("company {} '{}' {}\n", id, c->company.name, what);
  }
  st.exit = exit_code::ok;
}

void edit(cli_state& st, edit_options& o) {
  std::optional<config> cfg = st.load_config(false);
  if (!cfg) return;
  if (!on_list(st, o.category, cfg->companies.categories, "category") ||
      !on_list(st, o.industry, cfg->companies.industries, "industry"))
    return;
  auto db = open_db(st);
  if (!db) return;
  auto id = storage::find_company(*db, o.which);
  if (!id) return fail_storage(st, id.error());
  o.change.category = o.category;
  o.change.industry = o.industry;
  auto done = storage::edit_company(*db, *id, o.change, o.by, st.io.now());
  if (!done) return fail_storage(st, done.error());
  st.log.info("company.edited", {{"company", *id}});
  print_company(st, *db, *id, o.json, "changed");
}

void merge(cli_state& st, const edit_options& o) {
  auto db = open_db(st);
  if (!db) return;
  auto from = storage::find_company(*db, o.which);
  if (!from) return fail_storage(st, from.error());
  auto into = storage::find_company(*db, o.into);
  if (!into) return fail_storage(st, into.error());
  auto done = storage::merge_companies(*db, *from, *into, o.by, st.io.now());
  if (!done) return fail_storage(st, done.error());
  st.log.info("company.merged", {{"company", *from}, {"into", *into}});
  print_company(st, *db, *into, o.json, fmt::format("now includes company {}", *from));
}

void add_edit_commands(CLI::App* co, cli_state& st) {
  auto o = std::make_shared<edit_options>();
  CLI::App* e =
      co->add_subcommand("edit", "Change a company's name, category, industry or domains");
  e->add_option("COMPANY", o->which, "Company name or id")->required();
  e->add_option("--name", o->name_arg, "New name (unique)");
  e->add_option("--category", o->category_arg, "One of [companies] categories; '' clears it");
  e->add_option("--industry", o->industry_arg, "One of [companies] industries; '' clears it");
  e->add_option("--add-domain", o->change.add_domains,
                "A mail domain it owns (repeatable; persons of it with no company move under it)");
  e->add_option("--remove-domain", o->change.remove_domains,
                "A domain it no longer owns (repeatable; its persons stay)");
  e->add_option("--by", o->by, "Who does it, for the audit trail (default: cli)");
  e->add_flag("--json", o->json, "Print the company as JSON");
  e->callback([&st, o, e] {
    if (e->count("--name")) o->change.name = o->name_arg;
    if (e->count("--category")) o->category = o->category_arg;
    if (e->count("--industry")) o->industry = o->industry_arg;
    edit(st, *o);
  });

  auto m = std::make_shared<edit_options>();
  CLI::App* mc = co->add_subcommand(
      "merge", "Merge a duplicate company into another: its persons and domains move");
  mc->add_option("COMPANY", m->which, "The duplicate (name or id); it is deleted")->required();
  mc->add_option("--into", m->into, "The company to keep (name or id)")->required();
  mc->add_option("--by", m->by, "Who does it, for the audit trail (default: cli)");
  mc->add_flag("--json", m->json, "Print the kept company as JSON");
  mc->callback([&st, m] { merge(st, *m); });
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
  CLI::App* ad = co->add_subcommand(
      "add", "Create a company with its domains (all or nothing: one transaction)");
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
  add_edit_commands(co, st);
}

}  // namespace hd::daemon
