#include "hd/mailparse/html_text.hpp"

#include <doctest/doctest.h>

using hd::mailparse::html_to_text;

TEST_CASE("HTML to readable text") {
  struct row {
    const char* name;
    const char* html;
    const char* want;
  };
  const row rows[] = {
      {"paragraphs", "<p>One</p><p>Two</p>", "One\n\nTwo"},
      {"line breaks", "a<br>b<br/>c", "a\nb\nc"},
      {"white space collapsed", "<p>  lots   of\n  space </p>", "lots of space"},
      {"divs are lines", "<div>a</div><div>b</div>", "a\nb"},
      {"unordered list", "<ul><li>one</li><li>two</li></ul>", "- one\n- two"},
      {"ordered list", "<ol><li>one</li><li>two</li></ol>", "1. one\n2. two"},
      {"link with text", "<a href=\"https://x.example/a\">the page</a>",
       "the page <https://x.example/a>"},
      {"link showing its URL", "<a href=\"https://x.example/\">https://x.example/</a>",
       "https://x.example/"},
      {"mailto link", "<a href=\"mailto:a@b.no\">a@b.no</a>", "a@b.no"},
      {"anchor link", "<a href=\"#top\">top</a>", "top"},
      {"style and script dropped", "<style>p{color:red}</style><script>alert(1)</script><p>hi</p>",
       "hi"},
      {"head dropped", "<html><head><title>T</title></head><body>body</body></html>", "body"},
      {"entities decoded", "caf&eacute; &amp; cr&#232;me &lt;3 &nbsp;x",
       "caf\xC3\xA9 & cr\xC3\xA8me <3 \xC2\xA0x"},
      {"headings", "<h1>Title</h1>text", "Title\n\ntext"},
      {"table rows", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"},
      {"pre kept", "<pre>a\n  b</pre>", "a\n  b"},
      {"image alt", "<img src=\"x.png\" alt=\"logo\"> text", "logo text"},
      {"blockquote", "<p>reply</p><blockquote>quoted</blockquote>", "reply\n\nquoted"},
      {"unclosed tags", "<p>one<p>two<div>three", "one\n\ntwo\n\nthree"},
      {"not html at all", "just text", "just text"},
      {"empty", "", ""},
  };
  for (const row& r : rows) {
    SUBCASE(r.name) { CHECK(html_to_text(r.html) == r.want); }
  }
}

TEST_CASE("hostile HTML: many links, deep nesting (no recursion, linear time)") {
  std::string links;
  for (int i = 0; i < 2000; ++i)
    links += "<a href=\"https://x.example/" + std::to_string(i) + "\">l</a> ";
  std::string text = html_to_text(links);
  CHECK(text.find("l <https://x.example/1999>") != std::string::npos);

  std::string deep;
  for (int i = 0; i < 20000; ++i) deep += "<div><span>";
  deep += "bottom";
  CHECK(html_to_text(deep) == "bottom");

  std::string formatting;
  for (int i = 0; i < 100000; ++i) formatting += "<b><i>";
  CHECK(html_to_text(formatting + "x &amp; y") == "x & y");

  std::string unclosed_links;
  for (int i = 0; i < 2000; ++i) unclosed_links += "<a href=\"u\"><b>x";
  CHECK_FALSE(html_to_text(unclosed_links).empty());
}
