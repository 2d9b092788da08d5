#include "hd/api/api.hpp"

#include "api_impl.hpp"
#include "hd/api/web.hpp"
#include "hd/common/utf8.hpp"
#include "hd/storage/agent_state.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <exception>
#include <future>

namespace hd::daemon {
namespace api_detail {
namespace {

struct too_deep {};

const std::vector<route>& table() {
  static const std::vector<route> t = [] {
    std::vector<route> all = request_routes();
    for (auto more :
         {other_routes(), web_routes(), admin_routes(), content_routes(), webhook_routes()})
      all.insert(all.end(), more.begin(), more.end());
    return all;
  }();
  return t;
}

// Splits a path into its segments ("/api/requests/12" -> api, requests, 12).
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    std::size_t s = path.find_first_not_of('/');
    if (s == std::string_view::npos) break;
    path.remove_prefix(s);
    std::size_t e = path.find('/');
    out.push_back(path.substr(0, e));
    path = e == std::string_view::npos ? std::string_view() : path.substr(e);
  }
  return out;
}

// True when PATH fits PATTERN; the {..} parts go to ARGS.
bool match(std::string_view pattern, std::string_view path, std::vector<std::string>& args) {
  std::vector<std::string_view> p = segments(pattern), q = segments(path);
  if (p.size() != q.size()) return false;
  std::vector<std::string> got;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i].starts_with('{')) {
      got.emplace_back(q[i]);
    } else if (p[i] != q[i]) {
      return false;
    }
  }
  args = std::move(got);
  return true;
}

std::optional<std::string_view> bearer(const http::request& req) {
  std::optional<std::string_view> h = req.header("authorization");
  if (!h) return std::nullopt;
  std::string_view v = *h;
  if (v.size() < 7 || (v.substr(0, 7) != "Bearer " && v.substr(0, 7) != "bearer "))
    return std::nullopt;
  v.remove_prefix(7);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  return v;
}

// Authenticates the caller by token, or by the web app's session cookie; an answer when the
// route cannot be used by them.
std::optional<http::response> authenticate(context& cx, access need) {
  if (need == access::open) return std::nullopt;
  bool writes = cx.req.method != "GET" && cx.req.method != "HEAD";
  std::optional<std::string_view> secret = bearer(cx.req);
  bool by_cookie = false;
  if (!secret) {
    if (std::optional<std::string_view> c = cx.req.header("cookie")) {
      secret = cookie_value(*c, session_cookie_name);
      by_cookie = secret.has_value();
    }
  }
  if (!secret || secret->empty())
    return fail(401, "unauthenticated", "send Authorization: Bearer TOKEN (see docs/api.md)");
  if (by_cookie && writes) {
    // A cookie goes with every request the browser makes; only our page knows the token.
    std::optional<std::string_view> sent = cx.req.header("x-csrf-token");
    std::optional<std::string_view> site = cx.req.header("sec-fetch-site");
    if (!sent || !same_secret(*sent, csrf_token(*secret)) || (site && *site != "same-origin"))
      return fail(403, "csrf", "a cookie session must send X-CSRF-Token (from /api/me)");
  }
  auto t = storage::find_token(cx.db, *secret, cx.now);
  if (!t) return storage_failure(cx, t.error());
  if (!*t) return fail(401, "unauthenticated", "the token is unknown, revoked or expired");
  if (by_cookie && (*t)->kind != "session")
    return fail(401, "unauthenticated", "the cookie does not hold a login session");
  // A user removed from the config loses access at once, whatever tokens they hold.
  const user_config* u = cx.cfg.find_user((*t)->login);
  if (!u) return fail(401, "unauthenticated", "the token's user is no longer declared");
  cx.who = caller{u->login, u->role, (*t)->scope, (*t)->id,
                  by_cookie ? csrf_token(*secret) : std::string()};
  if (need == access::write && cx.who->scope != "write")
    return fail(403, "read_only_token", "this token may only read (scope read)");
  if (need == access::admin && writes && cx.who->scope != "write")
    return fail(403, "read_only_token", "this token may only read (scope read)");
  if (need == access::admin && u->role != user_role::admin)
    return fail(403, "admin_only", "only an admin may use this");
  return std::nullopt;
}

