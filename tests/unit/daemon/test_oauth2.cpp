// oauth2.hpp: presets, the refresh request, the token endpoint's answers, the renewal margin,
// the XOAUTH2 initial response; and the [mailbox.oauth2] config checks it relies on.
#include "hd/net/oauth2.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace hd;
using namespace hd::daemon;
using namespace std::chrono_literals;

namespace {

oauth2_config base_config() {
  oauth2_config c;
  c.client_id = "app-1";
  c.refresh_token = secret("rt/1+x", "env:RT");
  return c;
}

result<config, config_errc> parse(const std::string& oauth_table) {
  std::string text =
      "[[mailbox]]\nname = \"support\"\naddress = \"support@example.com\"\n"
      "user = \"support@example.com\"\nauth = \"xoauth2\"\n" +
      oauth_table;
  env_lookup env = [](const std::string& n) -> std::optional<std::string> {
    if (n == "RT") return "rt-1";
    return std::nullopt;
  };
  return parse_config(text, "t.toml", "/tmp", env);
}

}  // namespace

TEST_CASE("resolve_endpoint: presets, overrides and refusals") {
  struct row {
    std::string provider, tenant, token_url, scope;
    bool allow_http;
    bool want_ok;
    std::string want_url, want_scope;
  };
  const row rows[] = {
      {"microsoft", "", "", "", false, true,
       "https://login.microsoftonline.com/common/oauth2/v2.0/token",
       "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"},
      {"microsoft", "contoso.onmicrosoft.com", "", "", false, true,
       "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
       "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"},
      {"google", "", "", "", false, true, "https://oauth2.googleapis.com/token",
       "https://mail.google.com/"},
      {"google", "", "https://example.net/t", "s1", false, true, "https://example.net/t", "s1"},
      {"", "", "https://idp.example.com/token", "", false, true, "https://idp.example.com/token",
       ""},
      {"", "", "http://127.0.0.1:8080/token", "", true, true, "http://127.0.0.1:8080/token", ""},
      {"", "", "http://127.0.0.1:8080/token", "", false, false, "", ""},
      {"", "", "", "", false, false, "", ""},
      {"yahoo", "", "", "", false, false, "", ""},
  };
  for (const row& r : rows) {
    CAPTURE(r.provider);
    CAPTURE(r.token_url);
    oauth2_config c = base_config();
    c.provider = r.provider;
    if (!r.tenant.empty()) c.tenant = r.tenant;
    c.token_url = r.token_url;
    c.scope = r.scope;
    c.allow_http = r.allow_http;
    auto got = resolve_endpoint(c, 30);
    REQUIRE(got.has_value() == r.want_ok);
    if (!r.want_ok) {
      CHECK(got.error().code == oauth2_errc::config);
      continue;
    }
    CHECK(got->token_url == r.want_url);
    CHECK(got->scope == r.want_scope);
    CHECK(got->refresh_token == "rt/1+x");
  }
}

TEST_CASE("refresh_request_body: form-encoded, optional fields only when set") {
  oauth2_endpoint e;
  e.client_id = "app 1";
  e.refresh_token = "0.A/b+c=";
  CHECK(refresh_request_body(e) ==
        "grant_type=refresh_token&refresh_token=0.A%2Fb%2Bc%3D&client_id=app%201");
  e.client_secret = "s&t";
  e.scope = "https://mail.google.com/";
  CHECK(refresh_request_body(e) ==
        "grant_type=refresh_token&refresh_token=0.A%2Fb%2Bc%3D&client_id=app%201"
        "&client_secret=s%26t&scope=https%3A%2F%2Fmail.google.com%2F");
}

TEST_CASE("parse_token_response: grants, refusals and garbage") {
  SUBCASE("a grant with a rotated refresh token") {
    auto got = parse_token_response(
        200, R"({"access_token":"at-1","token_type":"Bearer","expires_in":3599,)"
             R"("refresh_token":"rt-2","scope":"x"})");
    REQUIRE(got.has_value());
    CHECK(got->access_token == "at-1");
    CHECK(got->expires_in == 3599);
    CHECK(got->refresh_token == "rt-2");
  }
  SUBCASE("expires_in as a string, or missing") {
    auto got = parse_token_response(200, R"({"access_token":"a","expires_in":"120"})");
    REQUIRE(got.has_value());
    CHECK(got->expires_in == 120);
    got = parse_token_response(200, R"({"access_token":"a","token_type":"bearer"})");
    REQUIRE(got.has_value());
    CHECK(got->expires_in == 3600);
  }
  SUBCASE("a revoked refresh token is refused, with the endpoint's words") {
    auto got = parse_token_response(
        400, R"({"error":"invalid_grant","error_description":"Token has been revoked."})");
    REQUIRE(!got.has_value());
    CHECK(got.error().code == oauth2_errc::refused);
    CHECK(got.error().message.find("invalid_grant: Token has been revoked.") != std::string::npos);
  }
  struct row {
    long status;
    std::string body;
  };
  const row transient[] = {
      {503, R"({"error":"temporarily_unavailable"})"},
      {200, "<html>proxy login</html>"},
      {200, R"({"token_type":"Bearer"})"},
      {200, R"({"access_token":"a","token_type":"mac"})"},
      {502, ""},
      {200, "[1,2]"},
  };
  for (const row& r : transient) {
    CAPTURE(r.body);
    auto got = parse_token_response(r.status, r.body);
    REQUIRE(!got.has_value());
    CHECK(got.error().code == oauth2_errc::transient);
  }
}

