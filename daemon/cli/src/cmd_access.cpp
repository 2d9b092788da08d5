// helpdeskd users passwd | tokens create|list|revoke: who may use the HTTP API (docs/api.md).
// Passwords are stored as Argon2id hashes; a token is shown once and stored as its SHA-256.
// These commands write the database, so they are for the admin (root or the service user).
#include "commands.hpp"
#include "hd/api/auth.hpp"
#include "hd/api/json.hpp"
#include "hd/common/sysexits.hpp"
#include "hd/intake/pipeline.hpp"
#include "hd/storage/access.hpp"

#include <termios.h>
#include <unistd.h>

#include <fmt/format.h>

namespace hd::daemon {
namespace {

constexpr std::size_t min_password = 10;

const user_config* declared(cli_state& st, const config& cfg, const std::string& login) {
  if (const user_config* u = cfg.find_user(login)) return u;
  std::string known;
  for (const user_config& u : cfg.users) known += (known.empty() ? "" : ", ") + u.login;
  st.fail(exit_code::usage, fmt::format("'{}' is not a [[user]] in {}; known users: {}", login,
                                        cfg.source, known.empty() ? "(none)" : known));
  return nullptr;
}

// One line of standard input; on a terminal without echo, after PROMPT.
std::string read_secret_line(cli_state& st, const char* prompt) {
  bool tty = &st.io.in == &std::cin && isatty(STDIN_FILENO);
  termios old{};
  if (tty) {
    st.io.err << prompt << std::flush;
    tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  std::getline(st.io.in, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    st.io.err << "\n";
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

struct opened {
  config cfg;
  storage::store db;
};

std::optional<opened> open_all(cli_state& st) {
  std::optional<config> cfg = st.load_config(false);
  if (!cfg) return std::nullopt;
  auto db = open_store(*cfg);
  if (!db) {
    st.fail(exit_code::temp_fail, db.error().message);
    return std::nullopt;
  }
  return opened{std::move(*cfg), std::move(*db)};
}

void add_passwd(CLI::App& app, cli_state& st) {
  // `users` lists the config's users (cmd_dashboard.cpp); `users passwd` is added to it.
  CLI::App* users = app.get_subcommand("users");
  auto login = std::make_shared<std::string>();
  CLI::App* pw = users->add_subcommand(
      "passwd", "Set a user's password (read from standard input; asked twice on a terminal)");
  pw->add_option("login", *login, "A [[user]] login")->required();
  pw->callback([&st, login] {
    auto o = open_all(st);
    if (!o || !declared(st, o->cfg, *login)) return;
    std::string a = read_secret_line(st, "New password: ");
    bool tty = &st.io.in == &std::cin && isatty(STDIN_FILENO);
    if (tty && read_secret_line(st, "Again: ") != a)
      return st.fail(exit_code::usage, "the passwords differ; nothing was changed");
    if (a.size() < min_password) {
      return st.fail(exit_code::usage,
                     fmt::format("a password needs at least {} characters", min_password));
    }
    auto r = storage::set_password_hash(o->db, *login, hash_password(a), st.io.now());
    if (!r) return st.fail(exit_code::temp_fail, r.error().message);
    st.io.out << fmt::format("password of {} set\n", *login);
    st.exit = exit_code::ok;
  });
}

void add_tokens(CLI::App& app, cli_state& st) {
  CLI::App* tokens = app.add_subcommand("tokens", "API tokens: create, list, revoke");
  tokens->require_subcommand(1);

  struct create_opts {
    std::string as, name, scope = "read";
    bool json = false;
  };
  auto c = std::make_shared<create_opts>();
  CLI::App* cr = tokens->add_subcommand("create", "Create a token for a user (shown once)");
  cr->add_option("--as", c->as, "The user the token acts as")->required();
  cr->add_option("--name", c->name, "What it is for (e.g. \"crm sync\")")->required();
  cr->add_option("--scope", c->scope, "read (default) or write")
      ->check(CLI::IsMember({"read", "write"}));
  cr->add_flag("--json", c->json, "Print JSON");
  cr->callback([&st, c] {
    auto o = open_all(st);
    if (!o || !declared(st, o->cfg, c->as)) return;
    storage::new_token t{c->as, c->name, c->scope, "token", new_token_secret(), std::nullopt};
    auto id = storage::create_token(o->db, t, st.io.now());
    if (!id) return st.fail(exit_code::temp_fail, id.error().message);
    if (c->json) {
      st.print_json({{"id", *id},
                     {"login", c->as},
                     {"name", c->name},
                     {"scope", c->scope},
                     {"token", t.secret}});
    } else {
      st.io.out << fmt::format("token {} for {} ({}): {}\n", *id, c->as, c->scope, t.secret);
      st.io.out << "It is shown only now: keep it like a password.\n";
    }
    st.exit = exit_code::ok;
  });

  struct list_opts {
    std::string as;
    bool json = false;
  };
  auto l = std::make_shared<list_opts>();
  CLI::App* ls = tokens->add_subcommand("list", "Tokens and login sessions (never the secrets)");
  ls->add_option("--as", l->as, "Only this user's");
  ls->add_flag("--json", l->json, "Print JSON");
  ls->callback([&st, l] {
    auto o = open_all(st);
    if (!o) return;
    auto list = storage::list_tokens(o->db, l->as);
    if (!list) return st.fail(exit_code::temp_fail, list.error().message);
    nlohmann::ordered_json a = nlohmann::ordered_json::array();
    for (const auto& t : *list) {
      std::string state = t.revoked_at                                   ? "revoked"
                          : t.expires_at && *t.expires_at <= st.io.now() ? "expired"
                                                                         : "live";
      if (l->json) {
        a.push_back(
            {{"id", t.id},
             {"login", t.login},
             {"name", t.name},
             {"scope", t.scope},
             {"kind", t.kind},
             {"state", state},
             {"created_at", iso8601(t.created_at)},
             {"last_used_at", t.last_used_at ? nlohmann::ordered_json(iso8601(*t.last_used_at))
                                             : nlohmann::ordered_json(nullptr)}});
      } else {
        st.io.out << fmt::format("{:>5}  {:<12} {:<6} {:<8} {:<8} {}\n", t.id, t.login, t.scope,
                                 t.kind, state, t.name);
      }
    }
    if (l->json) st.print_json(a);
    st.exit = exit_code::ok;
  });

  auto id = std::make_shared<std::int64_t>(0);
  CLI::App* rv = tokens->add_subcommand("revoke", "Revoke a token or session at once");
  rv->add_option("id", *id, "The token's id (tokens list)")->required();
  rv->callback([&st, id] {
    auto o = open_all(st);
    if (!o) return;
    auto r = storage::revoke_token(o->db, *id, std::nullopt, st.io.now());
    if (!r) {
      return st.fail(
          r.error().code == storage::errc::not_found ? exit_code::failure : exit_code::temp_fail,
          r.error().message);
    }
    st.io.out << fmt::format("token {} revoked\n", *id);
    st.exit = exit_code::ok;
  });
}

}  // namespace

void add_access_commands(CLI::App& app, cli_state& st) {
  add_passwd(app, st);
  add_tokens(app, st);
}

}  // namespace hd::daemon
