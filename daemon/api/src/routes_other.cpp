// Everything but /api/requests: sessions and tokens, the dashboard, persons and companies,
// the config's users/categories/priorities/templates, quarantine and outbox (admins),
// /healthz, /metrics and the OpenAPI document.
#include "api_impl.hpp"
#include "hd/api/json.hpp"
#include "hd/intake/ack.hpp"
#include "hd/intake/agent_mail.hpp"
#include "hd/storage/agent_state.hpp"
#include "hd/storage/mailbox_state.hpp"
#include "hd/storage/outbox.hpp"
#include "hd/storage/people.hpp"
#include "hd/storage/quarantine.hpp"
#include "hd/storage/views.hpp"
#include "hd/storage/webhooks.hpp"

#include <fmt/format.h>

namespace hd::daemon::api_detail {
namespace {

// True when the browser reached us over HTTPS (through a proxy that says so).
bool over_https(const http::request& req) {
  std::optional<std::string_view> p = req.header("x-forwarded-proto");
  return p && *p == "https";
}

json user_json(const user_config& u) {
  return {{"login", u.login},
          {"name", u.name},
          {"email", u.email},
          {"role", to_string(u.role)},
          {"absent", u.absent}};
}

json token_json(const storage::token_info& t) {
  auto opt_time = [](const std::optional<std::int64_t>& v) {
    return v ? json(iso8601(*v)) : json(nullptr);
  };
  return {{"id", t.id},
          {"login", t.login},
          {"name", t.name},
          {"scope", t.scope},
          {"kind", t.kind},
          {"created_at", iso8601(t.created_at)},
          {"expires_at", opt_time(t.expires_at)},
          {"last_used_at", opt_time(t.last_used_at)},
          {"revoked_at", opt_time(t.revoked_at)}};
}

// A hash to verify against when the login is unknown, so that a wrong login takes as long as
// a wrong password (no user enumeration by timing).
const std::string& dummy_hash() {
  static const std::string h = hash_password("not a password: helpdeskd timing equaliser");
  return h;
}

http::response login(context& cx) {
  http::response err;
  std::optional<json> b = body_object(cx, err);
  if (!b) return err;
  std::string who = b->value("login", std::string());
  std::string password = b->value("password", std::string());
  if (who.empty() || password.empty())
    return fail(422, "invalid", "give \"login\" and \"password\"");
  bool cookie = b->value("cookie", false);
  if (cookie) {
    // A page elsewhere must not log the browser in to an account of its choosing: a form
    // cannot send JSON, and browsers say where a fetch came from.
    std::optional<std::string_view> type = cx.req.header("content-type");
    std::optional<std::string_view> site = cx.req.header("sec-fetch-site");
    if (!type || !type->starts_with("application/json") || (site && *site != "same-origin"))
      return fail(403, "csrf", "a cookie login must come from the app's own page as JSON");
  }
  const http_config h = cx.cfg.http.value_or(http_config{});
  if (cx.env.limiter) {
    if (auto wait = cx.env.limiter->blocked(who, cx.req.client, cx.now)) {
      http::response r = fail(429, "too_many_attempts",
                              fmt::format("too many failed logins; try again in {} s", *wait));
      r.headers.emplace_back("Retry-After", std::to_string(*wait));
      return r;
    }
  }
  const user_config* u = cx.cfg.find_user(who);
  auto stored = u ? storage::password_hash(cx.db, who) : storage::password_hash(cx.db, "");
  if (!stored) return storage_failure(cx, stored.error());
  bool good = u && *stored && verify_password(**stored, password);
  if (!u || !*stored) verify_password(dummy_hash(), password);
  if (!good) {
    if (cx.env.limiter) cx.env.limiter->failed(who, cx.req.client, cx.now);
    if (cx.env.log)
      cx.env.log->warn("api_login_failed", {{"login", who}, {"client", cx.req.client}});
    return fail(401, "bad_login", "wrong login or password");
  }
  if (cx.env.limiter) cx.env.limiter->succeeded(who);
  storage::new_token t{
      who,       "login session",    "write",
      "session", new_token_secret(), cx.now + std::int64_t{h.session_hours} * 3600};
  auto id = storage::create_token(cx.db, t, cx.now);
  if (!id) return storage_failure(cx, id.error());
  if (cx.env.log) cx.env.log->info("api_login", {{"login", who}, {"client", cx.req.client}});
  if (cookie) {
    // The web app: the secret goes only into an HttpOnly cookie; the page gets the CSRF token.
    http::response r = ok(json{{"login", who},
                               {"role", to_string(u->role)},
                               {"csrf", csrf_token(t.secret)},
                               {"expires_at", iso8601(*t.expires_at)}},
                          201);
    r.headers.emplace_back("Set-Cookie",
                           session_cookie(t.secret, *t.expires_at - cx.now, over_https(cx.req)));
    return r;
  }
  return ok(json{{"token", t.secret},
                 {"token_id", *id},
                 {"login", who},
                 {"role", to_string(u->role)},
                 {"expires_at", iso8601(*t.expires_at)}},
            201);
}

http::response logout(context& cx) {
  auto r = storage::revoke_token(cx.db, cx.who->token_id, cx.who->login, cx.now);
  if (!r) return storage_failure(cx, r.error());
  http::response res = ok(json{{"ok", true}, {"action", "logged_out"}});
  if (!cx.who->csrf.empty())
    res.headers.emplace_back("Set-Cookie", session_cookie("", 0, over_https(cx.req)));
  return res;
}

http::response me(context& cx) {
  json j = user_json(*cx.cfg.find_user(cx.who->login));
  j["scope"] = cx.who->scope;
  if (!cx.who->csrf.empty()) j["csrf"] = cx.who->csrf;
  auto prefs = storage::preferences(cx.db, cx.who->login);
  if (!prefs) return storage_failure(cx, prefs.error());
  j["language"] = prefs->language;
  j["time_zone"] = prefs->time_zone;
  return ok(j);
}

http::response list_tokens(context& cx) {
  bool all = cx.req.param("all") == "true" && cx.who->role == user_role::admin;
  auto list = storage::list_tokens(cx.db, all ? "" : cx.who->login);
  if (!list) return storage_failure(cx, list.error());
  json a = json::array();
  for (const auto& t : *list) a.push_back(token_json(t));
  return ok(json{{"tokens", a}});
}

http::response create_token(context& cx) {
  http::response err;
  std::optional<json> b = body_object(cx, err);
  if (!b) return err;
  storage::new_token t{cx.who->login,
                       b->value("name", std::string()),
                       b->value("scope", std::string("read")),
                       "token",
                       new_token_secret(),
                       std::nullopt};
  if (t.name.empty()) return fail(422, "invalid", "give \"name\": what the token is for");
  auto id = storage::create_token(cx.db, t, cx.now);
  if (!id) return storage_failure(cx, id.error());
  return ok(json{{"id", *id}, {"token", t.secret}, {"name", t.name}, {"scope", t.scope}}, 201);
}

http::response revoke_token(context& cx) {
  std::optional<std::int64_t> id = cx.id_arg(0);
  if (!id) return fail(404, "not_found", "there is no such token");
  std::optional<std::string> owner;
  if (cx.who->role != user_role::admin) owner = cx.who->login;
  auto r = storage::revoke_token(cx.db, *id, owner, cx.now);
  if (!r) return storage_failure(cx, r.error());
  return ok(json{{"ok", true}, {"action", "revoked"}, {"token", *id}});
}

http::response dashboard(context& cx) {
  auto v = storage::dashboard(cx.db, cx.who->login, cx.now);
  if (!v) return storage_failure(cx, v.error());
  json j{{"agent", cx.who->login},
         {"mine", to_json(v->mine)},
         {"unassigned", to_json(v->unassigned)},
         {"waking_today", to_json(v->waking)},
         {"overdue", to_json(v->overdue)},
         {"favourites", to_json(v->favourites)}};
  for (const char* k : {"mine", "unassigned", "waking_today", "overdue", "favourites"})
    mark_unread(cx, j[k]);
  return ok(j);
}

http::response persons(context& cx) {
  storage::person_filter f;
  f.limit = 500;
  auto list = storage::list_persons(cx.db, f);
  if (!list) return storage_failure(cx, list.error());
  json a = json::array();
  for (const auto& p : *list) a.push_back(to_json(p));
  return ok(json{{"persons", a}});
}

http::response person(context& cx) {
  std::optional<std::int64_t> id = cx.id_arg(0);
  if (!id) return fail(404, "not_found", "there is no such person");
  auto p = storage::show_person(cx.db, *id);
  if (!p) return storage_failure(cx, p.error());
  return ok(to_json(*p));
}

http::response companies(context& cx) {
  auto list = storage::list_companies(cx.db);
  if (!list) return storage_failure(cx, list.error());
  json a = json::array();
  for (const auto& c : *list) a.push_back(to_json(c));
  return ok(json{{"companies", a}});
}

http::response company(context& cx) {
  std::optional<std::int64_t> id = cx.id_arg(0);
  if (!id) return fail(404, "not_found", "there is no such company");
  auto c = storage::show_company(cx.db, *id);
  if (!c) return storage_failure(cx, c.error());
  return ok(to_json(*c));
}

http::response users(context& cx) {
  json a = json::array();
  for (const user_config& u : cx.cfg.users) a.push_back(user_json(u));
  return ok(json{{"users", a}});
}

http::response categories(context& cx) {
  json a = json::array();
  for (const category_config& k : cx.cfg.categories)
    a.push_back({{"name", k.name}, {"assignment", to_string(k.method)}, {"members", k.members}});
  return ok(json{{"categories", a}});
}

http::response priorities(context& cx) {
  json a = json::array();
  for (const priority_config& p : cx.cfg.priorities) {
    a.push_back({{"name", p.name},
                 {"first_response_hours", p.first_response_hours},
                 {"resolution_hours", p.resolution_hours},
                 {"default", p.is_default}});
  }
  return ok(json{{"priorities", a}});
}

http::response templates_list(context& cx) {
  reply_kit kit = load_reply_kit(cx.cfg.outgoing.templates_dir);
  json a = json::array();
  for (const std::string& n : kit.templates.names())
    a.push_back({{"name", n}, {"languages", kit.templates.languages(n)}});
  return ok(json{{"templates", a}});
}

// Renders template {name} for a request, as a reply would be, without sending anything.
http::response template_preview(context& cx) {
  http::response err;
  std::optional<json> b = body_object(cx, err);
  if (!b) return err;
  auto req = b->find("request");
  if (req == b->end() || !req->is_number_integer())
    return fail(422, "invalid", "give \"request\": the id of the request to render for");
  auto facts = storage::reply_facts_of(cx.db, req->get<std::int64_t>());
  if (!facts) return storage_failure(cx, facts.error());
  agent_mail_request r;
  r.template_name = cx.args.at(0);
  r.text = b->value("text", std::string());
  auto m = compose_agent_mail(cx.cfg, *facts, cx.who->login, cx.now, r);
  if (!m) return fail(422, "invalid", m.error().message);
  return ok(json{{"template", r.template_name},
                 {"language", m->language},
                 {"to", m->to},
                 {"subject", m->mail.subject},
                 {"text", m->mail.text}});
}

http::response quarantine(context& cx) {
  auto list = storage::list_quarantine(cx.db, cx.req.param("all") == "true");
  if (!list) return storage_failure(cx, list.error());
  json a = json::array();
  for (const auto& q : *list) a.push_back(to_json(q));
  return ok(json{{"quarantine", a}});
}

http::response outbox(context& cx) {
  storage::outbox_filter f;
  f.limit = 500;
  if (auto s = cx.req.param("status")) f.status = std::string(*s);
  auto list = storage::list_outbox(cx.db, f);
  if (!list) return storage_failure(cx, list.error());
  json a = json::array();
  for (const auto& o : *list) {
    a.push_back({{"id", o.id},
                 {"request", o.request_id ? json(*o.request_id) : json(nullptr)},
                 {"kind", o.kind},
                 {"recipients", o.recipients},
                 {"status", o.status},
                 {"attempts", o.attempts},
                 {"next_attempt_at", iso8601(o.next_attempt_at)},
                 {"last_error", o.last_error ? json(*o.last_error) : json(nullptr)},
                 {"created_at", iso8601(o.created_at)},
                 {"sent_at", o.sent_at ? json(iso8601(*o.sent_at)) : json(nullptr)}});
  }
  return ok(json{{"outbox", a}});
}

http::response healthz(context& cx) {
  auto v = cx.db.version();
  if (!v) return fail(503, "database_unavailable", "the database cannot be read");
  return ok(json{{"status", "ok"}, {"schema", *v}});
}

http::response openapi(context& cx) {
  http::response r;
  r.body = cx.env.openapi;
  return r;
}

// A Prometheus label value: backslash, quote and newline escaped.
std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? std::string("\\n") : std::string(1, c);
  }
  return out;
}

