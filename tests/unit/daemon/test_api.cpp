// The HTTP API without sockets: dispatch() on an in-memory store. Routes against the OpenAPI
// document, authentication, ETag/If-Match, Idempotency-Key, JSON limits; the server's target
// parsing and X-Forwarded-For; the login limiter.
#include "daemon_test.hpp"
#include "hd/api/api.hpp"
#include "hd/common/digest.hpp"
#include "hd/intake/pipeline.hpp"
#include "hd/storage/access.hpp"
#include "hd/storage/outbox.hpp"
#include "hd/storage/requests.hpp"
#include "hd/storage/workflow.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

namespace {

using hd::daemon::dispatch;
using nlohmann::json;

struct fixture {
  std::shared_ptr<const hd::config> cfg =
      std::make_shared<const hd::config>(daemon_test::config_of(
          "[outgoing]\ntemplates_dir = \"" HD_SOURCE_DIR "/etc/templates\"\n"
          "[[user]]\nlogin = \"anna\"\n[[user]]\nlogin = \"ole\"\n"
          "[[user]]\nlogin = \"root\"\nrole = \"admin\"\n[http]\nmax_json_depth = 4\n"));
  hd::storage::store db = *hd::storage::store::open(":memory:");
  hd::daemon::api_env env;
  std::int64_t now = 1700000000;

  fixture() {
    env.cfg = cfg;
    env.now = [this] { return now; };
    env.limiter = std::make_shared<hd::daemon::login_limiter>(3, 100, 900);
    hd::storage::new_request r{"jane@c.example", "Jane", "Printer", "It is broken", "", ""};
    REQUIRE(hd::storage::create_request(db, r, {"anna", now}).has_value());
  }

  std::string token(const std::string& login, const std::string& scope) {
    hd::storage::new_token t{login, "t", scope, "token", hd::daemon::new_token_secret(), {}};
    REQUIRE(hd::storage::create_token(db, t, now).has_value());
    return t.secret;
  }

