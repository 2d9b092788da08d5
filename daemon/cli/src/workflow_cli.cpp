#include "workflow_cli.hpp"

#include "hd/intake/pipeline.hpp"

#include <fstream>
#include <iterator>

namespace hd::daemon {

std::optional<session> begin(cli_state& st, const verb_options& o) {
  std::string login = o.as;
  if (login.empty() && st.io.env) login = st.io.env("HELPDESKD_AGENT").value_or("");
  if (login.empty()) {
    st.fail(exit_code::usage, "say who you are: --as LOGIN, or set HELPDESKD_AGENT");
    return std::nullopt;
  }
  std::optional<config> cfg = st.load_config(false);
  if (!cfg) return std::nullopt;
  if (cfg->find_user(login) == nullptr) {
    st.fail(exit_code::usage, fmt::format("'{}' is not a [[user]] in {}", login, cfg->source));
    return std::nullopt;
  }
  auto db = open_store(*cfg);
  if (!db) {
    st.fail(exit_code::temp_fail, db.error().message);
    return std::nullopt;
  }
  std::int64_t now = st.io.now();
  return session{std::move(*cfg), std::move(*db), storage::acting{login, now}};
}

CLI::App* verb(CLI::App* req, const char* name, const char* help, std::shared_ptr<verb_options> o) {
  CLI::App* c = req->add_subcommand(name, help);
  c->add_option("id", o->request, "The request's number")->required();
  c->add_option("--as", o->as, "Act as this agent (a [[user]] login; default $HELPDESKD_AGENT)");
  c->add_flag("--json", o->json, "Print the outcome as JSON");
  return c;
}

std::string read_text(cli_state& st, const std::string& text, const std::string& file) {
  if (!text.empty()) return text;
  if (file.empty()) return {};
  if (file == "-") return std::string(std::istreambuf_iterator<char>(st.io.in), {});
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace hd::daemon