void http_metrics(std::string& out, const http::server_stats& s) {
  out +=
      "# HELP helpdeskd_http_requests_total HTTP requests answered, by status class.\n"
      "# TYPE helpdeskd_http_requests_total counter\n";
  for (int c = 1; c <= 5; ++c)
    out += fmt::format("helpdeskd_http_requests_total{{code=\"{}xx\"}} {}\n", c,
                       s.by_class[static_cast<std::size_t>(c)].load());
  out +=
      "# HELP helpdeskd_http_request_duration_seconds Time from a whole request to its answer.\n"
      "# TYPE helpdeskd_http_request_duration_seconds histogram\n";
  std::uint64_t cum = 0;
  for (std::size_t i = 0; i < http::server_stats::bounds.size(); ++i) {
    cum += s.buckets[i].load();
    out += fmt::format("helpdeskd_http_request_duration_seconds_bucket{{le=\"{}\"}} {}\n",
                       http::server_stats::bounds[i], cum);
  }
  cum += s.buckets.back().load();
  out += fmt::format("helpdeskd_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", cum);
  out += fmt::format("helpdeskd_http_request_duration_seconds_sum {}\n",
                     static_cast<double>(s.latency_micros.load()) / 1e6);
  out += fmt::format("helpdeskd_http_request_duration_seconds_count {}\n", cum);
  out += fmt::format(
      "# HELP helpdeskd_http_connections Open HTTP connections.\n"
      "# TYPE helpdeskd_http_connections gauge\n"
      "helpdeskd_http_connections {}\n",
      s.connections_open.load());
  out += fmt::format(
      "# HELP helpdeskd_http_refused_total Connections refused or cut off "
      "(too many, too slow, too large, malformed).\n"
      "# TYPE helpdeskd_http_refused_total counter\n"
      "helpdeskd_http_refused_total{{reason=\"connections\"}} {}\n"
      "helpdeskd_http_refused_total{{reason=\"limits\"}} {}\n",
      s.connections_refused.load(), s.cut_off.load());
}