  hd::http::response call(const std::string& method, const std::string& target,
                          const std::string& tok = "", const std::string& body = "",
                          std::vector<std::pair<std::string, std::string>> headers = {}) {
    hd::http::request r;
    r.method = method;
    r.target = target;
    auto t = hd::http::parse_target(target);
    REQUIRE(t.has_value());
    r.path = t->path;
    r.query = t->query;
    r.headers = std::move(headers);
    if (!tok.empty()) r.headers.emplace_back("authorization", "Bearer " + tok);
    r.body = body;
    r.client = "127.0.0.1";
    return dispatch(r, db, env);
  }
};

std::string header(const hd::http::response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

}  // namespace

TEST_CASE("every route is in docs/openapi.json, and every documented operation is a route") {
  std::ifstream in(HD_SOURCE_DIR "/docs/openapi.json");
  json doc = json::parse(in);
  std::set<std::pair<std::string, std::string>> documented, served;
  for (const auto& [path, ops] : doc["paths"].items()) {
    for (const auto& [method, op] : ops.items()) documented.insert({method, path});
  }
  for (const hd::daemon::route_info& r : hd::daemon::api_routes()) {
    std::string m = r.method;
    for (char& c : m) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    served.insert({m, r.pattern});
  }
  for (const auto& s : served) CHECK_MESSAGE(documented.count(s), s.first << " " << s.second);
  for (const auto& d : documented) CHECK_MESSAGE(served.count(d), d.first << " " << d.second);
  CHECK(served.size() == documented.size());
  CHECK(json::parse(hd::daemon::openapi_document()) == doc);  // the served one is this file
}

TEST_CASE("authentication: no token, unknown, revoked, read-only, admin-only, removed user") {
  fixture f;
  CHECK(f.call("GET", "/api/requests").status == 401);
  CHECK(f.call("GET", "/api/requests", "hdt_nope").status == 401);
  CHECK(f.call("GET", "/healthz").status == 200);
  std::string reader = f.token("anna", "read");
  CHECK(f.call("GET", "/api/requests", reader).status == 200);
  CHECK(f.call("POST", "/api/requests/1/close", reader).status == 403);
  CHECK(f.call("GET", "/api/outbox", reader).status == 403);
  CHECK(f.call("GET", "/api/outbox", f.token("root", "read")).status == 200);
  auto list = hd::storage::list_tokens(f.db, "anna");
  REQUIRE(hd::storage::revoke_token(f.db, (*list)[0].id, std::nullopt, f.now).has_value());
  CHECK(f.call("GET", "/api/requests", reader).status == 401);
  std::string gone = f.token("bret", "write");  // not a [[user]] (any more)
  CHECK(f.call("GET", "/api/requests", gone).status == 401);
  // Expired sessions do not work.
  hd::storage::new_token s{"anna",    "s", "write", "session", hd::daemon::new_token_secret(),
                           f.now + 10};
  REQUIRE(hd::storage::create_token(f.db, s, f.now).has_value());
  CHECK(f.call("GET", "/api/me", s.secret).status == 200);
  f.now += 11;
  CHECK(f.call("GET", "/api/me", s.secret).status == 401);
}

TEST_CASE("actions are recorded as the token's user, never a name the client sends") {
  fixture f;
  std::string ole = f.token("ole", "write");
  auto r = f.call("POST", "/api/requests/1/accept", ole, R"({"login": "anna", "as": "anna"})");
  CHECK(r.status == 200);
  auto d = hd::storage::show_request(f.db, 1);
  REQUIRE(d.has_value());
  CHECK(d->summary.owner == "ole");
  CHECK(d->events.back().actor == "ole");
}

TEST_CASE("ETag and If-Match: a change on a stale view is 412 and changes nothing") {
  fixture f;
  std::string anna = f.token("anna", "write"), ole = f.token("ole", "write");
  auto shown = f.call("GET", "/api/requests/1", anna);
  std::string etag = header(shown, "ETag");
  REQUIRE(!etag.empty());
  auto a = f.call("POST", "/api/requests/1/accept", anna, "{}", {{"if-match", etag}});
  CHECK(a.status == 200);
  CHECK(header(a, "ETag") != etag);
  auto b =
      f.call("POST", "/api/requests/1/accept", ole, R"({"force": true})", {{"if-match", etag}});
  CHECK(b.status == 412);
  CHECK(json::parse(b.body)["error"]["code"] == "stale");
  CHECK(hd::storage::show_request(f.db, 1)->summary.owner == "anna");
  // An ETag of another request never matches.
  auto c = f.call("POST", "/api/requests/1/close", ole, "{}", {{"if-match", "\"r2v1\""}});
  CHECK(c.status == 412);
  // With the current ETag it goes through.
  auto d = f.call("POST", "/api/requests/1/close", ole, "{}", {{"if-match", header(a, "ETag")}});
  CHECK(d.status == 200);
}

TEST_CASE("Idempotency-Key: a retried reply is queued once") {
  fixture f;
  std::string anna = f.token("anna", "write");
  std::vector<std::pair<std::string, std::string>> key{{"idempotency-key", "k1"}};
  auto r1 = f.call("POST", "/api/requests/1/reply", anna, R"({"text": "Hello"})", key);
  REQUIRE(r1.status == 200);
  auto r2 = f.call("POST", "/api/requests/1/reply", anna, R"({"text": "Hello"})", key);
  CHECK(r2.status == 200);
  CHECK(json::parse(r2.body)["outbox"] == json::parse(r1.body)["outbox"]);
  CHECK(header(r2, "Idempotent-Replayed") == "true");
  auto queued = hd::storage::list_outbox(f.db, {});
  CHECK(queued->size() == 1);
  // Another key sends again; the same key from another user is theirs alone.
  f.call("POST", "/api/requests/1/reply", anna, R"({"text": "Hello"})",
         {{"idempotency-key", "k2"}});
  f.call("POST", "/api/requests/1/reply", f.token("ole", "write"), R"({"text": "Hi"})", key);
  CHECK(hd::storage::list_outbox(f.db, {})->size() == 3);
}

TEST_CASE("flag: only a message of the request named in the path") {
  fixture f;
  hd::storage::new_request r{"bob@c.example", "Bob", "Other", "x", "", ""};
  REQUIRE(hd::storage::create_request(f.db, r, {"anna", f.now}).has_value());
  std::string anna = f.token("anna", "write");
  auto d1 = hd::storage::show_request(f.db, 1), d2 = hd::storage::show_request(f.db, 2);
  std::int64_t m1 = d1->messages.at(0).id, m2 = d2->messages.at(0).id;
  auto wrong =
      f.call("POST", "/api/requests/1/flag", anna, fmt::format(R"({{"message": {}}})", m2));
  CHECK(wrong.status == 422);
  hd::storage::request_filter flagged;
  flagged.flagged = true;
  CHECK(*f.db.count_requests(flagged) == 0);
  auto right =
      f.call("POST", "/api/requests/1/flag", anna, fmt::format(R"({{"message": {}}})", m1));
  CHECK(right.status == 200);
  auto now_flagged = f.db.list_requests(flagged);
  REQUIRE(now_flagged->size() == 1);
  CHECK(now_flagged->at(0).id == 1);
}

TEST_CASE("JSON bodies: depth limit, not an object, not JSON") {
  fixture f;
  std::string anna = f.token("anna", "write");
  auto deep = f.call("POST", "/api/requests/1/note", anna, R"({"a": [[[[[1]]]]]})");
  CHECK(deep.status == 400);
  CHECK(json::parse(deep.body)["error"]["code"] == "too_deep");
  CHECK(f.call("POST", "/api/requests/1/note", anna, R"({"text": [[1]]})").status == 422);
  CHECK(f.call("POST", "/api/requests/1/note", anna, "[1]").status == 400);
  CHECK(f.call("POST", "/api/requests/1/note", anna, "{").status == 400);
  CHECK(f.call("POST", "/api/requests/1/note", anna, R"({"text": "ok"})").status == 200);
}

TEST_CASE("requests list: filters, total and a next link that pages to the end") {
  fixture f;
  for (int i = 0; i < 4; ++i) {
    hd::storage::new_request r{"p" + std::to_string(i) + "@c.example", "", "T", "x", "", ""};
    REQUIRE(hd::storage::create_request(f.db, r, {"anna", f.now}).has_value());
  }
  std::string anna = f.token("anna", "read");
  std::string target = "/api/requests?limit=2&sort=-id";
  std::vector<std::int64_t> seen;
  for (int page = 0; page < 5 && !target.empty(); ++page) {
    auto r = f.call("GET", target, anna);
    REQUIRE(r.status == 200);
    json j = json::parse(r.body);
    CHECK(j["total"] == 5);
    for (const auto& x : j["requests"]) seen.push_back(x["id"]);
    target = j["next"].is_null() ? "" : j["next"].get<std::string>();
  }
  CHECK(seen == std::vector<std::int64_t>{5, 4, 3, 2, 1});
  auto mine = f.call("GET", "/api/requests?person=1", anna);
  CHECK(json::parse(mine.body)["total"] == 1);
  CHECK(f.call("GET", "/api/requests?sort=colour", anna).status == 400);
}

TEST_CASE("parse_target and client_address") {
  auto t = hd::http::parse_target("/api/search?q=gro%C3%9F+h%C3%A4ndler&limit=5");
  REQUIRE(t.has_value());
  CHECK(t->path == "/api/search");
  CHECK(t->query[0].second == "groß händler");
  CHECK(!hd::http::parse_target("/a%00b").has_value());
  CHECK(!hd::http::parse_target("/a%zz").has_value());
  CHECK(!hd::http::parse_target("/a%4").has_value());
  CHECK(!hd::http::parse_target("http://x/").has_value());
  std::vector<std::string> trusted{"10.0.0.1"};
  CHECK(hd::http::client_address("192.0.2.9", "1.2.3.4", trusted) == "192.0.2.9");
  CHECK(hd::http::client_address("10.0.0.1", "1.2.3.4", trusted) == "1.2.3.4");
  CHECK(hd::http::client_address("10.0.0.1", "6.6.6.6, 1.2.3.4, 10.0.0.1", trusted) == "1.2.3.4");
  CHECK(hd::http::client_address("10.0.0.1", std::nullopt, trusted) == "10.0.0.1");
}

TEST_CASE("login limiter: per account and per address, within the window") {
  hd::daemon::login_limiter l(2, 3, 100);
  CHECK(!l.blocked("anna", "a", 0));
  l.failed("anna", "a", 0);
  l.failed("anna", "b", 10);
  CHECK(l.blocked("anna", "c", 20).value_or(0) == 80);
  CHECK(!l.blocked("ole", "c", 20));
  l.failed("x", "c", 20);
  l.failed("y", "c", 20);
  l.failed("z", "c", 20);
  CHECK(l.blocked("ole", "c", 21).has_value());
  CHECK(!l.blocked("anna", "d", 100));  // the first failure left the window
  CHECK(!l.blocked("ole", "c", 120));
}

TEST_CASE("passwords: Argon2id, verified, never the clear text") {
  std::string h = hd::daemon::hash_password("correct horse");
  CHECK(h.rfind("$argon2id$", 0) == 0);
  CHECK(h.find("correct") == std::string::npos);
  CHECK(hd::daemon::verify_password(h, "correct horse"));
  CHECK(!hd::daemon::verify_password(h, "correct horsf"));
  CHECK(!hd::daemon::verify_password("", "x"));
  CHECK(hd::daemon::new_token_secret() != hd::daemon::new_token_secret());
}

// ---- the web app's side of the API (docs/web.md) ---------------------------------------------

namespace {

std::string cookie_of(const hd::http::response& r) {
  std::string c = header(r, "Set-Cookie");
  std::size_t eq = c.find('='), semi = c.find(';');
  REQUIRE(eq != std::string::npos);
  return c.substr(eq + 1, semi - eq - 1);
}

// Ingests a mail from jane@c.example with Message-ID ID (a reply to PARENT when given).
void mail_in(hd::storage::store& db, const std::string& id, const std::string& parent = "") {
  hd::parsed_message m;
  m.from = hd::address{"Jane", "jane@c.example"};
  m.subject = "Scanner";
  m.message_id = id;
  if (!parent.empty()) m.in_reply_to = parent;
  m.text = "hello";
  hd::storage::inbound in;
  in.source.mailbox = "stdin";
  std::string raw = "Message-ID: <" + id + ">\r\n\r\nhello\r\n";  // in.raw is a view of it
  in.raw = raw;
  in.parsed = &m;
  in.now = 1700000100;
  REQUIRE(db.ingest(in).has_value());
}

}  // namespace

TEST_CASE("cookie sessions: HttpOnly cookie, CSRF token on every change, cleared on logout") {
  fixture f;
  REQUIRE(hd::storage::set_password_hash(f.db, "anna", hd::daemon::hash_password("pw"), f.now)
              .has_value());
  std::string creds = R"({"login": "anna", "password": "pw", "cookie": true})";
  // A form post from elsewhere cannot send JSON: refused before the password is tried.
  CHECK(f.call("POST", "/api/login", "", creds).status == 403);
  CHECK(f.call("POST", "/api/login", "", creds,
               {{"content-type", "application/json"}, {"sec-fetch-site", "cross-site"}})
            .status == 403);
  auto r = f.call("POST", "/api/login", "", creds, {{"content-type", "application/json"}});
  REQUIRE(r.status == 201);
  std::string set = header(r, "Set-Cookie");
  CHECK(set.find("HttpOnly") != std::string::npos);
  CHECK(set.find("SameSite=Strict") != std::string::npos);
  CHECK(set.find("Path=/") != std::string::npos);
  CHECK(set.find("Secure") == std::string::npos);  // plain HTTP here
  json body = json::parse(r.body);
  CHECK_FALSE(body.contains("token"));  // the page never sees the secret
  std::string csrf = body["csrf"];
  std::string secret = cookie_of(r);
  CHECK(csrf != secret);
  std::pair<std::string, std::string> jar{"cookie", "theme=dark; hd_session=" + secret};

  auto me = f.call("GET", "/api/me", "", "", {jar});
  REQUIRE(me.status == 200);
  CHECK(json::parse(me.body)["csrf"] == csrf);
  // A change without the token, with a wrong one, or from another site: 403 csrf.
  for (auto extra : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {},
           {{"x-csrf-token", std::string(csrf.size(), '0')}},
           {{"x-csrf-token", csrf}, {"sec-fetch-site", "cross-site"}}}) {
    extra.push_back(jar);
    auto no = f.call("POST", "/api/requests/1/accept", "", "{}", extra);
    CHECK(no.status == 403);
    CHECK(json::parse(no.body)["error"]["code"] == "csrf");
  }
  CHECK(hd::storage::show_request(f.db, 1)->summary.owner == "");
  auto yes = f.call("POST", "/api/requests/1/accept", "", "{}",
                    {jar, {"x-csrf-token", csrf}, {"sec-fetch-site", "same-origin"}});
  CHECK(yes.status == 200);
  CHECK(hd::storage::show_request(f.db, 1)->summary.owner == "anna");
  // An API token is not a browser session.
  std::pair<std::string, std::string> tok{"cookie", "hd_session=" + f.token("anna", "write")};
  CHECK(f.call("GET", "/api/me", "", "", {tok}).status == 401);
  // Logout revokes the session and clears the cookie.
  auto out = f.call("POST", "/api/logout", "", "{}", {jar, {"x-csrf-token", csrf}});
  CHECK(out.status == 200);
  CHECK(header(out, "Set-Cookie").find("Max-Age=0") != std::string::npos);
  CHECK(f.call("GET", "/api/me", "", "", {jar}).status == 401);
}

