// helpdeskd quarantine list|show|reprocess|drop: mail that could not become a request.
// Nothing is deleted: reprocess and drop resolve an entry and leave an event (see
// docs/storage.md, "Quarantine"); only `drop --purge` erases the raw bytes.
#include "commands.hpp"
#include "hd/api/json.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/intake/pipeline.hpp"
#include "hd/intake/reprocess.hpp"
#include "json_storage.hpp"

#include <fmt/format.h>

namespace hd::daemon {
namespace {

void print_entries(std::ostream& out, const std::vector<storage::quarantine_entry>& rows) {
  out << fmt::format("{:>6}  {:<20}  {:>9}  {:<12}  {}\n", "ID", "RECEIVED", "BYTES", "MAILBOX",
                     "REASON");
  for (const auto& q : rows) {
    out << fmt::format("{:>6}  {:<20}  {:>9}  {:<12.12}  {}{}\n", q.id, iso8601(q.created_at),
                       q.size, q.source.mailbox, q.reason,
                       q.resolution ? " [" + *q.resolution + "]" : "");
  }
}

struct options {
  std::int64_t id = 0;
  bool all = false;
  bool json = false;
  bool raw = false;
  bool purge = false;
  std::string note;
  std::string by = "cli";
};

void list(cli_state& st, const options& o) {
  auto db = open_db(st);
  if (!db) return;
  auto rows = storage::list_quarantine(*db, o.all);
  if (!rows) return fail_storage(st, rows.error());
  if (o.json) {
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const auto& q : *rows) a.push_back(to_json(q));
    st.print_json(a);
  } else {
    print_entries(st.io.out, *rows);
  }
  st.exit = exit_code::ok;
}

void show(cli_state& st, const options& o) {
  auto db = open_db(st);
  if (!db) return;
  auto q = storage::show_quarantine(*db, o.id);
  if (!q) return fail_storage(st, q.error());
  if (o.raw) {
    auto bytes = storage::quarantine_raw(*db, o.id);
    if (!bytes) return fail_storage(st, bytes.error());
    st.io.out << *bytes;
  } else if (o.json) {
    st.print_json(to_json(*q));
  } else {
    print_entries(st.io.out, {*q});
    st.io.out << fmt::format("sha256 {}{}\n", q->sha256, q->purged ? " (raw bytes purged)" : "");
  }
  st.exit = exit_code::ok;
}

void reprocess(cli_state& st, const options& o) {
  std::optional<config> cfg = st.load_config(false);
  if (!cfg) return;
  auto db = open_store(*cfg);
  if (!db) return st.fail(exit_code::temp_fail, db.error().message);
  auto done = reprocess_quarantined(intake_context{*cfg, *db}, o.id, o.by, st.io.now());
  if (!done && done.error().code == storage::errc::busy)
    return st.fail(exit_code::temp_fail, done.error().message);
  if (!done && done.error().code == storage::errc::invalid)
    return st.fail(exit_code::failure, done.error().message);
  if (!done) return fail_storage(st, done.error());
  const intake_result& r = done->result;
  st.log.info("quarantine.reprocessed",
              {{"quarantine", o.id}, {"result", *done->entry.resolution}});
  if (o.json) {
    nlohmann::ordered_json j = to_json(done->entry);
    j["request"] =
        done->request ? nlohmann::ordered_json(*done->request) : nlohmann::ordered_json(nullptr);
    j["quarantine"] = r.status == intake_status::quarantined
                          ? nlohmann::ordered_json(r.quarantine_id)
                          : nlohmann::ordered_json(nullptr);
    st.print_json(j);
  } else {
    st.io.out << fmt::format("quarantine {}: {}\n", o.id, *done->entry.resolution);
  }
  st.exit = r.status == intake_status::quarantined ? exit_code::data_error : exit_code::ok;
}

void drop(cli_state& st, const options& o) {
  auto db = open_db(st);
  if (!db) return;
  auto q = storage::drop_quarantine(*db, o.id, o.by, o.note, o.purge, st.io.now());
  if (!q) return fail_storage(st, q.error());
  st.log.info("quarantine.dropped", {{"quarantine", o.id}, {"purged", q->purged}});
  if (o.json) {
    st.print_json(to_json(*q));
  } else {
    st.io.out << fmt::format("quarantine {}: {}\n", o.id, *q->resolution);
  }
  st.exit = exit_code::ok;
}

CLI::App* with_id(CLI::App* parent, const char* name, const char* help, options& o) {
  CLI::App* c = parent->add_subcommand(name, help);
  c->add_option("ID", o.id, "Quarantine entry id")->required();
  c->add_flag("--json", o.json, "Print JSON");
  return c;
}

}  // namespace

void add_quarantine_commands(CLI::App& app, cli_state& st) {
  CLI::App* q = app.add_subcommand(
      "quarantine", "Mail that could not become a request, kept raw with the reason");
  q->require_subcommand(1);
  auto o = std::make_shared<options>();
  CLI::App* l = q->add_subcommand("list", "List unresolved entries (--all: resolved ones too)");
  l->add_flag("--all", o->all, "Include reprocessed and dropped entries");
  l->add_flag("--json", o->json, "Print JSON");
  l->callback([&st, o] { list(st, *o); });

  CLI::App* s = with_id(q, "show", "Show an entry (--raw: print the raw mail)", *o);
  s->add_flag("--raw", o->raw, "Print the raw mail bytes as received");
  s->callback([&st, o] { show(st, *o); });

  CLI::App* r = with_id(q, "reprocess",
                        "Run the raw mail through intake again (after a parser fix or a limit\n"
                        "change). The entry is resolved with what became of it; exit 65 when\n"
                        "it was quarantined again (a new entry), 75 on a temporary failure.",
                        *o);
  r->add_option("--by", o->by, "Who does it, for the audit trail (default: cli)");
  r->callback([&st, o] { reprocess(st, *o); });

  CLI::App* d = with_id(q, "drop",
                        "Resolve an entry without making a request. The entry and the raw mail\n"
                        "are kept for the audit trail unless --purge erases the bytes.",
                        *o);
  d->add_flag("--purge", o->purge, "Also erase the raw bytes (size and SHA-256 stay)");
  d->add_option("--note", o->note, "Why, for the audit trail");
  d->add_option("--by", o->by, "Who does it, for the audit trail (default: cli)");
  d->callback([&st, o] { drop(st, *o); });
}

}  // namespace hd::daemon
