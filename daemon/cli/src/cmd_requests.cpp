// helpdeskd requests ...: the agent's view of requests.
#include "commands.hpp"
#include "hd/api/json.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/intake/pipeline.hpp"
#include "hd/storage/views.hpp"
#include "json_storage.hpp"

#include <fmt/format.h>

#include <map>

namespace hd::daemon {
namespace {

struct list_options {
  std::string status = "active", category, owner, tag;
  bool unassigned = false;
  bool flagged = false;
  bool favourite = false;  ///< of --as (or $HELPDESKD_AGENT)
  bool overdue = false;
  std::string as;
  std::string sort = "-id";  ///< a key of sort_keys, "-" in front for descending
  bool desc = false;
  bool json = false;
};

const std::map<std::string, storage::request_sort> sort_keys{
    {"id", storage::request_sort::id},
    {"created", storage::request_sort::created},
    {"updated", storage::request_sort::updated},
    {"priority", storage::request_sort::priority},
    {"deadline", storage::request_sort::deadline}};

// The filter for O; nullopt after reporting a usage error.
std::optional<storage::request_filter> filter_of(cli_state& st, const list_options& o) {
  storage::request_filter f;
  if (o.status != "all") f.status = o.status;  // "active": open or pending (storage)
  if (!o.category.empty()) f.category = o.category;
  if (!o.owner.empty()) f.owner = o.owner;
  if (!o.tag.empty()) f.tag = o.tag;
  f.unassigned = o.unassigned;
  f.flagged = o.flagged;
  if (o.overdue) f.overdue_at = st.io.now();
  if (o.favourite) {
    std::string login = o.as;
    if (login.empty() && st.io.env) login = st.io.env("HELPDESKD_AGENT").value_or("");
    if (login.empty()) {
      st.fail(exit_code::usage, "--favourite: say whose: --as LOGIN, or set HELPDESKD_AGENT");
      return std::nullopt;
    }
    f.favourite_of = login;
  }
  std::string key = o.sort;
  f.descending = o.desc;
  if (key.starts_with('-')) {
    key.erase(0, 1);
    f.descending = !f.descending;
  }
  auto k = sort_keys.find(key);
  if (k == sort_keys.end()) {
    st.fail(
        exit_code::usage,
        fmt::format("--sort: '{}' is not one of id, created, updated, priority, deadline", o.sort));
    return std::nullopt;
  }
  f.sort = k->second;
  return f;
}

using tag_map = std::map<std::int64_t, std::vector<std::string>>;

void print_table(std::ostream& out, const std::vector<storage::request_summary>& rows,
                 const tag_map& tags) {
  out << fmt::format("{:>6}  {:<8}  {:<8}  {:<12}  {:<12}  {:<28}  {:<16}  {}\n", "ID", "STATUS",
                     "PRIORITY", "CATEGORY", "OWNER", "FROM", "TAGS", "TITLE");
  for (const storage::request_summary& r : rows) {
    std::string from = r.person_name.empty()
                           ? r.person_address
                           : fmt::format("{} <{}>", r.person_name, r.person_address);
    auto or_dash = [](const std::string& s) { return s.empty() ? std::string("-") : s; };
    auto t = tags.find(r.id);
    // Tags are never cut: a tag an agent filters on must be readable in full.
    std::string tag_text =
        t == tags.end() ? std::string("-") : fmt::format("{}", fmt::join(t->second, ","));
    out << fmt::format("{:>6}  {:<8}  {:<8}  {:<12}  {:<12}  {:<28.28}  {:<16}  {}\n", r.id,
                       r.status, or_dash(r.priority), or_dash(r.category), or_dash(r.owner), from,
                       tag_text, r.title);
  }
}

void list_requests(cli_state& st, const list_options& o) {
  std::optional<config> cfg = st.load_config(false);
  if (!cfg) return;
  auto db = open_store(*cfg);
  if (!db) {
    st.fail(exit_code::temp_fail, db.error().message);
    return;
  }
  std::optional<storage::request_filter> f = filter_of(st, o);
  if (!f) return;
  if (f->overdue_at || f->sort == storage::request_sort::deadline) {
    // Due times of new requests first, as the dashboard does.
    if (auto d = storage::apply_deadlines(*db, cfg->priorities); !d)
      return st.fail(exit_code::temp_fail, d.error().message);
  }
  auto rows = db->list_requests(*f);
  if (!rows) {
    st.fail(exit_code::temp_fail, rows.error().message);
    return;
  }
  std::vector<std::int64_t> ids;
  for (const auto& r : *rows) ids.push_back(r.id);
  auto tags = storage::tags_of(*db, ids);
  if (!tags) return st.fail(exit_code::temp_fail, tags.error().message);
  if (o.json) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const auto& r : *rows) {
      nlohmann::ordered_json j = to_json(r);
      auto t = tags->find(r.id);
      j["tags"] = t == tags->end() ? std::vector<std::string>() : t->second;
      a.push_back(std::move(j));
    }
    st.print_json(a);
  } else {
    print_table(st.io.out, *rows, *tags);
  }
  st.exit = exit_code::ok;
}

