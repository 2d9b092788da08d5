// Renders the effective configuration back to TOML for `helpdeskd config check`, every secret
// replaced by where it came from. Built as a toml::table so quoting is toml++'s, not ours.

#include "hd/common/config_describe.hpp"

#include <toml++/toml.h>

#include <sstream>

namespace hd {
namespace {

toml::array string_array(const std::vector<std::string>& v) {
  toml::array a;
  for (const std::string& s : v) a.push_back(s);
  return a;
}

toml::table mailbox_table(const mailbox_config& m) {
  toml::table t{{"name", m.name},
                {"address", m.address},
                {"host", m.host},
                {"port", m.port},
                {"tls", std::string(to_string(m.tls))},
                {"ca_file", m.ca_file},
                {"user", m.user},
                {"auth", m.auth == imap_auth::password ? "password" : "xoauth2"},
                {"password", m.password.describe()},
                {"folder", m.folder},
                {"after_import", std::string(to_string(m.action))},
                {"move_to", m.move_to},
                {"category", m.category},
                {"priority", m.priority},
                {"language", m.language},
                {"idle", m.idle},
                {"poll_interval_s", m.poll_interval_s},
                {"timeout_s", m.timeout_s},
                {"connect_timeout_s", m.connect_timeout_s}};
  if (m.oauth2) {
    t.insert("oauth2", toml::table{{"provider", m.oauth2->provider},
                                   {"tenant", m.oauth2->tenant},
                                   {"allow_http", m.oauth2->allow_http},
                                   {"token_url", m.oauth2->token_url},
                                   {"client_id", m.oauth2->client_id},
                                   {"client_secret", m.oauth2->client_secret.describe()},
                                   {"refresh_token", m.oauth2->refresh_token.describe()},
                                   {"scope", m.oauth2->scope}});
  }
  return t;
}

std::string text(const toml::node& n) {
  std::ostringstream out;
  n.visit([&out](const auto& x) { out << x; });
  return out.str();
}

/// The keys of CUR whose values differ from DEF's (recursively for tables); KEEP always stays.
toml::table changed(const toml::table& cur, const toml::table& def, std::string_view keep = {}) {
  toml::table out;
  for (const auto& [k, v] : cur) {
    const toml::node* d = def.get(k.str());
    if (d == nullptr || k.str() == keep) {
      out.insert(k, v);
    } else if (v.is_table() && d->is_table()) {
      toml::table sub = changed(*v.as_table(), *d->as_table());
      if (!sub.empty()) out.insert(k, std::move(sub));
    } else if (text(v) != text(*d)) {
      out.insert(k, v);
    }
  }
  return out;
}

toml::table effective(const config& c);

}  // namespace

std::string describe_config(const config& c) { return describe_config(c, {}); }

std::string describe_config(const config& c, const describe_options& options) {
  toml::table root = effective(c);
  if (options.only_changed) {
    // The defaults as the loader makes them from an empty file (not merely config{}).
    auto empty = parse_config("", "(defaults)", "/", {});
    config d = empty ? *empty : config{};
    d.smtp = smtp_config{};  // optional tables: compared with their defaults when present
    d.http = http_config{};
    toml::table def = effective(d);
    toml::table mailbox_default = mailbox_table(mailbox_config{});
    toml::table out = changed(root, def);
    if (const toml::array* mbs = root.get_as<toml::array>("mailbox")) {
      toml::array a;
      for (const toml::node& m : *mbs)
        if (const toml::table* t = m.as_table()) a.push_back(changed(*t, mailbox_default, "name"));
      out.insert_or_assign("mailbox", std::move(a));
    }
    root = std::move(out);
  }
  std::ostringstream out;
  if (options.json)
    out << toml::json_formatter{root} << '\n';
  else
    out << root << '\n';
  return out.str();
}

namespace {

toml::table effective(const config& c) {
  toml::table root;
  root.insert("log", toml::table{{"level", std::string(to_string(c.log))}});
  root.insert("database",
              toml::table{{"path", c.database.path},
                          {"synchronous", c.database.synchronous_full ? "full" : "normal"},
                          {"busy_timeout_ms", c.database.busy_timeout_ms},
                          {"check_on_start", c.database.check_on_start == 0   ? "off"
                                             : c.database.check_on_start == 2 ? "full"
                                                                              : "quick"},
                          {"check_every_s", c.database.check_every_s},
                          {"checkpoint_pages", c.database.checkpoint_pages},
                          {"cache_mb", c.database.cache_mb},
                          {"search_window_messages", c.database.search_window_messages},
                          {"search_candidates", c.database.search_candidates}});
  if (c.database.postgres()) {
    // The password never: a URL's is shown as ***.
    root["database"].as_table()->insert("url", c.database.shown());
    root["database"].as_table()->insert("lease_s", c.database.lease_s);
  }
  root.insert("limits", toml::table{{"max_message_bytes", c.limits.max_message_bytes},
                                    {"max_header_bytes", c.limits.max_header_bytes},
                                    {"max_mime_depth", c.limits.max_mime_depth},
                                    {"max_parts", c.limits.max_parts},
                                    {"parse_budget_ms", c.limits.parse_budget_ms},
                                    {"max_header_field_bytes", c.limits.max_header_field_bytes},
                                    {"max_header_fields", c.limits.max_header_fields},
                                    {"max_params", c.limits.max_params}});
  root.insert("imap",
              toml::table{{"max_connections_per_account", c.imap.max_connections_per_account},
                          {"max_connections_per_server", c.imap.max_connections_per_server},
                          {"max_connecting_per_server", c.imap.max_connecting_per_server}});
  root.insert("threading", toml::table{{"tag_prefix", c.threading.tag_prefix},
                                       {"tag_in_body", c.threading.tag_in_body},
                                       {"reopen_within_days", c.threading.reopen_within_days}});
  root.insert("outgoing", toml::table{{"from_name", c.outgoing.from_name},
                                      {"from_address", c.outgoing.from_address},
                                      {"message_id_domain", c.outgoing.message_id_domain},
                                      {"default_language", c.outgoing.default_language},
                                      {"templates_dir", c.outgoing.templates_dir},
                                      {"max_attachments_bytes", c.outgoing.max_attachments_bytes}});
  root.insert("ack", toml::table{{"enabled", c.ack.enabled},
                                 {"template", c.ack.template_name},
                                 {"on_followup", c.ack.on_followup},
                                 {"rate_limit_count", c.ack.rate_limit_count},
                                 {"rate_limit_window_s", c.ack.rate_limit_window_s},
                                 {"bounce_suppress_days", c.ack.bounce_suppress_days}});
  root.insert("rules", toml::table{{"file", c.rules.file},
                                   {"max_script_bytes", c.rules.max_script_bytes},
                                   {"max_nesting", c.rules.max_nesting},
                                   {"max_variable_bytes", c.rules.max_variable_bytes}});
  root.insert("companies", toml::table{{"categories", string_array(c.companies.categories)},
                                       {"industries", string_array(c.companies.industries)}});
  if (c.smtp) {
    const smtp_config& s = *c.smtp;
    root.insert("smtp", toml::table{{"host", s.host},
                                    {"port", s.port},
                                    {"tls", std::string(to_string(s.tls))},
                                    {"ca_file", s.ca_file},
                                    {"user", s.user},
                                    {"password", s.password.describe()},
                                    {"helo_name", s.helo_name},
                                    {"timeout_s", s.timeout_s},
                                    {"connect_timeout_s", s.connect_timeout_s},
                                    {"server_retry_min_s", s.server_retry_min_s},
                                    {"server_retry_max_s", s.server_retry_max_s},
                                    {"resend_in_doubt", string_array(s.resend_in_doubt)}});
  }
  if (c.http) {
    const http_config& h = *c.http;
    root.insert("http", toml::table{{"listen", h.listen},
                                    {"trusted_proxies", string_array(h.trusted_proxies)},
                                    {"workers", h.workers},
                                    {"max_connections", h.max_connections},
                                    {"max_body_bytes", h.max_body_bytes},
                                    {"max_header_bytes", h.max_header_bytes},
                                    {"read_timeout_s", h.read_timeout_s},
                                    {"write_timeout_s", h.write_timeout_s},
                                    {"idle_timeout_s", h.idle_timeout_s},
                                    {"max_json_depth", h.max_json_depth},
                                    {"session_hours", h.session_hours},
                                    {"events_wait_s", h.events_wait_s},
                                    {"max_event_waiters", h.max_event_waiters},
                                    {"login_failures_per_account", h.login_failures_per_account},
                                    {"login_failures_per_address", h.login_failures_per_address},
                                    {"login_window_s", h.login_window_s}});
  }
  toml::array mailboxes, priorities, categories, users;
  for (const mailbox_config& m : c.mailboxes) mailboxes.push_back(mailbox_table(m));
  for (const priority_config& p : c.priorities) {
    priorities.push_back(toml::table{{"name", p.name},
                                     {"first_response_hours", p.first_response_hours},
                                     {"resolution_hours", p.resolution_hours},
                                     {"default", p.is_default}});
  }
  for (const category_config& k : c.categories) {
    categories.push_back(toml::table{{"name", k.name},
                                     {"assignment", std::string(to_string(k.method))},
                                     {"members", string_array(k.members)}});
  }
  for (const user_config& u : c.users) {
    users.push_back(toml::table{{"login", u.login},
                                {"name", u.name},
                                {"email", u.email},
                                {"absent", u.absent},
                                {"signature", u.signature},
                                {"role", std::string(to_string(u.role))}});
  }
  if (!mailboxes.empty()) root.insert("mailbox", std::move(mailboxes));
  if (!priorities.empty()) root.insert("priority", std::move(priorities));
  if (!categories.empty()) root.insert("category", std::move(categories));
  if (!users.empty()) root.insert("user", std::move(users));
  toml::array webhooks;
  for (const webhook_config& w : c.webhooks) {
    webhooks.push_back(toml::table{{"name", w.name},
                                   {"url", w.url},
                                   {"events", string_array(w.events)},
                                   {"secret", w.secret_key.describe()},
                                   {"timeout_s", w.timeout_s},
                                   {"max_parallel", w.max_parallel},
                                   {"max_attempts", w.max_attempts},
                                   {"backoff_min_s", w.backoff_min_s},
                                   {"backoff_max_s", w.backoff_max_s},
                                   {"keep_days", w.keep_days}});
  }
  if (!webhooks.empty()) root.insert("webhook", std::move(webhooks));
  return root;
}

}  // namespace

}  // namespace hd
