// helpdeskd persons list|show|edit|merge: the customers behind requests.
#include "commands.hpp"
#include "hd/api/json.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/templates/template.hpp"
#include "json_storage.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

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
    st.io.out << fmt::format("Person {}: {}\nAddresses: {}\nCompany: {}\nLanguage: {}\n",
                             p->person.id, p->person.name, fmt::join(p->person.addresses, ", "),
                             p->person.company.empty() ? "-" : p->person.company,
                             p->language.value_or("-"));
    st.io.out << "Requests:\n";
    for (const auto& r : p->requests) {
      st.io.out << fmt::format("{:>6}  {:<8}  {}  {}\n", r.id, r.status, iso8601(r.created_at),
                               r.title);
    }
  }
  st.exit = exit_code::ok;
}

// Who an edit is recorded as: --by, else $HELPDESKD_AGENT, else "cli".
std::string actor_of(cli_state& st, const std::string& by) {
  if (!by.empty()) return by;
  std::string agent = st.io.env ? st.io.env("HELPDESKD_AGENT").value_or("") : "";
  return agent.empty() ? "cli" : agent;
}

struct edit_options {
  std::string who, by, company, into;
  std::string name_arg, language_arg;
  std::optional<std::string> name, language;  ///< set when given (even as '')
  bool no_company = false;
  storage::person_changes change;
  bool json = false;
};

// Prints person ID after a change: JSON, or one line.
void report(cli_state& st, storage::store& db, std::int64_t id, bool json, std::string_view what) {
  auto p = storage::show_person(db, id);
  if (!p) return fail_storage(st, p.error());
  if (json) {
    st.print_json(to_json(*p));
  } else {
    st.io.out << fmt::format("person {} {}: {} <{}>\n", id, what, p->person.name,
                             fmt::join(p->person.addresses, ">, <"));
  }
  st.exit = exit_code::ok;
}

void edit(cli_state& st, edit_options& o) {
  auto db = open_db(st);
  if (!db) return;
  auto id = resolve(*db, o.who);
  if (!id) return fail_storage(st, id.error());
  storage::person_changes& c = o.change;
  c.name = o.name;
  if (o.language) {
    // A tag like no, nl-BE or sv_SE; normalized as the templates' languages are.
    bool tag_chars =
        o.language->size() <= 35 &&
        std::all_of(o.language->begin(), o.language->end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_';
        });
    if (!tag_chars)
      return st.fail(exit_code::usage, fmt::format("'{}' is not a language tag", *o.language));
    c.language = templates::normalize_language(*o.language);
  }
  if (!o.company.empty()) {
    auto co = storage::find_company(*db, o.company);
    if (!co) return fail_storage(st, co.error());
    c.company_id = *co;
  }
  c.clear_company = o.no_company;
  auto done = storage::edit_person(*db, *id, c, actor_of(st, o.by), st.io.now());
  if (!done) return fail_storage(st, done.error());
  st.log.info("person.edited", {{"person", *id}});
  report(st, *db, *id, o.json, "changed");
}

void merge(cli_state& st, const edit_options& o) {
  auto db = open_db(st);
  if (!db) return;
  auto from = resolve(*db, o.who);
  if (!from) return fail_storage(st, from.error());
  auto into = resolve(*db, o.into);
  if (!into) return fail_storage(st, into.error());
  auto done = storage::merge_persons(*db, *from, *into, actor_of(st, o.by), st.io.now());
  if (!done) return fail_storage(st, done.error());
  st.log.info("person.merged", {{"person", *from}, {"into", *into}});
  report(st, *db, *into, o.json, fmt::format("now includes person {}", *from));
}

void add_edit_commands(CLI::App* persons, cli_state& st) {
  auto o = std::make_shared<edit_options>();
  CLI::App* e =
      persons->add_subcommand("edit", "Change a person's name, language, company or addresses");
  e->add_option("PERSON", o->who, "Person id or one of their addresses")->required();
  e->add_option("--name", o->name_arg, "Their name");
  e->add_option("--language", o->language_arg,
                "The language replies are written in (e.g. nl, no, sv); '' to learn it again");
  e->add_option("--company", o->company, "Move them under this company (name or id)");
  e->add_flag("--no-company", o->no_company, "They belong to no company")->excludes("--company");
  e->add_option("--add-address", o->change.add_addresses, "Another address of theirs (repeatable)");
  e->add_option("--remove-address", o->change.remove_addresses,
                "An address that is no longer theirs (repeatable; one must remain)");
  e->add_option("--by", o->by,
                "Who does it, for the audit trail (default $HELPDESKD_AGENT, else cli)");
  e->add_flag("--json", o->json, "Print the person as JSON");
  e->callback([&st, o, e] {
    if (e->count("--name")) o->name = o->name_arg;
    if (e->count("--language")) o->language = o->language_arg;
    edit(st, *o);
  });

  auto m = std::make_shared<edit_options>();
  CLI::App* mc = persons->add_subcommand(
      "merge", "Merge a duplicate person into another: addresses, requests and messages move");
  mc->add_option("PERSON", m->who, "The duplicate (id or address); it is deleted")->required();
  mc->add_option("--into", m->into, "The person to keep (id or address)")->required();
  mc->add_option("--by", m->by,
                 "Who does it, for the audit trail (default $HELPDESKD_AGENT, else cli)");
  mc->add_flag("--json", m->json, "Print the kept person as JSON");
  mc->callback([&st, m] { merge(st, *m); });
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
  add_edit_commands(persons, st);
}

}  // namespace hd::daemon