TEST_CASE("unread markers: customer mail since the agent last opened the request") {
  fixture f;
  std::string anna = f.token("anna", "write"), ole = f.token("ole", "write");
  mail_in(f.db, "1@c");  // request #2
  auto unread = [&](const std::string& tok, std::int64_t id) {
    json l = json::parse(f.call("GET", "/api/requests?status=all", tok).body)["requests"];
    for (const json& r : l) {
      if (r["id"] == id) return r["unread"].get<bool>();
    }
    FAIL("request not listed");
    return false;
  };
  CHECK(unread(anna, 2));
  CHECK(f.call("POST", "/api/requests/2/read", anna, "{}").status == 200);
  CHECK_FALSE(unread(anna, 2));
  CHECK(unread(ole, 2));  // per agent
  // A note or a reply of ours does not make it unread; the customer's answer does.
  CHECK(f.call("POST", "/api/requests/2/note", ole, R"({"text": "x"})").status == 200);
  CHECK_FALSE(unread(anna, 2));
  mail_in(f.db, "2@c", "1@c");
  CHECK(unread(anna, 2));
  json dash = json::parse(f.call("GET", "/api/dashboard", anna).body);
  REQUIRE_FALSE(dash["unassigned"].empty());
  CHECK(dash["unassigned"][0].contains("unread"));
  CHECK(f.call("POST", "/api/requests/99/read", anna, "{}").status == 404);
}

