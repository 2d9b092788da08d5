// helpdeskd dashboard | requests next | users | categories | priorities: what an agent (or an
// admin) looks at. Due times are brought up to date from the config's priorities first.
#include "commands.hpp"
#include "hd/api/json.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/intake/pipeline.hpp"
#include "hd/storage/views.hpp"

#include <map>

namespace hd::daemon {
namespace {

struct view_options {
  std::string as;
  bool json = false;
};

// Loads the config, opens the store and applies deadlines; nullopt after reporting why not.
std::optional<std::pair<config, storage::store>> open_views(cli_state& st) {
  std::optional<config> cfg = st.load_config(false);
  if (!cfg) return std::nullopt;
  auto db = open_store(*cfg);
  if (!db) {
    st.fail(exit_code::temp_fail, db.error().message);
    return std::nullopt;
  }
  if (auto d = storage::apply_deadlines(*db, cfg->priorities); !d) {
    st.fail(exit_code::temp_fail, d.error().message);
    return std::nullopt;
  }
  return std::make_pair(std::move(*cfg), std::move(*db));
}

std::string agent_of(cli_state& st, const view_options& o) {
  std::string login = o.as;
  if (login.empty() && st.io.env) login = st.io.env("HELPDESKD_AGENT").value_or("");
  if (login.empty())
    st.fail(exit_code::usage, "say who you are: --as LOGIN, or set HELPDESKD_AGENT");
  return login;
}

// An agent must be a [[user]] of the config: a typo would show an empty day rather than an
// error. The refusal names the known logins, as transfer and assign do.
bool known_agent(cli_state& st, const config& cfg, const std::string& login) {
  std::string known;
  for (const user_config& u : cfg.users) {
    if (u.login == login) return true;
    known += (known.empty() ? "" : ", ") + u.login;
  }
  st.fail(exit_code::usage,
          fmt::format("no user '{}'; known users: {}", login,
                      known.empty() ? "(none: declare [[user]] in the config)" : known));
  return false;
}

// A section of the dashboard for a terminal; colour only when stdout is one.
void print_section(cli_state& st, std::string_view heading,
                   const std::vector<storage::queue_item>& v, std::int64_t now) {
  bool colour = st.io.out_is_terminal && !(st.io.env && st.io.env("NO_COLOR"));
  auto paint = [&](const char* code, const std::string& s) {
    return colour ? fmt::format("\033[{}m{}\033[0m", code, s) : s;
  };
  st.io.out << paint("1", fmt::format("{} ({})", heading, v.size())) << "\n";
  if (v.empty()) st.io.out << "  -\n";
  for (const storage::queue_item& q : v) {
    std::optional<std::int64_t> due =
        q.first_response_due ? q.first_response_due : q.resolution_due;
    std::string when = due ? fmt::format("due {}", iso8601(*due)) : std::string("no deadline");
    if (q.postponed_until) when = fmt::format("wakes {}", iso8601(*q.postponed_until));
    std::string line = fmt::format("  #{:<5} {:<8} {:<24.24} {:<40.40} {}", q.id, q.priority,
                                   q.person, q.title, when);
    st.io.out << (q.overdue || (due && *due < now) ? paint("31", line + "  OVERDUE") : line)
              << "\n";
  }
}

void add_dashboard(CLI::App& app, cli_state& st) {
  auto o = std::make_shared<view_options>();
  CLI::App* d = app.add_subcommand(
      "dashboard",
      "An agent's day: my open requests, the unassigned queue of my categories (nearest\n"
      "deadline first), postponed requests waking today, overdue requests, my favourites.");
  d->add_option("--as", o->as, "The agent (a [[user]] login; default $HELPDESKD_AGENT)");
  d->add_flag("--json", o->json, "Print JSON");
  d->callback([&st, o] {
    std::string login = agent_of(st, *o);
    if (login.empty()) return;
    auto opened = open_views(st);
    if (!opened || !known_agent(st, opened->first, login)) return;
    std::int64_t now = st.io.now();
    auto v = storage::dashboard(opened->second, login, now);
    if (!v) return st.fail(exit_code::temp_fail, v.error().message);
    if (o->json) {
      st.print_json({{"agent", login},
                     {"now", iso8601(now)},
                     {"mine", to_json(v->mine)},
                     {"unassigned", to_json(v->unassigned)},
                     {"waking_today", to_json(v->waking)},
                     {"overdue", to_json(v->overdue)},
                     {"favourites", to_json(v->favourites)}});
    } else {
      print_section(st, "My open requests", v->mine, now);
      print_section(st, "Unassigned in my categories", v->unassigned, now);
      print_section(st, "Waking today", v->waking, now);
      print_section(st, "Overdue", v->overdue, now);
      print_section(st, "Favourites", v->favourites, now);
    }
    st.exit = exit_code::ok;
  });
}

void add_next(CLI::App& app, cli_state& st) {
  auto o = std::make_shared<view_options>();
  CLI::App* n =
      app.get_subcommand("requests")
          ->add_subcommand(
              "next", "Take the next unassigned request of my categories, nearest deadline first");
  n->add_option("--as", o->as, "The agent (default $HELPDESKD_AGENT)");
  n->add_flag("--json", o->json, "Print JSON");
  n->callback([&st, o] {
    std::string login = agent_of(st, *o);
    if (login.empty()) return;
    auto opened = open_views(st);
    if (!opened) return;
    if (!known_agent(st, opened->first, login)) return;
    auto next = storage::take_next(opened->second, login, st.io.now());
    if (!next) return st.fail(exit_code::temp_fail, next.error().message);
    if (!next->has_value()) {
      if (o->json)
        st.print_json(nullptr);
      else
        st.io.out << "The queue is empty.\n";
      st.exit = exit_code::ok;
      return;
    }
    if (o->json)
      st.print_json(to_json(**next));
    else
      st.io.out << fmt::format("request #{} is yours: {}\n", (*next)->id, (*next)->title);
    st.exit = exit_code::ok;
  });
}

std::int64_t count_of(const std::vector<std::pair<std::string, std::int64_t>>& v,
                      const std::string& k) {
  for (const auto& [name, n] : v) {
    if (name == k) return n;
  }
  return 0;
}

// users, categories, priorities: what the config declares, with open request counts.
void add_admin_lists(CLI::App& app, cli_state& st) {
  auto json = std::make_shared<bool>(false);
  for (const char* what : {"users", "categories", "priorities"}) {
    CLI::App* c = app.add_subcommand(
        what, fmt::format("List the {} the config declares, with open requests", what));
    c->add_flag("--json", *json, "Print JSON");
    c->callback([&st, json, c, kind = std::string(what)] {
      if (!c->get_subcommands().empty()) return;  // `users passwd` (cmd_access.cpp)
      auto opened = open_views(st);
      if (!opened) return;
      const config& cfg = opened->first;
      auto counts = storage::count_open(opened->second);
      if (!counts) return st.fail(exit_code::temp_fail, counts.error().message);
      nlohmann::ordered_json rows = nlohmann::ordered_json::array();
      if (kind == "users") {
        for (const user_config& u : cfg.users) {
          rows.push_back({{"login", u.login},
                          {"name", u.name},
                          {"email", u.email},
                          {"absent", u.absent},
                          {"role", std::string(to_string(u.role))},
                          {"open", count_of(counts->by_owner, u.login)}});
        }
      } else if (kind == "categories") {
        for (const category_config& k : cfg.categories) {
          rows.push_back({{"name", k.name},
                          {"assignment", std::string(to_string(k.method))},
                          {"members", k.members},
                          {"open", count_of(counts->by_category, k.name)}});
        }
      } else {
        for (const priority_config& p : cfg.priorities) {
          rows.push_back({{"name", p.name},
                          {"first_response_hours", p.first_response_hours},
                          {"resolution_hours", p.resolution_hours},
                          {"default", p.is_default},
                          {"open", count_of(counts->by_priority, p.name)}});
        }
      }
      if (*json) {
        st.print_json(rows);
      } else {
        for (const auto& r : rows) {
          st.io.out << fmt::format("{:<20} {:>5} open\n", r.begin().value().get<std::string>(),
                                   r["open"].get<std::int64_t>());
        }
      }
      st.exit = exit_code::ok;
    });
  }
}

}  // namespace

void add_dashboard_commands(CLI::App& app, cli_state& st) {
  add_dashboard(app, st);
  add_next(app, st);
  add_admin_lists(app, st);
}

}  // namespace hd::daemon
