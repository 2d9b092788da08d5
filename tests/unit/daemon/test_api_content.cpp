// Mail content over the API: a hostile HTML mail as a safe document, its attachments as
// downloads, and the 404 for a message or attachment of another request.
#include "daemon_test.hpp"
#include "hd/api/api.hpp"
#include "hd/mailparse/html_safe.hpp"
#include "hd/storage/access.hpp"
#include "hd/storage/workflow.hpp"

#include <doctest/doctest.h>

#include <string>

namespace {

// A hostile HTML mail: a script, an onerror, a javascript: link, CSS url() exfiltration, a form,
// a remote image, a meta refresh; a cid: image and an executable with a path for a name.
const std::string hostile_mail =
    "From: Mallory <m@evil.example>\r\nTo: support@example.com\r\nSubject: invoice\r\n"
    "Message-ID: <hostile@evil.example>\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
    "--outer\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n"
    "--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    "<html><head><meta http-equiv=\"refresh\" content=\"0;url=https://t.example/r\">"
    "<style>body{background:url(https://t.example/css)}</style>"
    "<script>document.title='pwned'</script></head><body>"
    "<p style=\"background-image:url('https://t.example/style')\">Pay <b>now</b></p>"
    "<img src=x onerror=\"fetch('https://t.example/onerror')\">"
    "<a href=\"jav&#x61;script:alert(1)\">click</a>"
    "<form action=\"https://t.example/form\"><input name=p></form>"
    "<img src=\"https://t.example/pixel.gif\" alt=\"tracker\">"
    "<img src=\"cid:logo@evil.example\" alt=\"logo\">"
    "</body></html>\r\n"
    "--rel\r\nContent-Type: image/png\r\nContent-ID: <logo@evil.example>\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--rel--\r\n"
    "--outer\r\nContent-Type: application/x-msdownload; name=\"../../run me\\\".exe\"\r\n"
    "Content-Disposition: attachment; filename=\"../../run me\\\".exe\"\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\nTVqQAA==\r\n"
    "--outer\r\nContent-Type: application/pdf\r\n"
    "Content-Disposition: attachment; filename*=utf-8''Faktura%20%C3%A6%C3%B8.pdf\r\n\r\n"
    "%PDF-1.4\r\n--outer--\r\n";

struct fixture {
  std::shared_ptr<const hd::config> cfg = std::make_shared<const hd::config>(
      daemon_test::config_of("[[user]]\nlogin = \"anna\"\n[http]\n"));
  hd::storage::store db = *hd::storage::store::open(":memory:");
  hd::daemon::api_env env;
  std::string secret = hd::daemon::new_token_secret();
  std::int64_t request = 0, message = 0;

  fixture() {
    env.cfg = cfg;
    env.now = [] { return std::int64_t{1700000000}; };
    hd::storage::new_request r{"jane@c.example", "Jane", "Printer", "It is broken", "", ""};
    REQUIRE(hd::storage::create_request(db, r, {"anna", 1700000000}).has_value());
    hd::storage::new_token t{"anna", "t", "read", "token", secret, {}};
    REQUIRE(hd::storage::create_token(db, t, 1700000000).has_value());
    hd::parsed_message m = daemon_test::parse_ok(hostile_mail);
    hd::storage::inbound in;
    in.source.mailbox = "stdin";
    in.raw = hostile_mail;
    in.parsed = &m;
    in.now = 1700000100;
    auto out = db.ingest(in);
    REQUIRE(out.has_value());
    request = out->request_id;
    message = out->message_id;
    REQUIRE(request != 1);
  }