void print_message(std::ostream& out, const storage::message_detail& m) {
  const char* arrow = m.direction == "in" ? "<-" : m.direction == "out" ? "->" : "--";
  std::string from =
      m.from_name.empty() ? m.from_address : fmt::format("{} <{}>", m.from_name, m.from_address);
  out << fmt::format("\n{} message {} {} {}{}\n", arrow, m.id,
                     iso8601(m.sent_at.value_or(m.created_at)),
                     m.direction == "note" ? "note by " + m.author : from,
                     m.author.empty() || m.direction == "note" ? "" : " (" + m.author + ")");
  out << fmt::format("   Subject: {}\n", m.subject);
  for (const storage::attachment_info& a : m.attachments) {
    out << fmt::format("   Attachment {}: {} ({}, {} bytes)\n", a.position, a.filename,
                       a.content_type, a.size);
  }
  for (const std::string& d : m.defects) out << fmt::format("   Repaired: {}\n", d);
  out << "\n" << m.body_text << (m.body_text.ends_with('\n') ? "" : "\n");
}

void print_detail(std::ostream& out, const storage::request_detail& d) {
  const storage::request_summary& r = d.summary;
  out << fmt::format("Request {}: {}\n", r.id, r.title);
  out << fmt::format("Status: {}   Priority: {}   Category: {}   Owner: {}\n", r.status,
                     r.priority.empty() ? "-" : r.priority, r.category.empty() ? "-" : r.category,
                     r.owner.empty() ? "-" : r.owner);
  out << fmt::format("Person: {}{}\n",
                     r.person_name.empty()
                         ? r.person_address
                         : fmt::format("{} <{}>", r.person_name, r.person_address),
                     r.company.empty() ? "" : "  of " + r.company);
  out << fmt::format("Created: {}   Updated: {}   Mailbox: {}\n", iso8601(r.created_at),
                     iso8601(r.updated_at), r.mailbox);
  if (!d.tags.empty()) out << fmt::format("Tags: {}\n", fmt::join(d.tags, ", "));
  if (d.linked_to) out << fmt::format("Follow-up of request {}\n", *d.linked_to);
  if (d.merged_into) out << fmt::format("Merged into request {}\n", *d.merged_into);
  for (const storage::message_detail& m : d.messages) print_message(out, m);
  out << "\nEvents:\n";
  for (const storage::event_info& e : d.events) {
    out << fmt::format("  {}  {:<10} {}{}\n", iso8601(e.at), e.actor, e.kind,
                       e.detail.empty() ? "" : ": " + e.detail);
  }
}

void show_request(cli_state& st, std::int64_t id, bool json) {
  auto db = open_db(st);
  if (!db) return;
  auto d = storage::show_request(*db, id);
  if (!d) return fail_storage(st, d.error());
  if (json) {
    st.print_json(to_json(*d));
  } else {
    print_detail(st.io.out, *d);
  }
  st.exit = exit_code::ok;
}

