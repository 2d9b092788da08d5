#include "hd/common/config.hpp"

#include "config_reader.hpp"
#include "hd/common/config_options.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace hd {
namespace {

using detail::config_problems;
using detail::table_reader;
namespace fs = std::filesystem;

struct context {
  config_problems& problems;
  const std::string& base_dir;
  const env_lookup& env;
  bool read_secrets = true;

  std::string path(const std::string& p) const {
    if (p.empty() || fs::path(p).is_absolute()) return p;
    return (fs::path(base_dir) / p).lexically_normal().string();
  }
};

// A secret comes from KEY_file (a file's contents, trailing newline removed) or KEY_env (an
// environment variable). Inline secrets are not accepted: config files end up in git.
secret read_secret(table_reader& r, const context& cx, const std::string& key) {
  std::string file, var;
  r.string(key + "_file", file);
  r.string(key + "_env", var);
  if (r.present(key)) {
    r.problem(key, fmt::format("inline secrets are not accepted; use {0}_file or {0}_env", key));
  }
  if (!file.empty() && !var.empty()) {
    r.problem(key + "_env", fmt::format("give either {0}_file or {0}_env, not both", key));
    return {};
  }
  if (!cx.read_secrets && (!file.empty() || !var.empty())) {
    return secret(
        "", file.empty() ? "env:" + var + " (not read)" : "file:" + cx.path(file) + " (not read)");
  }
  if (!file.empty()) {
    std::string p = cx.path(file);
    std::ifstream in(p, std::ios::binary);
    if (!in) {
      r.problem(key + "_file", fmt::format("cannot read '{}'", p));
      return {};
    }
    std::string value((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) value.pop_back();
    return secret(std::move(value), "file:" + p);
  }
  if (!var.empty()) {
    std::optional<std::string> v = cx.env ? cx.env(var) : std::nullopt;
    if (!v) {
      r.problem(key + "_env", fmt::format("environment variable '{}' is not set", var));
      return {};
    }
    return secret(std::move(*v), "env:" + var);
  }
  return {};
}

tls_mode read_tls(table_reader& r, tls_mode current) {
  return static_cast<tls_mode>(
      r.choice("tls", static_cast<int>(current), {"implicit", "starttls", "none"}));
}

void read_database(table_reader r, const context& cx, database_config& d) {
  bool has_path = r.present("path");
  r.string("path", d.path);
  d.path = cx.path(d.path);
  r.string("url", d.url);
  if (!d.url.empty() && !d.url.starts_with("postgresql://") && !d.url.starts_with("postgres://")) {
    r.problem("url", "must be a PostgreSQL URL, postgresql://USER@HOST:PORT/DATABASE");
    d.url.clear();
  }
  if (!d.url.empty() && has_path) {
    r.problem("url", "set path (SQLite) or url (PostgreSQL), not both");
  }
  d.synchronous_full = r.choice("synchronous", d.synchronous_full ? 0 : 1, {"full", "normal"}) == 0;
  r.integer("busy_timeout_ms", d.busy_timeout_ms, 0, 600000);
  r.integer("commit_batch", d.commit_batch, 1, 10000);
  r.integer("commit_batch_ms", d.commit_batch_ms, 1, 60000);
  d.check_on_start = r.choice("check_on_start", d.check_on_start, {"off", "quick", "full"});
  r.integer("check_every_s", d.check_every_s, 0, 31 * 86400);
  r.integer("checkpoint_pages", d.checkpoint_pages, 100, 1000000);
  r.integer("cache_mb", d.cache_mb, 2, 65536);
  r.integer("search_window_messages", d.search_window_messages, 1, std::int64_t{1} << 40);
  r.integer("search_candidates", d.search_candidates, 1, 1000000);
  r.integer("lease_s", d.lease_s, 3, 3600);
  r.finish();
}

void read_limits(table_reader r, limits_config& l) {
  r.integer("max_message_bytes", l.max_message_bytes, 1024, std::int64_t{1} << 34);
  r.integer("max_header_bytes", l.max_header_bytes, 1024, std::int64_t{1} << 30);
  r.integer("max_mime_depth", l.max_mime_depth, 1, 10000);
  r.integer("max_parts", l.max_parts, 1, 1000000);
  r.integer("parse_budget_ms", l.parse_budget_ms, 10, 3600000);
  r.integer("max_header_field_bytes", l.max_header_field_bytes, 1024, std::int64_t{1} << 30);
  r.integer("max_header_fields", l.max_header_fields, 10, 1000000);
  r.integer("max_params", l.max_params, 10, 1000000);
  r.finish();
}

void read_imap(table_reader r, imap_config& i) {
  r.integer("max_connections_per_account", i.max_connections_per_account, 0, 100000);
  r.integer("max_connections_per_server", i.max_connections_per_server, 0, 1000000);
  r.integer("max_connecting_per_server", i.max_connecting_per_server, 1, 10000);
  r.finish();
}

void read_threading(table_reader r, threading_config& t) {
  r.string("tag_prefix", t.tag_prefix);
  r.boolean("tag_in_body", t.tag_in_body);
  r.integer("reopen_within_days", t.reopen_within_days, 0, 36500);
  bool ok = !t.tag_prefix.empty() && t.tag_prefix.size() <= 16 &&
            std::none_of(t.tag_prefix.begin(), t.tag_prefix.end(), [](char c) {
              return c == '[' || c == ']' || (c >= '0' && c <= '9') ||
                     static_cast<unsigned char>(c) <= ' ';
            });
  if (!ok) r.problem("tag_prefix", "must be 1 to 16 characters without brackets, digits or spaces");
  r.finish();
}

void read_outgoing(table_reader r, const context& cx, outgoing_config& o) {
  r.string("from_name", o.from_name);
  r.string("from_address", o.from_address);
  r.string("message_id_domain", o.message_id_domain);
  r.string("default_language", o.default_language);
  r.string("templates_dir", o.templates_dir);
  o.templates_dir = cx.path(o.templates_dir);
  r.integer("max_attachments_bytes", o.max_attachments_bytes, 0, std::int64_t{1} << 30);
  if (o.from_address.find('@') == std::string::npos)
    r.problem("from_address", "must be an email address");
  for (const std::string* s : {&o.from_name, &o.from_address, &o.message_id_domain}) {
    if (s->find_first_of("\r\n") != std::string::npos)
      r.problem("from_name", "must not contain line breaks");
  }
  r.finish();
}

void read_ack(table_reader r, ack_config& a) {
  r.boolean("enabled", a.enabled);
  r.string("template", a.template_name);
  r.boolean("on_followup", a.on_followup);
  r.integer("rate_limit_count", a.rate_limit_count, 0, 1000000);
  r.integer("rate_limit_window_s", a.rate_limit_window_s, 1, 365 * 86400);
  r.integer("bounce_suppress_days", a.bounce_suppress_days, 0, 3650);
  r.finish();
}

void read_rules(table_reader r, const context& cx, rules_config& rc) {
  r.string("file", rc.file);
  rc.file = cx.path(rc.file);
  r.integer("max_script_bytes", rc.max_script_bytes, 1024, 64 * 1024 * 1024);
  r.integer("max_nesting", rc.max_nesting, 1, 1000);
  r.integer("max_variable_bytes", rc.max_variable_bytes, 64, 16 * 1024 * 1024);
  r.finish();
}

void read_companies(table_reader r, companies_config& cc) {
  r.strings("categories", cc.categories);
  r.strings("industries", cc.industries);
  for (const auto* list : {&cc.categories, &cc.industries}) {
    std::set<std::string> seen;
    for (const std::string& v : *list) {
      if (v.empty() || !seen.insert(v).second)
        r.problem(list == &cc.categories ? "categories" : "industries",
                  fmt::format("'{}' is empty or listed twice", v));
    }
  }
  r.finish();
}

smtp_config read_smtp(table_reader r, const context& cx) {
  smtp_config s;
  r.string("host", s.host, true);
  r.integer("port", s.port, 1, 65535);
  s.tls = read_tls(r, s.tls);
  r.string("ca_file", s.ca_file);
  s.ca_file = cx.path(s.ca_file);
  r.string("user", s.user);
  s.password = read_secret(r, cx, "password");
  r.string("helo_name", s.helo_name);
  r.integer("timeout_s", s.timeout_s, 1, 3600);
  r.integer("connect_timeout_s", s.connect_timeout_s, 1, 3600);
  r.integer("max_parallel", s.max_parallel, 1, 64);
  r.integer("server_retry_min_s", s.server_retry_min_s, 1, 3600);
  r.integer("server_retry_max_s", s.server_retry_max_s, 1, 3600);
  if (s.server_retry_max_s < s.server_retry_min_s) s.server_retry_max_s = s.server_retry_min_s;
  r.strings("resend_in_doubt", s.resend_in_doubt);
  for (const std::string& k : s.resend_in_doubt) {
    if (k != "ack" && k != "redirect" && k != "reply" && k != "forward") {
      r.problem("resend_in_doubt",
                fmt::format("'{}' is not an outbox kind (ack, redirect, reply, forward)", k));
    }
  }
  r.finish();
  return s;
}

oauth2_config read_oauth2(table_reader r, const context& cx) {
  oauth2_config o;
  r.string("provider", o.provider);
  r.string("tenant", o.tenant);
  r.string("token_url", o.token_url);
  r.string("client_id", o.client_id, true);
  o.client_secret = read_secret(r, cx, "client_secret");
  o.refresh_token = read_secret(r, cx, "refresh_token");
  r.string("scope", o.scope);
  r.boolean("allow_http", o.allow_http);
  if (o.refresh_token.empty())
    r.problem("refresh_token_file",
              "a refresh token is required (refresh_token_file or refresh_token_env)");
  if (!o.provider.empty() && o.provider != "microsoft" && o.provider != "google")
    r.problem("provider", "must be \"microsoft\" or \"google\" (or give token_url)");
  if (o.provider.empty() && o.token_url.empty())
    r.problem("token_url", "is required unless provider is \"microsoft\" or \"google\"");
  bool loopback = false;
  for (std::string_view host : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
    std::string_view rest =
        std::string_view(o.token_url).substr(std::min(o.token_url.size(), host.size()));
    if (o.token_url.starts_with(host) && (rest.empty() || rest[0] == ':' || rest[0] == '/'))
      loopback = true;
  }
  if (!o.token_url.empty() && !o.token_url.starts_with("https://") && !(o.allow_http && loopback))
    r.problem("token_url", "must be https:// (http:// only on a loopback host with allow_http)");
  r.finish();
  return o;
}

mailbox_config read_mailbox(table_reader r, const context& cx) {
  mailbox_config m;
  r.string("name", m.name, true);
  r.string("address", m.address, true);
  r.string("host", m.host);
  m.tls = read_tls(r, m.tls);
  m.port = m.tls == tls_mode::implicit ? 993 : 143;
  r.integer("port", m.port, 1, 65535);
  r.string("ca_file", m.ca_file);
  m.ca_file = cx.path(m.ca_file);
  r.string("user", m.user);
  m.auth = static_cast<imap_auth>(r.choice("auth", 0, {"password", "xoauth2"}));
  m.password = read_secret(r, cx, "password");
  if (const toml::table* o = r.table("oauth2"))
    m.oauth2 = read_oauth2(table_reader(o, r.path() + ".oauth2", cx.problems), cx);
  r.string("folder", m.folder);
  m.action =
      static_cast<after_import>(r.choice("after_import", 0, {"keep", "seen", "move", "delete"}));
  r.string("move_to", m.move_to);
  r.string("category", m.category);
  r.string("priority", m.priority);
  r.string("language", m.language);
  r.boolean("idle", m.idle);
  r.integer("poll_interval_s", m.poll_interval_s, 1, 86400);
  r.integer("timeout_s", m.timeout_s, 1, 3600);
  r.integer("connect_timeout_s", m.connect_timeout_s, 1, 3600);
  if (m.address.find('@') == std::string::npos) r.problem("address", "must be an email address");
  if (m.action == after_import::move && m.move_to.empty())
    r.problem("move_to", "is required when after_import = \"move\"");
  if (m.auth == imap_auth::xoauth2 && !m.oauth2)
    r.problem("oauth2", "auth = \"xoauth2\" needs an [mailbox.oauth2] table");
  if (m.auth == imap_auth::xoauth2 && m.user.empty())
    r.problem("user", "is required with auth = \"xoauth2\" (usually the mailbox's address)");
  r.finish();
  return m;
}

http_config read_http(table_reader r) {
  http_config h;
  r.string("listen", h.listen);
  r.strings("trusted_proxies", h.trusted_proxies);
  r.integer("workers", h.workers, 1, 64);
  r.integer("max_connections", h.max_connections, 1, 100000);
  r.integer("max_body_bytes", h.max_body_bytes, 1024, std::int64_t{1} << 32);
  r.integer("max_header_bytes", h.max_header_bytes, 1024, 1024 * 1024);
  r.integer("read_timeout_s", h.read_timeout_s, 1, 3600);
  r.integer("write_timeout_s", h.write_timeout_s, 1, 3600);
  r.integer("idle_timeout_s", h.idle_timeout_s, 1, 86400);
  r.integer("max_json_depth", h.max_json_depth, 2, 1000);
  r.integer("session_hours", h.session_hours, 1, 24 * 90);
  r.integer("events_wait_s", h.events_wait_s, 1, 300);
  r.integer("max_event_waiters", h.max_event_waiters, 0, 100000);
  r.integer("login_failures_per_account", h.login_failures_per_account, 1, 1000);
  r.integer("login_failures_per_address", h.login_failures_per_address, 1, 100000);
  r.integer("login_window_s", h.login_window_s, 1, 86400);
  if (h.listen.rfind(':') == std::string::npos)
    r.problem("listen", "must be ADDRESS:PORT, e.g. \"127.0.0.1:8025\"");
  r.finish();
  return h;
}

bool is_endpoint_name(std::string_view n) {
  return !n.empty() && n.size() <= 64 && std::all_of(n.begin(), n.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
  });
}

// A URL libcurl will POST to: http:// or https://, a host, no spaces or control characters.
bool is_webhook_url(std::string_view u) {
  std::string_view rest;
  if (u.starts_with("https://"))
    rest = u.substr(8);
  else if (u.starts_with("http://"))
    rest = u.substr(7);
  else
    return false;
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') return false;
  return std::none_of(u.begin(), u.end(),
                      [](char ch) { return static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f; });
}

webhook_config read_webhook(table_reader r, const context& cx) {
  webhook_config w;
  r.string("name", w.name, true);
  r.string("url", w.url, true);
  r.strings("events", w.events);
  bool has_secret = r.present("secret_file") || r.present("secret_env");
  w.secret_key = read_secret(r, cx, "secret");
  r.integer("timeout_s", w.timeout_s, 1, 300);
  r.integer("max_parallel", w.max_parallel, 1, 64);
  r.integer("max_attempts", w.max_attempts, 1, 1000);
  r.integer("backoff_min_s", w.backoff_min_s, 1, 86400);
  r.integer("backoff_max_s", w.backoff_max_s, 1, 7 * 86400);
  r.integer("keep_days", w.keep_days, 0, 3650);
  if (!w.name.empty() && !is_endpoint_name(w.name))
    r.problem("name", "must be 1 to 64 of a-z, 0-9, '-' and '_'");
  if (!w.url.empty() && !is_webhook_url(w.url))
    r.problem("url", "must be an http:// or https:// URL with a host (http:// is for loopback)");
  if (w.events.empty()) r.problem("events", "must name at least one event");
  for (const std::string& e : w.events) {
    const auto& known = webhook_events();
    if (std::find(known.begin(), known.end(), e) == known.end())
      r.problem("events", fmt::format("unknown event '{}' (known: {})", e, fmt::join(known, ", ")));
  }
  if (!has_secret) r.problem("secret_file", "a secret is required (secret_file or secret_env)");
  if (cx.read_secrets && !w.secret_key.empty() && w.secret_key.reveal().size() < 16)
    r.problem("secret_file", "the secret must be at least 16 bytes");
  if (w.backoff_max_s < w.backoff_min_s)
    r.problem("backoff_max_s", "must not be below backoff_min_s");
  r.finish();
  return w;
}

void read_lists(table_reader& root, const context& cx, config& c) {
  for (const toml::table* t : root.tables("webhook")) {
    c.webhooks.push_back(read_webhook(
        table_reader(t, fmt::format("webhook[{}]", c.webhooks.size()), cx.problems), cx));
  }

  for (const toml::table* t : root.tables("mailbox")) {
    c.mailboxes.push_back(read_mailbox(
        table_reader(t, fmt::format("mailbox[{}]", c.mailboxes.size()), cx.problems), cx));
  }
  for (const toml::table* t : root.tables("priority")) {
    table_reader r(t, fmt::format("priority[{}]", c.priorities.size()), cx.problems);
    priority_config p;
    r.string("name", p.name, true);
    r.integer("first_response_hours", p.first_response_hours, 0, 24 * 365);
    r.integer("resolution_hours", p.resolution_hours, 0, 24 * 365);
    r.boolean("default", p.is_default);
    r.finish();
    c.priorities.push_back(std::move(p));
  }
  for (const toml::table* t : root.tables("category")) {
    table_reader r(t, fmt::format("category[{}]", c.categories.size()), cx.problems);
    category_config k;
    r.string("name", k.name, true);
    k.method = static_cast<assignment_method>(
        r.choice("assignment", 0, {"manual", "round_robin", "fewest_open"}));
    r.strings("members", k.members);
    r.finish();
    c.categories.push_back(std::move(k));
  }
  for (const toml::table* t : root.tables("user")) {
    table_reader r(t, fmt::format("user[{}]", c.users.size()), cx.problems);
    user_config u;
    r.string("login", u.login, true);
    r.string("name", u.name);
    r.string("email", u.email);
    r.boolean("absent", u.absent);
    r.string("signature", u.signature);
    u.role = static_cast<user_role>(r.choice("role", 0, {"agent", "admin"}));
    r.finish();
    c.users.push_back(std::move(u));
  }
}

template <class T, class F>
void check_unique(const std::vector<T>& items, F name_of, const std::string& what,
                  config_problems& p) {
  std::set<std::string> seen;
  for (const T& i : items) {
    if (!seen.insert(name_of(i)).second)
      p.lines.push_back(fmt::format("{}: {} '{}' is declared twice", p.file, what, name_of(i)));
  }
}

// Checks that need the whole file: names unique, references resolve.
void cross_check(const config& c, config_problems& p) {
  check_unique(
      c.mailboxes, [](const mailbox_config& m) { return m.name; }, "mailbox", p);
  check_unique(
      c.priorities, [](const priority_config& x) { return x.name; }, "priority", p);
  check_unique(
      c.categories, [](const category_config& x) { return x.name; }, "category", p);
  check_unique(
      c.users, [](const user_config& x) { return x.login; }, "user", p);
  check_unique(
      c.webhooks, [](const webhook_config& x) { return x.name; }, "webhook", p);
  auto has = [](const auto& v, const std::string& n, auto name_of) {
    return std::any_of(v.begin(), v.end(), [&](const auto& x) { return name_of(x) == n; });
  };
  for (const category_config& k : c.categories) {
    for (const std::string& m : k.members) {
      if (!has(c.users, m, [](const user_config& u) { return u.login; })) {
        p.lines.push_back(
            fmt::format("{}: category '{}' names member '{}', who is not a declared [[user]]",
                        p.file, k.name, m));
      }
    }
  }
  for (const mailbox_config& m : c.mailboxes) {
    if (!m.category.empty() &&
        !has(c.categories, m.category, [](const category_config& k) { return k.name; })) {
      p.lines.push_back(
          fmt::format("{}: mailbox '{}' names category '{}', which is not a declared [[category]]",
                      p.file, m.name, m.category));
    }
    if (!m.priority.empty() &&
        !has(c.priorities, m.priority, [](const priority_config& k) { return k.name; })) {
      p.lines.push_back(
          fmt::format("{}: mailbox '{}' names priority '{}', which is not a declared [[priority]]",
                      p.file, m.name, m.priority));
    }
  }
  if (std::count_if(c.priorities.begin(), c.priorities.end(),
                    [](const priority_config& x) { return x.is_default; }) > 1) {
    p.lines.push_back(fmt::format("{}: more than one [[priority]] has default = true", p.file));
  }
}

}  // namespace

