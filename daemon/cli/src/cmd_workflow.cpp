// helpdeskd requests create|accept|assign|transfer|note|close|reopen|postpone|set|flag|unflag|
// favourite|unfavourite|merge|split: the agent workflow. Each acts as a named agent (--as, or
// $HELPDESKD_AGENT) and records an event. Attached to the `requests` group that
// cmd_requests.cpp declares.
#include "commands.hpp"
#include "hd/api/json.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/intake/pipeline.hpp"
#include "hd/storage/directory.hpp"
#include "hd/storage/people.hpp"
#include "hd/storage/workflow.hpp"
#include "time_arg.hpp"
#include "workflow_cli.hpp"

namespace hd::daemon {
namespace {

void add_ownership_verbs(CLI::App* req, cli_state& st) {
  auto o = std::make_shared<verb_options>();
  auto force = std::make_shared<bool>(false);
  verb(req, "accept", "Take ownership of a request (--force to take it from another agent)", o)
      ->add_flag("--force", *force, "Take it over even when someone else owns it");
  req->get_subcommand("accept")->callback([&st, o, force] {
    if (auto s = begin(st, *o))
      finish(st, *o, "accepted", storage::accept_request(s->db, o->request, s->by, *force));
  });
  auto a = std::make_shared<verb_options>();
  auto owner = std::make_shared<std::string>();
  verb(req, "assign", "Make an agent the owner (--to LOGIN; --to '' to unassign)", a)
      ->add_option("--to", *owner, "The new owner's login")
      ->required();
  req->get_subcommand("assign")->callback([&st, a, owner] {
    if (auto s = begin(st, *a))
      finish(st, *a, "assigned", storage::assign_request(s->db, a->request, *owner, s->by));
  });
  auto t = std::make_shared<verb_options>();
  auto to = std::make_shared<std::string>();
  auto note = std::make_shared<std::string>();
  CLI::App* tr =
      verb(req, "transfer", "Hand a request to a colleague, with an internal note why", t);
  tr->add_option("login", *to, "The colleague's login")->required();
  tr->add_option("--note", *note, "Internal note for the colleague");
  tr->callback([&st, t, to, note] {
    if (auto s = begin(st, *t))
      finish(st, *t, "transferred",
             storage::transfer_request(s->db, t->request, *to, *note, s->by));
  });
}

void add_state_verbs(CLI::App* req, cli_state& st) {
  auto c = std::make_shared<verb_options>();
  verb(req, "close", "Close a request", c)->callback([&st, c] {
    if (auto s = begin(st, *c))
      finish(st, *c, "closed", storage::close_request(s->db, c->request, s->by));
  });
  auto r = std::make_shared<verb_options>();
  verb(req, "reopen", "Reopen a closed or postponed request", r)->callback([&st, r] {
    if (auto s = begin(st, *r))
      finish(st, *r, "reopened", storage::reopen_request(s->db, r->request, s->by));
  });
  auto p = std::make_shared<verb_options>();
  auto until = std::make_shared<std::string>();
  verb(req, "postpone", "Set a request pending until a time; it wakes up (open) then", p)
      ->add_option("--until", *until,
                   "When it wakes up, in local time (TZ):\n" + std::string(time_arg_forms()))
      ->required();
  req->get_subcommand("postpone")->callback([&st, p, until] {
    auto s = begin(st, *p);
    if (!s) return;
    std::optional<std::int64_t> t = parse_time_arg(*until, s->by.now);
    if (!t)
      return st.fail(exit_code::usage,
                     fmt::format("--until: cannot read '{}' as a time; the accepted forms are:\n{}",
                                 *until, time_arg_forms()));
    finish(st, *p, "postponed", storage::postpone_request(s->db, p->request, *t, s->by),
           {{"until", iso8601(*t)}});
    // Say when it wakes, in the zone it was read in, so a misread time is seen at once.
    if (st.exit == exit_code::ok && !p->json) st.io.out << fmt::format("wakes {}\n", iso8601(*t));
  });
  auto n = std::make_shared<verb_options>();
  auto text = std::make_shared<std::string>();
  auto file = std::make_shared<std::string>();
  CLI::App* nc = verb(req, "note", "Add an internal note (never sent to the customer)", n);
  nc->add_option("--text", *text, "The note");
  nc->add_option("--file", *file, "Read the note from a file (- for stdin)");
  nc->callback([&st, n, text, file] {
    std::string body = read_text(st, *text, *file);
    if (auto s = begin(st, *n)) {
      auto id = storage::add_note(s->db, n->request, body, s->by);
      finish(st, *n, "noted", id,
             id ? nlohmann::ordered_json{{"message", *id}} : nlohmann::ordered_json::object());
    }
  });
}

void add_attribute_verbs(CLI::App* req, cli_state& st) {
  auto o = std::make_shared<verb_options>();
  auto ch = std::make_shared<storage::request_changes>();
  auto title = std::make_shared<std::string>();
  auto priority = std::make_shared<std::string>();
  auto category = std::make_shared<std::string>();
  CLI::App* set = verb(req, "set", "Change title, priority, category or tags", o);
  set->add_option("--title", *title, "New title");
  set->add_option("--priority", *priority, "New priority (a declared [[priority]])");
  set->add_option("--category", *category, "New category (a declared [[category]])");
  set->add_option("--tag", ch->add_tags, "Add a tag (repeatable)");
  set->add_option("--untag", ch->remove_tags, "Remove a tag (repeatable)");
  set->callback([&st, o, ch, title, priority, category, set] {
    auto s = begin(st, *o);
    if (!s) return;
    if (set->count("--title")) ch->title = *title;
    if (set->count("--category")) ch->category = *category;
    if (set->count("--priority")) {
      bool known = std::any_of(s->cfg.priorities.begin(), s->cfg.priorities.end(),
                               [&](const priority_config& p) { return p.name == *priority; });
      if (!known)
        return st.fail(exit_code::usage,
                       fmt::format("'{}' is not a declared [[priority]]", *priority));
      ch->priority = *priority;
    }
    finish(st, *o, "changed", storage::set_request(s->db, o->request, *ch, s->by));
  });
  for (bool on : {true, false}) {
    auto f = std::make_shared<verb_options>();
    verb(req, on ? "favourite" : "unfavourite",
         on ? "Add to your favourites" : "Remove from your favourites", f)
        ->callback([&st, f, on] {
          if (auto s = begin(st, *f)) {
            finish(st, *f, on ? "favourited" : "unfavourited",
                   storage::favourite_request(s->db, f->request, on, s->by));
          }
        });
    auto m = std::make_shared<verb_options>();
    CLI::App* fl = req->add_subcommand(on ? "flag" : "unflag",
                                       on ? "Flag a message" : "Remove a message's flag");
    fl->add_option("message", m->request, "The message's id (see requests show)")->required();
    fl->add_option("--as", m->as, "Act as this agent (default $HELPDESKD_AGENT)");
    fl->add_flag("--json", m->json, "Print the outcome as JSON");
    fl->callback([&st, m, on] {
      if (auto s = begin(st, *m)) {
        finish(st, *m, on ? "flagged" : "unflagged",
               storage::flag_message(s->db, m->request, on, s->by),
               {{"request", nullptr}, {"message", m->request}});
      }
    });
  }
}

void add_structure_verbs(CLI::App* req, cli_state& st) {
  auto m = std::make_shared<verb_options>();
  auto into = std::make_shared<std::int64_t>(0);
  verb(req, "merge", "Merge a duplicate into another request (later mail lands there)", m)
      ->add_option("--into", *into, "The request to keep")
      ->required();
  req->get_subcommand("merge")->callback([&st, m, into] {
    if (auto s = begin(st, *m)) {
      finish(st, *m, "merged", storage::merge_request(s->db, m->request, *into, s->by),
             {{"into", *into}});
    }
  });
  auto sp = std::make_shared<verb_options>();
  auto messages = std::make_shared<std::vector<std::int64_t>>();
  verb(req, "split", "Move selected messages into a new request", sp)
      ->add_option("--message", *messages, "A message id to move (repeatable)")
      ->required();
  req->get_subcommand("split")->callback([&st, sp, messages] {
    if (auto s = begin(st, *sp)) {
      auto fresh = storage::split_request(s->db, sp->request, *messages, s->by);
      finish(st, *sp, "split", fresh,
             fresh ? nlohmann::ordered_json{{"new_request", *fresh}}
                   : nlohmann::ordered_json::object());
      // The agent's next step is the new request: say which it is.
      if (fresh && !sp->json) st.io.out << fmt::format("new request #{}\n", *fresh);
    }
  });
}

// Completes a phoned-in request: the person's address when only a name was given (an existing
// person), the default priority, and the owner the category's assignment method picks.
// Returns the owner ("" for none); nullopt after reporting a problem.
std::optional<std::string> complete(cli_state& st, session& s, storage::new_request& r) {
  if (r.person_address.empty()) {
    if (r.person_name.empty()) {
      st.fail(exit_code::usage, "who called? give --email, or --name of a known person");
      return std::nullopt;
    }
    auto id = storage::find_person_by_name(s.db, r.person_name);
    if (!id) {
      st.fail(exit_code::data_error,
              fmt::format("{}: give --email to register a new person", id.error().message));
      return std::nullopt;
    }
    auto p = storage::show_person(s.db, *id);
    if (!p || p->person.addresses.empty()) {
      st.fail(exit_code::data_error, fmt::format("person {} has no address", *id));
      return std::nullopt;
    }
    r.person_address = p->person.addresses.front();
  }
  const std::vector<priority_config>& ps = s.cfg.priorities;
  if (r.priority.empty()) {
    auto d =
        std::find_if(ps.begin(), ps.end(), [](const priority_config& p) { return p.is_default; });
    if (d != ps.end()) r.priority = d->name;
  } else if (std::none_of(ps.begin(), ps.end(),
                          [&](const priority_config& p) { return p.name == r.priority; })) {
    st.fail(exit_code::usage, fmt::format("'{}' is not a declared [[priority]]", r.priority));
    return std::nullopt;
  }
  if (r.category.empty()) return std::string();
  auto owner = storage::pick_owner(s.db, r.category);
  if (!owner) {
    st.fail(exit_code::temp_fail, owner.error().message);
    return std::nullopt;
  }
  return *owner;
}

void add_create_verb(CLI::App* req, cli_state& st) {
  auto o = std::make_shared<verb_options>();
  auto r = std::make_shared<storage::new_request>();
  auto file = std::make_shared<std::string>();
  CLI::App* c = req->add_subcommand(
      "create",
      "Register a request by hand (a phone call): the person by email, or by the name of a\n"
      "known person; with --category the category's assignment method picks the owner");
  c->add_option("--email", r->person_address, "The customer's email address");
  c->add_option("--name", r->person_name,
                "The customer's name (names a new person; alone, finds a known one)");
  c->add_option("--title", r->title, "Title")->required();
  c->add_option("--text", r->text, "What the customer said");
  c->add_option("--file", *file, "Read the text from a file (- for stdin)");
  c->add_option("--category", r->category, "Category");
  c->add_option("--priority", r->priority, "Priority");
  c->add_option("--as", o->as, "Act as this agent (default $HELPDESKD_AGENT)");
  c->add_flag("--json", o->json, "Print the outcome as JSON");
  c->callback([&st, o, r, file] {
    r->text = read_text(st, r->text, *file);
    auto s = begin(st, *o);
    if (!s) return;
    std::optional<std::string> owner = complete(st, *s, *r);
    if (!owner) return;
    auto id = storage::create_request(s->db, *r, s->by, *owner);
    if (id) o->request = *id;
    finish(st, *o, "created", id,
           {{"owner",
             owner->empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(*owner)},
            {"person", r->person_address}});
  });
}

}  // namespace

void add_workflow_commands(CLI::App& app, cli_state& st) {
  CLI::App* req = app.get_subcommand("requests");
  add_create_verb(req, st);
  add_ownership_verbs(req, st);
  add_state_verbs(req, st);
  add_attribute_verbs(req, st);
  add_structure_verbs(req, st);
}

}  // namespace hd::daemon