http::response route_request(context& cx) {
  if (!cx.req.path.starts_with("/api/")) {
    if (std::optional<http::response> page = web_page(cx.req)) return *page;
  }
  bool path_known = false;
  for (const route& r : table()) {
    std::vector<std::string> args;
    if (!match(r.info.pattern, cx.req.path, args)) continue;
    path_known = true;
    if (cx.req.method != r.info.method) continue;
    cx.args = std::move(args);
    if (auto denied = authenticate(cx, r.info.need)) return *denied;
    return r.fn(cx);
  }
  if (path_known) return fail(405, "method_not_allowed", "this resource does not take that method");
  return fail(404, "no_route", "there is no such resource (see /api/openapi.json)");
}

}  // namespace

storage::acting context::acting() const {
  storage::acting a{who ? who->login : "", now, std::nullopt};
  if (std::optional<std::int64_t> id = id_arg(0)) a.if_version = if_match(req, *id);
  return a;
}

std::optional<std::int64_t> context::id_arg(std::size_t i) const {
  if (i >= args.size()) return std::nullopt;
  std::optional<std::int64_t> v = to_int(args[i]);
  if (!v || *v <= 0) return std::nullopt;
  return v;
}

std::optional<std::int64_t> to_int(std::string_view s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string next_link(const http::request& req, std::int64_t cursor) {
  auto enc = [](std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
        out += static_cast<char>(c);
      } else {
        out += fmt::format("%{:02X}", c);
      }
    }
    return out;
  };
  std::string q;
  for (const auto& [k, v] : req.query) {
    if (k != "cursor") q += fmt::format("{}={}&", enc(k), enc(v));
  }
  return fmt::format("{}?{}cursor={}", req.path, q, cursor);
}

http::response fail(int status, std::string_view code, std::string_view message) {
  return ok(json{{"error", {{"code", code}, {"message", message}}}}, status);
}

http::response ok(const json& body, int status) {
  http::response r;
  r.status = status;
  r.body = body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  return r;
}

http::response storage_failure(const context& cx, const error<storage::errc>& e) {
  switch (e.code) {
    case storage::errc::not_found:
      return fail(404, "not_found", e.message);
    case storage::errc::invalid:
      return fail(422, "invalid", e.message);
    case storage::errc::conflict:
      return fail(412, "stale", e.message);
    case storage::errc::busy:
      return fail(503, "busy", "the database is busy; retry shortly");
    default:
      if (cx.env.log) cx.env.log->error("api_storage_error", {{"error", e.message}});
      return fail(500, "internal", "the server could not do this; it was logged");
  }
}

std::optional<json> body_object(const context& cx, http::response& err) {
  const std::string& b = cx.req.body;
  if (b.find_first_not_of(" \t\r\n") == std::string::npos) return json::object();
  if (!is_valid_utf8(b)) {
    err = fail(400, "bad_json", "the body is not UTF-8");
    return std::nullopt;
  }
  int limit = cx.cfg.http ? cx.cfg.http->max_json_depth : 32;
  try {
    json j = json::parse(b, [limit](int depth, json::parse_event_t, json&) {
      if (depth > limit) throw too_deep{};
      return true;
    });
    if (!j.is_object()) {
      err = fail(400, "bad_json", "the body must be a JSON object");
      return std::nullopt;
    }
    return j;
  } catch (const too_deep&) {
    err = fail(400, "too_deep", fmt::format("the JSON is nested deeper than {}", limit));
  } catch (const json::exception&) {
    err = fail(400, "bad_json", "the body is not valid JSON");
  }
  return std::nullopt;
}

std::string etag(std::int64_t id, std::int64_t version) {
  return fmt::format("\"r{}v{}\"", id, version);
}

std::optional<std::int64_t> if_match(const http::request& req, std::int64_t id) {
  std::optional<std::string_view> h = req.header("if-match");
  if (!h) return std::nullopt;
  std::string_view v = *h;
  if (v.starts_with("W/")) v.remove_prefix(2);
  std::string prefix = fmt::format("\"r{}v", id);
  if (!v.starts_with(prefix) || !v.ends_with('"')) return 0;
  v = v.substr(prefix.size(), v.size() - prefix.size() - 1);
  std::int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size()) return 0;
  return n;
}

}  // namespace api_detail