TEST_CASE("preferences: language and time zone per agent, checked") {
  fixture f;
  std::string anna = f.token("anna", "write");
  CHECK(f.call("POST", "/api/requests/1/favourite", anna, R"({"on": true})").status == 200);
  CHECK(json::parse(f.call("GET", "/api/requests/1", anna).body)["favourite"] == true);
  CHECK(json::parse(f.call("GET", "/api/requests/1", f.token("ole", "read")).body)["favourite"] ==
        false);
  CHECK(f.call("POST", "/api/me/preferences", anna, R"({"language": "xx"})").status == 422);
  CHECK(f.call("POST", "/api/me/preferences", anna, R"({"time_zone": "a b"})").status == 422);
  CHECK(f.call("POST", "/api/me/preferences", anna, R"({"language": 3})").status == 422);
  CHECK(f.call("POST", "/api/me/preferences", anna,
               R"({"language": "nb", "time_zone": "Europe/Oslo"})")
            .status == 200);
  json me = json::parse(f.call("GET", "/api/me", anna).body);
  CHECK(me["language"] == "nb");
  CHECK(me["time_zone"] == "Europe/Oslo");
  CHECK(json::parse(f.call("GET", "/api/me", f.token("ole", "read")).body)["language"] == "");
}

TEST_CASE("events feed: Server-Sent Events after an id, from now when none is given") {
  fixture f;
  std::string anna = f.token("anna", "read");
  auto start = f.call("GET", "/api/events", anna);
  REQUIRE(start.status == 200);
  CHECK(start.content_type.starts_with("text/event-stream"));
  CHECK(start.body.find("id: 1\n") != std::string::npos);  // the creation of #1
  CHECK(start.body.find("event: change") == std::string::npos);
  auto idle = f.call("GET", "/api/events", anna, "", {{"last-event-id", "1"}});
  CHECK(header(idle, "x-helpdeskd-idle") == "1");  // api::handle holds this one back
  CHECK(f.call("POST", "/api/requests/1/close", f.token("ole", "write")).status == 200);
  auto got = f.call("GET", "/api/events?after=1", anna);
  CHECK(header(got, "x-helpdeskd-idle") == "");
  CHECK(got.body.find("event: change\ndata: {\"id\":2,\"request\":1,\"kind\":\"closed\","
                      "\"actor\":\"ole\"") != std::string::npos);
  CHECK(f.call("GET", "/api/events?after=x", anna).status == 400);
  CHECK(f.call("GET", "/api/events").status == 401);
}