http::response metrics(context& cx) {
  auto boxes = storage::list_mailbox_status(cx.db);
  if (!boxes) return storage_failure(cx, boxes.error());
  auto ob = storage::count_outbox(cx.db);
  if (!ob) return storage_failure(cx, ob.error());
  std::string out;
  out +=
      "# HELP helpdeskd_mail_stored_total Mails stored, by mailbox.\n"
      "# TYPE helpdeskd_mail_stored_total counter\n";
  for (const auto& m : *boxes)
    out += fmt::format("helpdeskd_mail_stored_total{{mailbox=\"{}\"}} {}\n", label(m.mailbox),
                       m.stored);
  out +=
      "# HELP helpdeskd_mailbox_lag_seconds Seconds since the mailbox was last polled "
      "successfully.\n# TYPE helpdeskd_mailbox_lag_seconds gauge\n";
  for (const auto& m : *boxes) {
    if (m.last_success_at)
      out += fmt::format("helpdeskd_mailbox_lag_seconds{{mailbox=\"{}\"}} {}\n", label(m.mailbox),
                         cx.now - *m.last_success_at);
  }
  out +=
      "# HELP helpdeskd_mailbox_backlog Mails waiting in the mailbox at the last poll.\n"
      "# TYPE helpdeskd_mailbox_backlog gauge\n";
  for (const auto& m : *boxes)
    out += fmt::format("helpdeskd_mailbox_backlog{{mailbox=\"{}\"}} {}\n", label(m.mailbox),
                       m.backlog);
  out += fmt::format(
      "# HELP helpdeskd_outbox_messages Outgoing mails (acknowledgements, replies, forwards), "
      "by state.\n# TYPE helpdeskd_outbox_messages gauge\n"
      "helpdeskd_outbox_messages{{status=\"queued\"}} {}\n"
      "helpdeskd_outbox_messages{{status=\"sending\"}} {}\n"
      "helpdeskd_outbox_messages{{status=\"sent\"}} {}\n"
      "helpdeskd_outbox_messages{{status=\"failed\"}} {}\n",
      ob->queued, ob->sending, ob->sent, ob->failed);
  auto hooks = storage::webhook_delivery_counts(cx.db);
  if (!hooks) return storage_failure(cx, hooks.error());
  out +=
      "# HELP helpdeskd_webhook_deliveries Webhook deliveries, by state.\n"
      "# TYPE helpdeskd_webhook_deliveries gauge\n";
  for (const char* state : {"queued", "sending", "delivered", "failed"}) {
    std::int64_t n = 0;
    for (const auto& [k, v] : *hooks) n += k == state ? v : 0;
    out += fmt::format("helpdeskd_webhook_deliveries{{state=\"{}\"}} {}\n", state, n);
  }
  if (cx.env.stats) http_metrics(out, *cx.env.stats);
  http::response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = std::move(out);
  return r;
}

}  // namespace