const std::vector<route_info>& api_routes() {
  static const std::vector<route_info> infos = [] {
    std::vector<route_info> out;
    for (const api_detail::route& r : api_detail::table()) out.push_back(r.info);
    return out;
  }();
  return infos;
}

http::response dispatch(const http::request& req, storage::store& db, const api_env& env) {
  try {
    api_detail::context cx{req, db, env, *env.cfg, env.now(), {}, std::nullopt};
    return api_detail::route_request(cx);
  } catch (const std::exception& e) {
    if (env.log) env.log->error("api_bug", {{"path", req.path}, {"error", e.what()}});
  } catch (...) {
    if (env.log) env.log->error("api_bug", {{"path", req.path}});
  }
  return api_detail::fail(500, "internal", "the server could not do this; it was logged");
}

api::api(api_env env, const std::string& db_path, const storage::open_options& opt, int workers)
    : env_(std::move(env)), pool_(db_path, opt, workers), watcher_([this] { watch(); }) {}

api::~api() {
  std::vector<waiter> left;
  {
    std::lock_guard lock(wait_mu_);
    stopping_ = true;
    left.swap(waiters_);
  }
  wait_cv_.notify_all();
  watcher_.join();
  for (waiter& w : left) {
    http::response r;
    r.content_type = "text/event-stream; charset=utf-8";
    r.body = "retry: 1000\n\n";
    w.reply(std::move(r));
  }
}

void api::handle(http::request req, http::reply_fn reply) {
  api_env env;
  {
    std::lock_guard lock(mu_);
    env = env_;
  }
  bool feed = req.method == "GET" && req.path == "/api/events";
  pool_.submit([this, feed, env = std::move(env), req = std::move(req),
                reply = std::move(reply)](storage::store& db) mutable {
    http::response r = dispatch(req, db, env);
    if (feed) {
      auto idle = std::find_if(r.headers.begin(), r.headers.end(),
                               [](const auto& h) { return h.first == api_detail::idle_marker; });
      if (idle != r.headers.end()) {
        r.headers.erase(idle);
        return park(std::move(req), std::move(reply), env, std::move(r));
      }
    }
    reply(std::move(r));
  });
}

void api::park(http::request req, http::reply_fn reply, const api_env& env, http::response now) {
  const http_config h = env.cfg->http.value_or(http_config{});
  std::unique_lock lock(wait_mu_);
  if (stopping_ || waiters_.size() >= static_cast<std::size_t>(h.max_event_waiters)) {
    lock.unlock();
    return reply(std::move(now));  // the page asks again after its retry interval
  }
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(h.events_wait_s);
  waiters_.push_back({std::move(req), std::move(reply), until, std::move(now)});
  wait_cv_.notify_all();
}

// Once a second while pages wait: has the events table grown (intake, a colleague, the CLI or
// another daemon)? Then the waiting pages are asked again; pages past their wait get none.
void api::watch() {
  std::unique_lock lock(wait_mu_);
  while (!stopping_) {
    if (waiters_.empty()) {
      wait_cv_.wait(lock, [this] { return stopping_ || !waiters_.empty(); });
      seen_event_ = -1;  // a page came back: look once at once, then each second
      continue;
    }
    wait_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stopping_; });
    if (stopping_) break;
    auto now = std::chrono::steady_clock::now();
    std::vector<waiter> due;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->until <= now) {
        due.push_back(std::move(*it));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
    lock.unlock();
    for (waiter& w : due) w.reply(std::move(w.idle));
    // Ask the database on a pool thread; the answer comes back through last_.
    std::promise<std::int64_t> last;
    std::future<std::int64_t> got = last.get_future();
    pool_.submit([&last](storage::store& db) {
      auto n = storage::last_event_id(db);
      last.set_value(n ? *n : -1);
    });
    std::int64_t newest = got.get();
    lock.lock();
    if (newest < 0 || newest == seen_event_) continue;
    seen_event_ = newest;
    std::vector<waiter> again;
    again.swap(waiters_);
    lock.unlock();
    for (waiter& w : again) handle(std::move(w.req), std::move(w.reply));
    lock.lock();
  }
}

void api::reconfigure(std::shared_ptr<const config> cfg) {
  std::lock_guard lock(mu_);
  env_.cfg = std::move(cfg);
}

}  // namespace hd::daemon
