#pragma once
// Shared plumbing of the agent-workflow commands (cmd_workflow.cpp, cmd_reply.cpp): who acts,
// opening the store, reporting the outcome.

#include "commands.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/storage/workflow.hpp"

#include <memory>
#include <optional>
#include <string>

namespace hd::daemon {

struct verb_options {
  std::string as;
  bool json = false;
  std::int64_t request = 0;
};

/// The config, the store and the acting agent of one workflow command.
struct session {
  config cfg;
  storage::store db;
  storage::acting by;
};

/// Resolves the acting agent (--as, else $HELPDESKD_AGENT; must be a [[user]]), loads the
/// config and opens the store; nullopt after reporting why not (exit 64, 78 or 75).
std::optional<session> begin(cli_state& st, const verb_options& o);

/// Declares a verb taking a request id, with --as and --json.
CLI::App* verb(CLI::App* req, const char* name, const char* help, std::shared_ptr<verb_options> o);

/// The text of --text, else of --file (- for stdin); empty when neither was given.
std::string read_text(cli_state& st, const std::string& text, const std::string& file);

// Reports the outcome of a verb: a line for people, an object with --json.
template <class R>
void finish(cli_state& st, const verb_options& o, std::string_view verb, const R& r,
            nlohmann::ordered_json extra = nlohmann::ordered_json::object()) {
  if (!r.has_value()) {
    int code =
        r.error().code == storage::errc::not_found || r.error().code == storage::errc::invalid
            ? exit_code::data_error
            : exit_code::temp_fail;
    st.fail(code, r.error().message);
    return;
  }
  nlohmann::ordered_json j{{"ok", true}, {"action", verb}, {"request", o.request}};
  j.update(extra);
  if (o.json) {
    st.print_json(j);
  } else {
    if (j["request"].is_number()) {
      st.io.out << fmt::format("request #{}: {}\n", j["request"].get<std::int64_t>(), verb);
    } else {  // flag / unflag act on a message
      st.io.out << fmt::format("message #{}: {}\n", j.value("message", std::int64_t{0}), verb);
    }
  }
  st.exit = exit_code::ok;
}

}  // namespace hd::daemon