std::vector<route> other_routes() {
  return {
      {{"GET", "/healthz", access::open}, healthz},
      {{"GET", "/metrics", access::read}, metrics},
      {{"GET", "/api/openapi.json", access::open}, openapi},
      {{"POST", "/api/login", access::open}, login},
      {{"POST", "/api/logout", access::read}, logout},
      {{"GET", "/api/me", access::read}, me},
      {{"GET", "/api/tokens", access::read}, list_tokens},
      {{"POST", "/api/tokens", access::write}, create_token},
      {{"DELETE", "/api/tokens/{id}", access::write}, revoke_token},
      {{"GET", "/api/dashboard", access::read}, dashboard},
      {{"GET", "/api/persons", access::read}, persons},
      {{"GET", "/api/persons/{id}", access::read}, person},
      {{"GET", "/api/companies", access::read}, companies},
      {{"GET", "/api/companies/{id}", access::read}, company},
      {{"GET", "/api/users", access::read}, users},
      {{"GET", "/api/categories", access::read}, categories},
      {{"GET", "/api/priorities", access::read}, priorities},
      {{"GET", "/api/templates", access::read}, templates_list},
      {{"POST", "/api/templates/{name}/preview", access::read}, template_preview},
      {{"GET", "/api/quarantine", access::admin}, quarantine},
      {{"GET", "/api/outbox", access::admin}, outbox},
  };
}

}  // namespace hd::daemon::api_detail