TEST_CASE("the web app: its page under a strict policy, its files, nothing else") {
  fixture f;
  auto page = f.call("GET", "/");
  REQUIRE(page.status == 200);
  CHECK(page.content_type.starts_with("text/html"));
  std::string csp = header(page, "Content-Security-Policy");
  CHECK(csp.find("script-src 'self'") != std::string::npos);
  CHECK(csp.find("unsafe-inline") == std::string::npos);
  CHECK(csp.find("frame-ancestors 'none'") != std::string::npos);
  CHECK(page.body.find("/static/app.js") != std::string::npos);
  auto js = f.call("GET", "/static/app.js");
  CHECK(js.status == 200);
  CHECK(js.content_type.starts_with("text/javascript"));
  CHECK(js.body.find("innerHTML") == std::string::npos);  // the app builds the DOM, not markup
  auto again = f.call("GET", "/static/app.js", "", "", {{"if-none-match", header(js, "ETag")}});
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(f.call("GET", "/static/nope.js").status == 404);
  CHECK(f.call("GET", "/static/../etc/passwd").status == 404);
  CHECK(f.call("GET", "/static/index.html").status == 404);
  auto post = f.call("POST", "/");
  CHECK(post.status == 405);
  CHECK(json::parse(post.body)["error"]["code"] == "method_not_allowed");  // as the API's
  CHECK(json::parse(f.call("GET", "/static/nope.js").body)["error"]["code"] == "no_route");
  CHECK(f.call("GET", "/elsewhere").status == 404);
}

