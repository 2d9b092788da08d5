#include "hd/api/web.hpp"

#include "hd/common/digest.hpp"

#include <fmt/format.h>

#include <map>
#include <string>

namespace hd::daemon {
namespace {

// The page's policy: the app's own scripts, styles and API only. Mail is shown in a sandboxed
// frame served by the API with a policy of its own (docs/web.md).
constexpr const char* page_policy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; "
    "frame-ancestors 'none'";

std::string_view type_of(std::string_view name) {
  auto ends = [&](std::string_view s) { return name.ends_with(s); };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

struct served {
  std::string_view body;
  std::string etag;
};

const std::map<std::string, served, std::less<>>& files() {
  static const std::map<std::string, served, std::less<>> m = [] {
    std::map<std::string, served, std::less<>> out;
    for (const auto& [name, body] : web_files())
      out.emplace(std::string(name),
                  served{body, fmt::format("\"{}\"", sha256_hex(body).substr(0, 32))});
    return out;
  }();
  return m;
}

}  // namespace

std::optional<http::response> web_page(const http::request& req) {
  std::string_view name;
  if (req.path == "/" || req.path == "/index.html") {
    name = "index.html";
  } else if (req.path.starts_with("/static/")) {
    name = std::string_view(req.path).substr(8);
  } else {
    return std::nullopt;
  }
  http::response r;
  auto it = files().find(name);
  // Errors as everywhere on this listener: a JSON body with a stable code.
  if (it == files().end() || (name == "index.html" && req.path.starts_with("/static/"))) {
    r.status = 404;
    r.body = R"({"error":{"code":"no_route","message":"there is no such file"}})";
    return r;
  }
  if (req.method != "GET" && req.method != "HEAD") {
    r.status = 405;
    r.headers.emplace_back("Allow", "GET, HEAD");
    r.body =
        R"({"error":{"code":"method_not_allowed","message":"the app's files are read with GET"}})";
    return r;
  }
  r.content_type = std::string(type_of(name));
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("ETag", it->second.etag);
  if (name == "index.html") r.headers.emplace_back("Content-Security-Policy", page_policy);
  if (req.header("if-none-match") == it->second.etag) {
    r.status = 304;
    return r;
  }
  if (req.method == "GET") r.body = std::string(it->second.body);
  return r;
}

}  // namespace hd::daemon
