// load_config without secrets: the agents' commands work without access to the mailbox
// password file (issue 15), and nothing else about the config changes.
#include "hd/common/config_options.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace {

std::string write_config(const std::string& name, const std::string& text) {
  std::filesystem::path p = std::filesystem::temp_directory_path() / name;
  std::ofstream(p) << text;
  return p.string();
}

const hd::env_lookup no_env = [](const std::string&) { return std::nullopt; };

}  // namespace

TEST_CASE("secrets that cannot be read fail a full load, not a load without secrets") {
  std::string path =
      write_config("hd_cfg_nosecrets.toml",
                   "[[mailbox]]\nname = \"support\"\naddress = \"s@example.com\"\n"
                   "password_file = \"/nonexistent/helpdeskd-pass\"\n"
                   "[smtp]\nhost = \"127.0.0.1\"\npassword_env = \"HD_UNSET_VARIABLE\"\n"
                   "[[user]]\nlogin = \"anna\"\n");
  auto full = hd::load_config(path, no_env);
  REQUIRE(!full.has_value());
  CHECK(full.error().message.find("password_file") != std::string::npos);
  auto agent = hd::load_config(path, no_env, hd::load_options{false});
  REQUIRE_MESSAGE(agent.has_value(), (agent ? "" : agent.error().message));
  CHECK(agent->mailboxes[0].password.reveal().empty());
  CHECK(agent->mailboxes[0].password.describe().find("(not read)") != std::string::npos);
  CHECK(agent->smtp->password.describe().find("env:HD_UNSET_VARIABLE") != std::string::npos);
  CHECK(agent->users[0].login == "anna");
  std::remove(path.c_str());
}

TEST_CASE("[http] and user roles") {
  std::string path = write_config("hd_cfg_http.toml",
                                  "[http]\nlisten = \"127.0.0.1:9000\"\nmax_json_depth = 5\n"
                                  "[[user]]\nlogin = \"root\"\nrole = \"admin\"\n"
                                  "[[user]]\nlogin = \"anna\"\n");
  auto c = hd::load_config(path, no_env);
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
  REQUIRE(c->http.has_value());
  CHECK(c->http->listen == "127.0.0.1:9000");
  CHECK(c->http->max_json_depth == 5);
  CHECK(c->http->read_timeout_s == 15);
  CHECK(c->users[0].role == hd::user_role::admin);
  CHECK(c->users[1].role == hd::user_role::agent);
  std::string bad =
      write_config("hd_cfg_http_bad.toml",
                   "[http]\nlisten = \"8025\"\n[[user]]\nlogin = \"x\"\nrole = \"boss\"\n");
  auto b = hd::load_config(bad, no_env);
  REQUIRE(!b.has_value());
  CHECK(b.error().message.find("listen") != std::string::npos);
  CHECK(b.error().message.find("role") != std::string::npos);
  auto none =
      hd::load_config(write_config("hd_cfg_nohttp.toml", "[[user]]\nlogin = \"x\"\n"), no_env);
  CHECK(!none->http.has_value());
  std::remove(path.c_str());
  std::remove(bad.c_str());
}
