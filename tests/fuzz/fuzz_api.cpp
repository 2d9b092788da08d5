// libFuzzer target for the HTTP API behind the socket: a request target, headers and a JSON
// body from the input go through parse_target and dispatch() on an in-memory store with one
// request and a write token. Must never crash, leak, or answer without a JSON error body.
#include "hd/api/api.hpp"
#include "hd/storage/access.hpp"
#include "hd/storage/workflow.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

struct world {
  std::shared_ptr<const hd::config> cfg;
  hd::storage::store db;
  hd::daemon::api_env env;
  std::string token = "hdt_fuzz_token_0123456789abcdef0123456789abcdef";
};

world& the_world() {
  static world* w = [] {
    auto c = hd::parse_config("[[user]]\nlogin = \"anna\"\nrole = \"admin\"\n[http]\n", "f.toml",
                              "/tmp", [](const std::string&) { return std::nullopt; });
    if (!c) std::abort();
    auto db = hd::storage::store::open(":memory:");
    if (!db) std::abort();
    auto* out = new world{std::make_shared<const hd::config>(*c), std::move(*db), {}, {}};
    out->env.cfg = out->cfg;
    out->env.now = [] { return std::int64_t{1700000000}; };
    hd::storage::new_request r{"jane@c.example", "Jane", "Printer", "broken", "", ""};
    (void)hd::storage::create_request(out->db, r, {"anna", 1700000000});
    hd::storage::new_token t{"anna", "fuzz", "write", "token", out->token, {}};
    (void)hd::storage::create_token(out->db, t, 1700000000);
    return out;
  }();
  return *w;
}

// The next line of IN (without its end), advancing IN.
std::string_view line(std::string_view& in) {
  std::size_t e = in.find('\n');
  std::string_view l = in.substr(0, e);
  in = e == std::string_view::npos ? std::string_view() : in.substr(e + 1);
  return l;
}

}  // namespace

// Input: "METHOD TARGET\n" then "name: value" header lines, an empty line, the body.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  world& w = the_world();
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view first = line(in);
  std::size_t sp = first.find(' ');
  if (sp == std::string_view::npos) return 0;
  hd::http::request r;
  r.method = std::string(first.substr(0, sp));
  r.target = std::string(first.substr(sp + 1));
  auto t = hd::http::parse_target(r.target);
  if (!t) return 0;
  r.path = t->path;
  r.query = t->query;
  r.headers.emplace_back("authorization", "Bearer " + w.token);
  for (std::string_view h = line(in); !h.empty(); h = line(in)) {
    std::size_t colon = h.find(':');
    if (colon == std::string_view::npos) continue;
    r.headers.emplace_back(std::string(h.substr(0, colon)), std::string(h.substr(colon + 1)));
  }
  r.body = std::string(in);
  r.client = "127.0.0.1";
  // Argon2 hashing (64 MiB a login) would slow the run to a crawl; logins are unit-tested.
  if (r.path == "/api/login") return 0;
  hd::http::response res = hd::daemon::dispatch(r, w.db, w.env);
  if (res.status >= 400 && res.body.find("\"error\"") == std::string::npos) std::abort();
  if (res.status >= 500) std::abort();  // a bug: dispatch logged an exception
  return 0;
}
