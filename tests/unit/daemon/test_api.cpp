// The HTTP API without sockets: dispatch() on an in-memory store. Routes against the OpenAPI
// document, authentication, ETag/If-Match, Idempotency-Key, JSON limits; the server's target
// parsing and X-Forwarded-For; the login limiter.
#include "daemon_test.hpp"
#include "hd/api/api.hpp"
#include "hd/storage/access.hpp"
#include "hd/storage/outbox.hpp"
#include "hd/storage/requests.hpp"
#include "hd/storage/workflow.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

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