TEST_CASE("events feed: a waiting page is answered when a colleague acts, not before") {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("hd_api_feed_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string path = (dir / "hd.db").string();
  std::string anna, ole;
  {
    auto db = hd::storage::store::open(path);
    REQUIRE(db.has_value());
    hd::storage::new_request r{"jane@c.example", "Jane", "Printer", "It is broken", "", ""};
    REQUIRE(hd::storage::create_request(*db, r, {"anna", 1700000000}).has_value());
    for (auto* who : {&anna, &ole}) {
      hd::storage::new_token t{who == &anna ? "anna" : "ole",  "t", "write", "token",
                               hd::daemon::new_token_secret(), {}};
      REQUIRE(hd::storage::create_token(*db, t, 1700000000).has_value());
      *who = t.secret;
    }
  }
  hd::daemon::api_env env;
  // A wait far longer than the test: only the event can answer the page.
  env.cfg = std::make_shared<const hd::config>(daemon_test::config_of(
      "[[user]]\nlogin = \"anna\"\n[[user]]\nlogin = \"ole\"\n[http]\nevents_wait_s = 300\n"));
  env.now = [] { return std::int64_t{1700000000}; };
  std::promise<hd::http::response> answered;
  {
    hd::daemon::api a(env, path, {}, 2);
    hd::http::request feed;
    feed.method = "GET";
    feed.path = feed.target = "/api/events";
    feed.headers = {{"authorization", "Bearer " + anna}, {"last-event-id", "1"}};
    std::atomic<bool> done{false};
    a.handle(feed, [&](hd::http::response r) {
      done = true;
      answered.set_value(std::move(r));
    });
    // ole closes the request through the same API (another thread, another connection).
    hd::http::request close;
    close.method = "POST";
    close.path = close.target = "/api/requests/1/close";
    close.headers = {{"authorization", "Bearer " + ole}};
    std::promise<int> closed;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK_FALSE(done.load());  // nothing happened yet: the page waits
    a.handle(close, [&](hd::http::response r) { closed.set_value(r.status); });
    CHECK(closed.get_future().get() == 200);
    hd::http::response r = answered.get_future().get();
    CHECK(r.status == 200);
    CHECK(header(r, "x-helpdeskd-idle") == "");  // the marker never leaves the API
    CHECK(r.body.find("\"kind\":\"closed\",\"actor\":\"ole\"") != std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("quarantine for admins: show, raw download, reprocess, drop") {
  fixture f;
  hd::storage::mail_source src{"support", std::nullopt, std::nullopt, std::nullopt};
  // A mail with no sender is quarantined; reprocessing it (nothing fixed) quarantines it again.
  std::string bad = "Subject: no sender\r\n\r\nbody\r\n";
  auto r = hd::daemon::intake(hd::daemon::intake_context{*f.cfg, f.db}, src, bad, f.now);
  REQUIRE(r.status == hd::daemon::intake_status::quarantined);
  std::string id = std::to_string(r.quarantine_id);
  std::string root = f.token("root", "write"), anna = f.token("anna", "write");
  CHECK(f.call("GET", "/api/quarantine/" + id, anna).status == 403);
  CHECK(f.call("POST", "/api/quarantine/" + id + "/drop", anna, "{}").status == 403);
  auto shown = f.call("GET", "/api/quarantine/" + id, root);
  REQUIRE(shown.status == 200);
  CHECK(json::parse(shown.body)["resolved_at"].is_null());
  auto raw = f.call("GET", "/api/quarantine/" + id + "/raw", root);
  CHECK(raw.status == 200);
  CHECK(raw.body == bad);
  CHECK(header(raw, "Content-Disposition").starts_with("attachment;"));
  auto again = f.call("POST", "/api/quarantine/" + id + "/reprocess", root, "{}");
  REQUIRE(again.status == 200);
  json j = json::parse(again.body);
  CHECK(j["request"].is_null());
  REQUIRE(j["quarantined_again"].is_number_integer());
  CHECK(j["resolution"].get<std::string>().starts_with("reprocessed: quarantined again"));
  // Resolved: a second reprocess is refused and changes nothing.
  CHECK(f.call("POST", "/api/quarantine/" + id + "/reprocess", root, "{}").status == 422);
  std::string next = std::to_string(j["quarantined_again"].get<std::int64_t>());
  auto dropped = f.call("POST", "/api/quarantine/" + next + "/drop", root,
                        R"({"note": "spam", "purge": true})");
  REQUIRE(dropped.status == 200);
  CHECK(json::parse(dropped.body)["purged"] == true);
  CHECK(f.call("GET", "/api/quarantine/" + next + "/raw", root).status == 410);
  CHECK(f.call("GET", "/api/quarantine/999/raw", root).status == 404);
}

TEST_CASE("reply with uploaded files; forward with the request's attachments by default") {
  fixture f;
  std::string ole = f.token("ole", "write");
  // A customer mail with a PDF attached (request #2).
  hd::parsed_message m;
  m.from = hd::address{"Jane", "jane@c.example"};
  m.subject = "Scanner";
  m.message_id = "pdf@c";
  m.text = "see the file";
  m.attachments.push_back({"scan.pdf", "application/pdf", "attachment", std::nullopt,
                           hd::sha256_hex("%PDF-1.4 x"), "%PDF-1.4 x"});
  hd::storage::inbound in;
  in.source.mailbox = "stdin";
  in.raw = "Message-ID: <pdf@c>\r\n\r\nsee the file\r\n";
  in.parsed = &m;
  in.now = f.now;
  REQUIRE(f.db.ingest(in).has_value());

  auto sent = [&](const hd::http::response& r) {
    REQUIRE(r.status == 200);
    auto o = hd::storage::get_outbox_item(f.db, json::parse(r.body)["outbox"].get<std::int64_t>());
    REQUIRE(o.has_value());
    return daemon_test::parse_ok(o->bytes);
  };
  // "aGVsbG8gd29ybGQ=" is "hello world".
  auto reply = f.call("POST", "/api/requests/2/reply", ole,
                      R"({"text": "Here you are", "attachments": [{"filename": "notes.txt",
                          "content_type": "text/plain", "data": "aGVsbG8gd29ybGQ="}]})");
  hd::parsed_message back = sent(reply);
  REQUIRE(back.attachments.size() == 1);
  CHECK(back.attachments[0].filename == "notes.txt");
  CHECK(back.attachments[0].data == "hello world");
  CHECK(back.text.find("Here you are") != std::string::npos);

  auto fwd = f.call("POST", "/api/requests/2/forward", ole,
                    R"({"to": "vendor@v.example", "text": "Known issue?"})");
  back = sent(fwd);
  REQUIRE(back.attachments.size() == 1);
  CHECK(back.attachments[0].filename == "scan.pdf");
  CHECK(back.attachments[0].content_type == "application/pdf");
  CHECK(back.attachments[0].data == "%PDF-1.4 x");
  // Without them when the list is empty; refused for another request's file or bad base64.
  auto bare = f.call("POST", "/api/requests/2/forward", ole,
                     R"({"to": "vendor@v.example", "text": "x", "attachments": []})");
  CHECK(sent(bare).attachments.empty());
  CHECK(
      f.call(
           "POST", "/api/requests/1/forward", ole,
           R"({"to": "v@v.example", "text": "x", "attachments": [{"message": 2, "position": 0}]})")
          .status == 422);
  CHECK(f.call("POST", "/api/requests/2/reply", ole,
               R"({"text": "x", "attachments": [{"filename": "a", "data": "!!"}]})")
            .status == 422);
}
