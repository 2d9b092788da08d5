#include "hd/mailparse/html_safe.hpp"

#include <doctest/doctest.h>

#include <string>

using hd::mailparse::html_active_content;
using hd::mailparse::html_safe_options;
using hd::mailparse::sanitise_html;

namespace {

bool has(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

TEST_CASE("html_safe: formatting survives") {
  struct row {
    const char* name;
    const char* html;
    const char* want;
  };
  const row rows[] = {
      {"paragraphs and bold", "<p>Hi <b>there</b></p>", "<p>Hi <b>there</b></p>"},
      {"lists", "<ul><li>a</li></ul>", "<ul><li>a</li></ul>"},
      {"table gets its tbody", "<table border=1><tr><td colspan=2>x</td></tr></table>",
       "<table border=\"1\"><tbody><tr><td colspan=\"2\">x</td></tr></tbody></table>"},
      {"font", "<font color=\"red\" face=\"Arial\">x</font>",
       "<font color=\"red\" face=\"Arial\">x</font>"},
      {"https link", "<a href=\"https://x.example/a?b=1&amp;c=2\">x</a>",
       "<a href=\"https://x.example/a?b=1&amp;c=2\" rel=\"noopener noreferrer\" "
       "target=\"_blank\">x</a>"},
      {"mailto link", "<a href='mailto:a@b.no'>a</a>",
       "<a href=\"mailto:a@b.no\" rel=\"noopener noreferrer\" target=\"_blank\">a</a>"},
      {"text re-escaped", "a &lt;b&gt; &amp; \"c\"", "a &lt;b&gt; &amp; &quot;c&quot;"},
      {"safe style kept", "<p style=\"color: red; font-weight:bold\">x</p>",
       "<p style=\"color:red;font-weight:bold;\">x</p>"},
      {"rgb colour kept", "<span style=\"color: rgb(1, 2, 3)\">x</span>",
       "<span style=\"color:rgb(1, 2, 3);\">x</span>"},
      {"unknown element unwrapped", "<foo>keep</foo>", "keep"},
      {"pre keeps a leading newline", "<pre>\n\nx</pre>", "<pre>\n\nx</pre>"},
      {"data png image", "<img src=\"data:image/png;base64,iVBO\" alt=\"p\">",
       "<img src=\"data:image/png;base64,iVBO\" alt=\"p\">"},
  };
  for (const row& r : rows) {
    CAPTURE(r.name);
    std::string got = sanitise_html(r.html).html;
    CHECK(got == r.want);
  }
}

TEST_CASE("html_safe: hostile HTML comes out inert") {
  // Each row: hostile input, and a string (lower-cased) that must not be in the output.
  struct row {
    const char* html;
    const char* absent;
  };
  const row rows[] = {
      {"<script>document.title='pwned'</script>x", "pwned"},
      {"<SCRIPT SRC=//evil.example/x.js></SCRIPT>", "evil"},
      {"<img src=x onerror=alert(1)>", "onerror"},
      {"<img src=\"https://t.example/p.gif\" onload=\"x()\">", "t.example"},
      {"<body onload=alert(1)>x", "onload"},
      {"<a href=\"javascript:alert(1)\">x</a>", "javascript"},
      {"<a href=\"JaVaScRiPt:alert(1)\">x</a>", "alert"},
      {"<a href=\"&#106;avascript:alert(1)\">x</a>", "alert"},
      {"<a href=\"&#x6A;&#x61;vascript&colon;alert(1)\">x</a>", "alert"},
      {"<a href=\"java\tscript:alert(1)\">x</a>", "alert"},
      {"<a href=\"java&#10;script:alert(1)\">x</a>", "alert"},
      {"<a href=\" \x01javascript:alert(1)\">x</a>", "alert"},
      {"<a href=\"vbscript:msgbox(1)\">x</a>", "msgbox"},
      {"<a href=\"data:text/html,<script>alert(1)</script>\">x</a>", "data:"},
      {"<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>", "data:"},
      {"<img src=\"data:image/svg+xml,<svg onload=alert(1)>\">", "svg"},
      {"<p style=\"background:url(https://t.example/x)\">x</p>", "t.example"},
      {"<p style=\"background:u\\72l(https://t.example/x)\">x</p>", "t.example"},
      {"<p style=\"width: expression(alert(1))\">x</p>", "expression"},
      {"<p style=\"color:red;}</style><script>x()</script>\">y</p>", "script"},
      {"<style>@import url(https://t.example/c.css); p{background:url(//t.example)}</style>x",
       "t.example"},
      {"<link rel=stylesheet href=https://t.example/c.css>", "t.example"},
      {"<form action=https://t.example/f><input name=p><button>go</button></form>", "t.example"},
      {"<meta http-equiv=refresh content=\"0;url=https://t.example/\">", "t.example"},
      {"<base href=\"https://t.example/\"><a href=\"x\">x</a>", "t.example"},
      {"<svg onload=alert(1)><script>alert(2)</script></svg>", "alert"},
      {"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", "onerror"},
      {"<iframe src=\"https://t.example/\"></iframe>", "t.example"},
      {"<object data=\"https://t.example/x.swf\"></object>", "t.example"},
      {"<embed src=\"https://t.example/x.swf\">", "t.example"},
      {"<!--[if IE]><script>alert(1)</script><![endif]-->x", "alert"},
      {"<!--[if gte mso 9]><img src=https://t.example/p><![endif]-->", "t.example"},
      {"<div><p><b><i>unclosed <script>alert(1)", "alert"},
      {"<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>", "<img"},
      {"<table><td><a href=\"javascript:x()\">a</a>", "javascript"},
      {"<img src=\"cid:logo\" alt=\"logo\">", "cid:"},
      {"<a href=\"/api/requests/1/close\">relative</a>", "/api"},
      {"<template><script>alert(1)</script></template>", "alert"},
      {"<textarea><script>alert(1)</script></textarea>", "alert"},
      {"<xmp><script>alert(1)</script></xmp>", "<script"},
      {"<div id=x class=y>x</div>", "class"},
  };
  for (const row& r : rows) {
    CAPTURE(r.html);
    std::string got = sanitise_html(r.html).html;
    CAPTURE(got);
    CHECK_FALSE(has(lower(got), r.absent));
    CHECK(html_active_content(got).empty());
  }
}

TEST_CASE("html_safe: the checker finds active content") {
  // The oracle must be able to fail: each of these is not inert.
  for (const char* html :
       {"<script>x</script>", "<img src=x onerror=y>", "<a href=\"javascript:x\">x</a>",
        "<a href=\" java&#09;script:x\">x</a>", "<p style=\"background:url(x)\">x</p>",
        "<!-- c -->", "<svg></svg>", "<form></form>", "<meta http-equiv=refresh>",
        "<img src=\"cid:x\">", "<a href=\"/rel\">x</a>"}) {
    CAPTURE(html);
    CHECK_FALSE(html_active_content(html).empty());
  }
}

TEST_CASE("html_safe: images") {
  const char* html =
      "<img src=\"https://t.example/p.gif\" alt=\"pixel\"><img src=\"http://t.example/q\">"
      "<img src=\"cid:logo%40x\" alt=\"logo\"><img src=\"cid:unknown\" alt=\"gone\">";
  html_safe_options o;
  o.cid_url = [](std::string_view id) -> std::optional<std::string> {
    if (id == "logo@x") return "/api/requests/1/attachments/7.0?inline=1";
    return std::nullopt;
  };
  auto blocked = sanitise_html(html, o);
  CHECK(blocked.blocked_images == 2);
  CHECK(blocked.html ==
        "pixel<img src=\"/api/requests/1/attachments/7.0?inline=1\" alt=\"logo\">gone");
  CHECK(html_active_content(blocked.html, "/api/requests/1/attachments/").empty());
  o.remote_images = true;
  auto shown = sanitise_html(html, o);
  CHECK(shown.blocked_images == 0);
  CHECK(has(shown.html, "<img src=\"https://t.example/p.gif\" alt=\"pixel\">"));
}

TEST_CASE("html_safe: limits") {
  html_safe_options o;
  o.max_input_bytes = 10;
  auto r = sanitise_html("<p>0123456789abcdef</p>", o);
  CHECK(r.cut);
  CHECK(r.html == "<p>0123456</p>");

  // Deep nesting: past max_depth elements are unwrapped; far past it, text only.
  o = {};
  o.max_depth = 3;
  r = sanitise_html("<div><div><div><div><b>x</b></div></div></div></div>", o);
  CHECK(r.html == "<div><div><div>x</div></div></div>");
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<div><span>";
  deep += "<script>alert(1)</script>deep";
  r = sanitise_html(deep, o);
  CHECK(r.cut);
  CHECK(r.html == "<pre>\ndeep</pre>");
  CHECK(html_active_content(r.html).empty());
}