std::string database_config::shown() const {
  if (url.empty()) return path;
  std::string out = url;
  // postgresql://USER:PASSWORD@HOST...: the password, up to the last '@' before the path.
  std::size_t scheme = out.find("://");
  std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  std::size_t slash = out.find('/', start);
  std::size_t at = out.rfind('@', slash == std::string::npos ? std::string::npos : slash);
  if (at != std::string::npos && at >= start) {
    std::size_t colon = out.find(':', start);
    if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  // ...?password=PASSWORD&...: the parameter's value.
  for (std::size_t p = out.find("password="); p != std::string::npos;
       p = out.find("password=", p + 1)) {
    if (p > 0 && out[p - 1] != '?' && out[p - 1] != '&') continue;
    std::size_t v = p + 9, e = out.find('&', v);
    out.replace(v, (e == std::string::npos ? out.size() : e) - v, "***");
  }
  return out;
}

std::string secret::describe() const {
  if (source_.empty()) return "(none)";
  return fmt::format("{} ({} bytes, hidden)", source_, value_.size());
}

const mailbox_config* config::find_mailbox(std::string_view name) const {
  for (const mailbox_config& m : mailboxes) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

const user_config* config::find_user(std::string_view login) const {
  for (const user_config& u : users) {
    if (u.login == login) return &u;
  }
  return nullptr;
}

namespace {

result<config, config_errc> parse_with(std::string_view text, const std::string& name,
                                       const std::string& base_dir, const env_lookup& env,
                                       bool read_secrets) {
  toml::table root;
  try {
    root = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    return fail(config_errc::syntax, fmt::format("{}:{}:{}: {}", name, e.source().begin.line,
                                                 e.source().begin.column, e.description()));
  }
  config c;
  c.source = name;
  config_problems problems{name, {}};
  context cx{problems, base_dir, env, read_secrets};
  table_reader r(&root, "", problems);
  if (const toml::table* t = r.table("log")) {
    table_reader lr(t, "log", problems);
    std::string level = "info";
    lr.string("level", level);
    if (auto l = parse_log_level(level)) {
      c.log = *l;
    } else {
      lr.problem("level", "must be one of \"debug\", \"info\", \"warn\", \"error\"");
    }
    lr.finish();
  }
  read_database(table_reader(r.table("database"), "database", problems), cx, c.database);
  read_limits(table_reader(r.table("limits"), "limits", problems), c.limits);
  read_threading(table_reader(r.table("threading"), "threading", problems), c.threading);
  read_imap(table_reader(r.table("imap"), "imap", problems), c.imap);
  read_outgoing(table_reader(r.table("outgoing"), "outgoing", problems), cx, c.outgoing);
  read_ack(table_reader(r.table("ack"), "ack", problems), c.ack);
  read_rules(table_reader(r.table("rules"), "rules", problems), cx, c.rules);
  read_companies(table_reader(r.table("companies"), "companies", problems), c.companies);
  if (const toml::table* t = r.table("smtp"))
    c.smtp = read_smtp(table_reader(t, "smtp", problems), cx);
  if (const toml::table* t = r.table("http")) c.http = read_http(table_reader(t, "http", problems));
  read_lists(r, cx, c);
  r.finish();
  cross_check(c, problems);
  if (!problems.lines.empty()) {
    std::string msg;
    for (const std::string& l : problems.lines) msg += (msg.empty() ? "" : "\n") + l;
    return fail(config_errc::invalid, msg);
  }
  return c;
}

}  // namespace

const std::vector<std::string>& webhook_events() {
  static const std::vector<std::string> list = {"request.created", "message.received",
                                                "request.assigned", "request.status_changed",
                                                "message.sent"};
  return list;
}

result<config, config_errc> parse_config(std::string_view text, const std::string& name,
                                         const std::string& base_dir, const env_lookup& env) {
  return parse_with(text, name, base_dir, env, true);
}

result<config, config_errc> load_config(const std::string& file, const env_lookup& env) {
  return load_config(file, env, load_options{});
}

result<config, config_errc> load_config(const std::string& file, const env_lookup& env,
                                        const load_options& o) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    return fail(config_errc::cannot_read,
                fmt::format("{}: cannot open the configuration file", file));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string base = fs::absolute(fs::path(file)).parent_path().string();
  return parse_with(ss.str(), file, base, env, o.read_secrets);
}

std::string_view to_string(tls_mode m) {
  switch (m) {
    case tls_mode::implicit:
      return "implicit";
    case tls_mode::starttls:
      return "starttls";
    case tls_mode::none:
      return "none";
  }
  return "implicit";
}

std::string_view to_string(after_import a) {
  switch (a) {
    case after_import::keep:
      return "keep";
    case after_import::seen:
      return "seen";
    case after_import::move:
      return "move";
    case after_import::remove:
      return "delete";
  }
  return "keep";
}

std::string_view to_string(user_role r) { return r == user_role::admin ? "admin" : "agent"; }

std::string_view to_string(assignment_method m) {
  switch (m) {
    case assignment_method::manual:
      return "manual";
    case assignment_method::round_robin:
      return "round_robin";
    case assignment_method::fewest_open:
      return "fewest_open";
  }
  return "manual";
}

}  // namespace hd