  hd::http::response get(const std::string& target, bool auth = true) {
    hd::http::request r;
    r.method = "GET";
    r.target = target;
    auto t = hd::http::parse_target(target);
    REQUIRE(t.has_value());
    r.path = t->path;
    r.query = t->query;
    if (auth) r.headers.emplace_back("authorization", "Bearer " + secret);
    r.client = "127.0.0.1";
    return hd::daemon::dispatch(r, db, env);
  }
};

std::string header(const hd::http::response& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

bool has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("content: a hostile HTML mail comes back as an inert document") {
  fixture f;
  std::string path = "/api/requests/" + std::to_string(f.request) + "/messages/" +
                     std::to_string(f.message) + "/html";
  auto r = f.get(path);
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "text/html; charset=utf-8");
  std::string csp = header(r, "Content-Security-Policy");
  CHECK(has(csp, "default-src 'none'"));
  CHECK(has(csp, "img-src 'self' data:;"));
  CHECK(has(csp, "sandbox allow-popups allow-popups-to-escape-sandbox;"));
  CHECK_FALSE(has(csp, "allow-scripts"));
  CHECK_FALSE(has(csp, "allow-same-origin"));
  CHECK(header(r, "X-Content-Type-Options") == "nosniff");
  CHECK(header(r, "X-Blocked-Images") == "1");
  CHECK(has(r.body, "Pay <b>now</b>"));
  CHECK(has(r.body, "tracker"));  // the blocked image's alt text
  CHECK(has(r.body, "<img src=\"data:image/png;base64,iVBORw0KGgo=\" alt=\"logo\">"));
  for (std::string_view gone :
       {"t.example", "script", "onerror", "javascript", "<form", "<input", "refresh", "pwned"}) {
    CAPTURE(gone);
    CHECK_FALSE(has(r.body, gone));
  }
  // The mail's part of the document is inert by the independent check.
  std::size_t from = r.body.find("<body>"), to = r.body.rfind("</body>");
  REQUIRE(from != std::string::npos);
  REQUIRE(to != std::string::npos);
  CHECK(hd::mailparse::html_active_content(r.body.substr(from + 6, to - from - 6)).empty());

  auto shown = f.get(path + "?images=1");
  CHECK(has(header(shown, "Content-Security-Policy"), "img-src 'self' data: https:;"));
  CHECK(header(shown, "X-Blocked-Images") == "0");
  CHECK(has(shown.body, "<img src=\"https://t.example/pixel.gif\" alt=\"tracker\">"));
}

TEST_CASE("content: a message or attachment of another request is 404") {
  fixture f;
  std::string mid = std::to_string(f.message);
  CHECK(f.get("/api/requests/1/messages/" + mid + "/html").status == 404);
  CHECK(f.get("/api/requests/1/attachments/" + mid + ".1").status == 404);
  CHECK(f.get("/api/requests/999/messages/" + mid + "/html").status == 404);
  CHECK(f.get("/api/requests/" + std::to_string(f.request) + "/attachments/" + mid + ".9").status ==
        404);
  CHECK(f.get("/api/requests/" + std::to_string(f.request) + "/attachments/x").status == 404);
  CHECK(f.get("/api/requests/" + std::to_string(f.request) + "/messages/" + mid + "/html", false)
            .status == 401);
}

TEST_CASE("content: attachments are downloads, previews only for images and PDFs") {
  fixture f;
  std::string base = "/api/requests/" + std::to_string(f.request) + "/attachments/" +
                     std::to_string(f.message) + ".";
  auto png = f.get(base + "0?inline=1");
  REQUIRE(png.status == 200);
  CHECK(png.content_type == "image/png");
  CHECK(png.body == std::string("\x89PNG\r\n\x1a\n", 8));
  CHECK(header(png, "Content-Disposition").starts_with("inline;"));
  CHECK(header(png, "Content-Security-Policy") == "sandbox; default-src 'none'");

  auto exe = f.get(base + "1?inline=1");  // inline is refused for anything else
  REQUIRE(exe.status == 200);
  CHECK(exe.content_type == "application/x-msdownload");
  CHECK(exe.body == std::string("MZ\x90\0", 4));
  std::string cd = header(exe, "Content-Disposition");
  CHECK(cd.starts_with("attachment;"));
  CHECK_FALSE(has(cd, ".."));
  CHECK_FALSE(has(cd, "/"));
  CHECK(has(cd, "filename*=UTF-8''run%20me.exe"));
  CHECK(header(exe, "X-Content-Type-Options") == "nosniff");
  CHECK(header(exe, "Content-Security-Policy") == "sandbox; default-src 'none'");

  auto pdf = f.get(base + "2?inline=1");
  REQUIRE(pdf.status == 200);
  CHECK(pdf.content_type == "application/pdf");
  CHECK(header(pdf, "Content-Disposition") ==
        "inline; filename=\"Faktura ____.pdf\"; filename*=UTF-8''Faktura%20%C3%A6%C3%B8.pdf");
  CHECK_FALSE(has(header(pdf, "Content-Security-Policy"), "sandbox"));
  CHECK(header(f.get(base + "2"), "Content-Disposition").starts_with("attachment;"));
}