struct search_cli {
  std::string query;
  storage::search_options opt;
  bool json = false;
};

void search_requests(cli_state& st, const search_cli& o) {
  auto db = open_db(st);
  if (!db) return;
  auto hits = storage::search_requests(*db, o.query, o.opt);
  if (!hits) return fail_storage(st, hits.error());
  if (o.json) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const auto& h : *hits) a.push_back(to_json(h));
    st.print_json(a);
  } else {
    for (const auto& h : *hits) {
      st.io.out << fmt::format("{:>6}  {:<8}  {}\n        {}\n", h.request.id, h.request.status,
                               h.request.title, h.snippet);
    }
  }
  st.exit = exit_code::ok;
}

void add_show_and_search(CLI::App* req, cli_state& st) {
  auto id = std::make_shared<std::int64_t>(0);
  auto json = std::make_shared<bool>(false);
  CLI::App* show = req->add_subcommand(
      "show",
      "Show one request: person, company, every message with its text, attachments, tags "
      "and events");
  show->add_option("ID", *id, "Request id")->required();
  show->add_flag("--json", *json, "Print JSON (everything an agent needs to answer)");
  show->callback([&st, id, json] { show_request(st, *id, *json); });

  auto o = std::make_shared<search_cli>();
  CLI::App* search = req->add_subcommand(
      "search",
      "Full-text search over subjects and message texts, best match first. QUERY uses SQLite\n"
      "FTS5 syntax: words (all must match), \"a phrase\", prefix*, OR, NOT, subject:word.\n"
      "Case and accents are ignored (cafe finds café), ß æ ø œ are read as ss ae o oe\n"
      "(grosshandler finds Großhändler), and plain words of three letters or more also find\n"
      "longer words (widget finds widgets; \"widget\" in quotes finds only widget).");
  search->add_option("QUERY", o->query, "What to look for")->required();
  search->add_flag("--literal", o->opt.literal,
                   "Take QUERY as plain words: no operator or punctuation is syntax");
  search->add_option("--limit", o->opt.limit, "At most this many requests (default 50)")
      ->check(CLI::Range(1, 10000));
  search->add_flag("--json", o->json, "Print JSON");
  search->callback([&st, o] { search_requests(st, *o); });
}

}  // namespace

void add_requests_commands(CLI::App& app, cli_state& st) {
  CLI::App* req = app.add_subcommand("requests", "List and work on requests");
  req->require_subcommand(1);
  auto o = std::make_shared<list_options>();
  CLI::App* list = req->add_subcommand(
      "list",
      "List requests: by default the newest 1,000 active (open or pending) ones, newest first;\n"
      "filters combine");
  list->add_option("--status", o->status,
                   "active (open or pending; the default), open, pending, closed, merged or all")
      ->check(CLI::IsMember({"active", "open", "pending", "closed", "merged", "all"}));
  list->add_option("--category", o->category, "Only this category (queue)");
  list->add_option("--owner", o->owner, "Only requests owned by this user (login)");
  list->add_option("--tag", o->tag,
                   "Only requests with this tag (e.g. --status all --tag automatic: automatic\n"
                   "mail that referred to no request)");
  list->add_flag("--unassigned", o->unassigned, "Only requests with no owner");
  list->add_flag("--flagged", o->flagged, "Only requests with a flagged message");
  list->add_flag("--favourite", o->favourite, "Only favourites of --as (or $HELPDESKD_AGENT)");
  list->add_flag("--overdue", o->overdue, "Only open requests past a due time");
  list->add_option("--as", o->as, "Whose favourites (a login; default $HELPDESKD_AGENT)");
  list->add_option("--sort", o->sort,
                   "id, created, updated, priority (most urgent first) or deadline (nearest\n"
                   "first); a leading - reverses (default -id: newest first), e.g. --sort=id");
  list->add_flag("--desc", o->desc, "Reverse the order");
  list->add_flag("--json", o->json, "Print JSON");
  list->callback([&st, o] { list_requests(st, *o); });
  add_show_and_search(req, st);
}

}  // namespace hd::daemon
