// helpdeskd ingest: pipe mode. A mail server (Postfix pipe(8), Dovecot, procmail, fetchmail's
// --mda) hands one message on stdin; the exit code tells it what happened (sysexits).
#include "commands.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/intake/db_health.hpp"
#include "hd/intake/pipeline.hpp"

#include <iterator>

namespace hd::daemon {

void add_ingest_command(CLI::App& app, cli_state& st) {
  CLI::App* cmd = app.add_subcommand(
      "ingest",
      "Read one RFC 5322 message on stdin and store it as a request (or a reply to one).\n"
      "Exit codes: 0 stored (or a duplicate), 65 unusable input (the raw message is kept in\n"
      "quarantine), 75 temporary failure (the mail server should retry), also for a config\n"
      "that does not load, an unknown --mailbox or a damaged database ([database]\n"
      "check_on_start), so that customer mail is never bounced for a mistake of ours; 78 when\n"
      "[database] path is not an SQLite database at all.");
  auto mailbox = std::make_shared<std::string>("stdin");
  auto json = std::make_shared<bool>(false);
  auto sender = std::make_shared<std::string>();
  auto recipients = std::make_shared<std::vector<std::string>>();
  cmd->add_option("-m,--mailbox", *mailbox,
                  "Configured mailbox the mail arrived through (category, language)");
  cmd->add_flag("--json", *json, "Print the outcome as JSON");
  cmd->add_option("-f,--envelope-from", *sender,
                  "Envelope sender, as the mail server knows it (Postfix: ${sender}); for rules");
  cmd->add_option("-r,--envelope-to", *recipients,
                  "Envelope recipient (repeatable; Postfix: ${original_recipient}); for rules");
  cmd->callback([&st, mailbox, json, sender, recipients, cmd] {
    // Our own mistakes (a config that does not load, a mailbox name the config does not
    // have) are temporary failures, never 78 or 64: Postfix's pipe(8) bounces those for good,
    // and the customer's mail must wait in the mail server's queue until the admin fixes it.
    std::optional<config> cfg = st.load_config();
    if (!cfg) {
      st.log.error("ingest.config_error",
                   {{"reason",
                     "the configuration does not load; the mail server keeps the mail "
                     "and retries (exit 75)"}});
      st.exit = exit_code::temp_fail;
      return;
    }
    if (*mailbox != "stdin" && cfg->find_mailbox(*mailbox) == nullptr) {
      std::string why = fmt::format("no [[mailbox]] named '{}' in {}", *mailbox, cfg->source);
      st.log.error("ingest.config_error",
                   {{"reason", why + "; the mail server keeps the mail and retries (exit 75)"}});
      st.fail(exit_code::temp_fail, why);
      return;
    }
    std::string raw((std::istreambuf_iterator<char>(st.io.in)), std::istreambuf_iterator<char>());
    // A damaged database is not written into (checked before it is opened for writing): the
    // mail server keeps the mail (75). A file that is no database at all is a wrong path, not
    // a passing fault: 75 would keep the mail queued until it expires, 78 says what to fix.
    auto health = check_before_intake(*cfg, st.log, "ingest", st.io.now(), ingest_check_reuse_s);
    if (!health || !health->ok) {
      bool wrong_path = !health && health.error().code == storage::errc::not_a_database;
      std::string why =
          health ? "the database is damaged: " + health->problems : health.error().message;
      st.log.error("ingest.refused", {{"mailbox", *mailbox}, {"reason", why}});
      st.fail(wrong_path ? exit_code::config : exit_code::temp_fail,
              wrong_path ? why : why + "; the mail server keeps the mail (exit 75)");
      return;
    }
    // The store is closed (and its WAL checkpointed) before the check stamp records the
    // file as we leave it: the next mail trusts the check only if nobody else changed it.
    [&] {
      auto db = open_store(*cfg);
      if (!db) {
        st.log.error("ingest.failed", {{"reason", db.error().message}});
        st.fail(db.error().code == storage::errc::not_a_database ? exit_code::config
                                                                 : exit_code::temp_fail,
                db.error().message);
        return;
      }
      storage::mail_source src{*mailbox, std::nullopt, std::nullopt, std::nullopt};
      intake_context cx{*cfg, *db};
      // Without envelope arguments the rules read it from Return-Path / Delivered-To.
      if (cmd->count("--envelope-from") > 0 || !recipients->empty()) {
        cx.envelope = rules::envelope{*sender, *recipients};
      }
      intake_result r = intake(cx, src, raw, st.io.now());
      nlohmann::ordered_json out{{"bytes", raw.size()}};
      switch (r.status) {
        case intake_status::stored:
          if (r.discarded) {
            // A rule said discard: no request, the raw mail kept with the rule's file:line.
            st.log.info(
                "ingest.discarded",
                {{"mailbox", *mailbox}, {"quarantine", r.quarantine_id}, {"reason", r.reason}});
            out.update(
                {{"result", "discarded"}, {"quarantine", r.quarantine_id}, {"reason", r.reason}});
            st.exit = exit_code::ok;
            break;
          }
          [[fallthrough]];
        case intake_status::duplicate: {
          const char* kind = r.status == intake_status::duplicate              ? "duplicate"
                             : r.outcome.kind == storage::ingest_kind::created ? "created"
                                                                               : "appended";
          st.log.info("ingest.stored", {{"mailbox", *mailbox},
                                        {"result", kind},
                                        {"request", r.outcome.request_id},
                                        {"person", r.outcome.person_id}});
          if (!r.ack_suppressed.empty()) {
            st.log.write(r.ack_problem ? log_level::warn : log_level::info, "ack.suppressed",
                         {{"mailbox", *mailbox},
                          {"request", r.outcome.request_id},
                          {"reason", r.ack_suppressed}});
          }
          out.update({{"result", kind},
                      {"request", r.outcome.request_id},
                      {"person", r.outcome.person_id}});
          st.exit = exit_code::ok;
          break;
        }
        case intake_status::quarantined:
          st.log.warn(
              "ingest.quarantined",
              {{"mailbox", *mailbox}, {"quarantine", r.quarantine_id}, {"reason", r.reason}});
          out.update(
              {{"result", "quarantined"}, {"quarantine", r.quarantine_id}, {"reason", r.reason}});
          st.exit = exit_code::data_error;
          break;
        case intake_status::temp_failure:
          st.log.error("ingest.failed", {{"mailbox", *mailbox}, {"reason", r.reason}});
          out.update({{"result", "failed"}, {"reason", r.reason}});
          st.exit = exit_code::temp_fail;
          break;
      }
      if (*json) st.print_json(out);
    }();
    note_own_write(*cfg);
  });
}

}  // namespace hd::daemon
