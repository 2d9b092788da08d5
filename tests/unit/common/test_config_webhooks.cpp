// [[webhook]]: endpoints, events, secrets and limits.
#include "hd/common/config.hpp"

#include <doctest/doctest.h>

namespace {

auto parse(std::string_view text) {
  return hd::parse_config(text, "test.toml", "/base",
                          [](const std::string& name) -> std::optional<std::string> {
                            if (name == "HOOK_SECRET") return "0123456789abcdef-secret";
                            if (name == "SHORT") return "short";
                            return std::nullopt;
                          });
}

}  // namespace

TEST_CASE("[[webhook]] tables are read, checked and described without their secret") {
  auto c = parse(
      "[[webhook]]\nname = \"crm\"\nurl = \"https://crm.example.com/hook\"\n"
      "events = [\"request.created\", \"message.sent\"]\nsecret_env = \"HOOK_SECRET\"\n"
      "max_attempts = 3\nbackoff_min_s = 5\n");
  REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.error().message));
  REQUIRE(c->webhooks.size() == 1);
  const hd::webhook_config& w = c->webhooks[0];
  CHECK(w.name == "crm");
  CHECK(w.events == std::vector<std::string>{"request.created", "message.sent"});
  CHECK(w.secret_key.reveal() == "0123456789abcdef-secret");
  CHECK(w.max_attempts == 3);
  CHECK(w.backoff_min_s == 5);
  CHECK(w.backoff_max_s == 3600);
  CHECK(w.timeout_s == 10);
  CHECK(w.keep_days == 30);
  std::string described = hd::describe_config(*c);
  CHECK(described.find("[[webhook]]") != std::string::npos);
  CHECK(described.find("env:HOOK_SECRET") != std::string::npos);
  CHECK(described.find("0123456789abcdef") == std::string::npos);

  const std::string ok_rest = "events = [\"request.created\"]\nsecret_env = \"HOOK_SECRET\"\n";
  struct row {
    std::string toml;
    const char* want;
  };
  const row bad[] = {
      {"[[webhook]]\nname = \"crm\"\nurl = \"ftp://x/\"\n" + ok_rest, "webhook[0].url"},
      {"[[webhook]]\nname = \"crm\"\nurl = \"https://\"\n" + ok_rest, "webhook[0].url"},
      {"[[webhook]]\nname = \"crm\"\nurl = \"https://a b/\"\n" + ok_rest, "webhook[0].url"},
      {"[[webhook]]\nname = \"Crm!\"\nurl = \"https://x/\"\n" + ok_rest, "webhook[0].name"},
      {"[[webhook]]\nname = \"crm\"\nurl = \"https://x/\"\nevents = [\"request.deleted\"]\n"
       "secret_env = \"HOOK_SECRET\"\n",
       "unknown event 'request.deleted'"},
      {"[[webhook]]\nname = \"crm\"\nurl = \"https://x/\"\nevents = []\n"
       "secret_env = \"HOOK_SECRET\"\n",
       "at least one event"},
      {"[[webhook]]\nname = \"crm\"\nurl = \"https://x/\"\nevents = [\"message.sent\"]\n",
       "a secret is required"},
      {"[[webhook]]\nname = \"crm\"\nurl = \"https://x/\"\nevents = [\"message.sent\"]\n"
       "secret = \"inline\"\n",
       "inline secrets are not accepted"},
      {"[[webhook]]\nname = \"crm\"\nurl = \"https://x/\"\nevents = [\"message.sent\"]\n"
       "secret_env = \"SHORT\"\n",
       "at least 16 bytes"},
      {"[[webhook]]\nname = \"crm\"\nurl = \"https://x/\"\n" + ok_rest +
           "backoff_min_s = 100\nbackoff_max_s = 10\n",
       "backoff_max_s"},
      {"[[webhook]]\nname = \"crm\"\nurl = \"https://x/\"\n" + ok_rest +
           "[[webhook]]\nname = \"crm\"\nurl = \"http://127.0.0.1:9/\"\n" + ok_rest,
       "crm"},
  };
  for (const row& r : bad) {
    CAPTURE(r.toml);
    auto got = parse(r.toml);
    REQUIRE_FALSE(got.has_value());
    CHECK(got.error().message.find(r.want) != std::string::npos);
  }
  auto plain =
      parse("[[webhook]]\nname = \"test\"\nurl = \"http://127.0.0.1:8080/in\"\n" + ok_rest);
  CHECK(plain.has_value());
}