TEST_CASE("parse_token_response never repeats a token in its message") {
  auto got = parse_token_response(200, R"({"access_token":"SECRET-AT","token_type":"mac"})");
  REQUIRE(!got.has_value());
  CHECK(got.error().message.find("SECRET") == std::string::npos);
}

TEST_CASE("refresh_margin: 10% of the lifetime, at most 5 minutes") {
  CHECK(refresh_margin(3600s) == 300s);
  CHECK(refresh_margin(1200s) == 120s);
  CHECK(refresh_margin(6s) == 0s);
  CHECK(refresh_margin(60s) == 6s);
}

TEST_CASE("base64 and the XOAUTH2 initial response") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("f") == "Zg==");
  CHECK(base64_encode("fo") == "Zm8=");
  CHECK(base64_encode("foo") == "Zm9v");
  CHECK(base64_encode("foob") == "Zm9vYg==");
  CHECK(base64_encode(std::string("\xff\xfe\x00", 3)) == "//4A");
  // Google's documented example.
  CHECK(xoauth2_initial_response("someuser@example.com",
                                 "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg") ==
        "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhk"
        "SFJoZG1semRHRXVZMjl0Q2cBAQ==");
}

TEST_CASE("config: [mailbox.oauth2] is checked at start") {
  SUBCASE("a provider needs no token_url") {
    auto c = parse(
        "[mailbox.oauth2]\nprovider = \"microsoft\"\ntenant = \"t1\"\nclient_id = \"a\"\n"
        "refresh_token_env = \"RT\"\n");
    REQUIRE(c.has_value());
    REQUIRE(c->mailboxes.at(0).oauth2.has_value());
    CHECK(c->mailboxes[0].oauth2->tenant == "t1");
    CHECK(c->mailboxes[0].oauth2->refresh_token.reveal() == "rt-1");
  }
  struct row {
    std::string table, want;
  };
  const row bad[] = {
      {"", "needs an [mailbox.oauth2] table"},
      {"[mailbox.oauth2]\nclient_id = \"a\"\nrefresh_token_env = \"RT\"\n",
       "token_url: is required unless provider"},
      {"[mailbox.oauth2]\nprovider = \"yahoo\"\nclient_id = \"a\"\nrefresh_token_env = \"RT\"\n",
       "provider: must be"},
      {"[mailbox.oauth2]\nprovider = \"google\"\nclient_id = \"a\"\n",
       "a refresh token is required"},
      {"[mailbox.oauth2]\nprovider = \"google\"\nclient_id = \"a\"\nrefresh_token = \"x\"\n",
       "inline secrets are not accepted"},
      {"[mailbox.oauth2]\ntoken_url = \"http://idp.example.com/t\"\nallow_http = true\n"
       "client_id = \"a\"\nrefresh_token_env = \"RT\"\n",
       "must be https://"},
      {"[mailbox.oauth2]\ntoken_url = \"http://127.0.0.1.example.com/t\"\nallow_http = true\n"
       "client_id = \"a\"\nrefresh_token_env = \"RT\"\n",
       "must be https://"},
      {"[mailbox.oauth2]\ntoken_url = \"http://127.0.0.1:9/t\"\n"
       "client_id = \"a\"\nrefresh_token_env = \"RT\"\n",
       "must be https://"},
  };
  for (const row& r : bad) {
    CAPTURE(r.table);
    auto c = parse(r.table);
    REQUIRE(!c.has_value());
    CHECK(c.error().message.find(r.want) != std::string::npos);
  }
  auto ok = parse(
      "[mailbox.oauth2]\ntoken_url = \"http://127.0.0.1:9/t\"\nallow_http = true\n"
      "client_id = \"a\"\nrefresh_token_env = \"RT\"\n");
  CHECK(ok.has_value());
}
