// `body` (RFC 5173) reads what Pigeonhole's sieve-test reads (issue 23 points 3 and 4). Every
// expected list below was read off `sieve-test -t - -Tlevel=matching` (Pigeonhole 0.5.19) with
// `body <transform> :contains "qqq"`: the values it matched, in order.

#include "hd/mailparse/sieve_parts.hpp"
#include "hd/rules/script.hpp"
#include "values.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using strings = std::vector<std::string>;

const char* const k_bounce =
    "From: MAILER-DAEMON@x.org\nSubject: Undelivered\nContent-Type: multipart/report; "
    "report-type=delivery-status; boundary=\"R1\"\n\n--R1\nContent-Type: text/plain\n\nYour "
    "mail could not be delivered.\n--R1\nContent-Type: message/delivery-status\n\nReporting-MTA: "
    "dns; x.org\n--R1\nContent-Type: message/rfc822\n\nFrom: a@b.c\nSubject: Invoice "
    "42\nContent-Type: multipart/alternative; boundary=\"I1\"\n\n--I1\nContent-Type: text/plain; "
    "charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nPlease pay caf=E9 "
    "invoice\n--I1\nContent-Type: text/html\n\n<html><body><p>Please pay "
    "<b>invoice</b></p></body></html>\n--I1--\n--R1--\n";

const char* const k_attach =
    "From: a@b.c\nSubject: t\nMIME-Version: 1.0\nContent-Type: multipart/mixed; "
    "boundary=\"M\"\n\nThis is a multi-part message in MIME format.\n--M\nContent-Type: "
    "multipart/alternative; boundary=\"A\"\n\n--A\nContent-Type: text/plain; "
    "charset=utf-8\n\nPlain words\n--A\nContent-Type: text/html; "
    "charset=utf-8\nContent-Transfer-Encoding: "
    "base64\n\nPGRpdj5IVE1MICZsdDt3b3JkcyZndDs8L2Rpdj4=\n--A--\n--M\nContent-Type: text/plain; "
    "name=\"notes.txt\"\nContent-Disposition: attachment; filename=\"notes.txt\"\n\nattached "
    "notes\n--M\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: "
    "x-uuencode\n\nbegin 644 x\n--M--\n\nepilogue text\n";

const char* const k_wrong_boundary =
    "From: a@b.c\nSubject: t\nContent-Type: multipart/mixed; "
    "boundary=\"NOPE\"\n\n--OTHER\nContent-Type: text/plain\n\nhidden text\n--OTHER--\n";

const char* const k_no_blank_line =
    "From: a@b.c\nSubject: t\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\n"
    "Content-Type: text/plain\n--B\n\nsecond\n--B--\n";

const char* const k_prefix =
    "From: a@b.c\nSubject: t\nContent-Type: multipart/mixed; boundary=\"ab\"\n\n--ab\n"
    "Content-Type: multipart/mixed; boundary=\"abc\"\n\n--abc\n\ninner one\n--ab\n\nouter "
    "two\n--ab--\n";

const char* const k_html =
    "From: a@b.c\nSubject: t\nContent-Type: text/html\n\n<style>p {x}</style><!-- c "
    "--><p>A&nbsp;b &unknown; c &#65;&#x42;</p><script>var "
    "s</script><blockquote>q</blockquote>end";

const char* const k_qp =
    "From: a@b.c\nSubject: t\nContent-Type: text/plain; charset=iso-8859-1\n"
    "Content-Transfer-Encoding: quoted-printable\n\nline one=\n still caf=E9\nline two\n";

const char* const k_digest =
    "From: a@b.c\nContent-Type: multipart/digest; boundary=D\n\n--D\n\nSubject: one\n\n"
    "message 1\n--D\nContent-Type: message/rfc822\n\nSubject: two\n\nmessage 2\n--D--\n";

const char* const k_rfc2231_boundary =
    "From: a@b.c\nContent-Type: multipart/mixed; boundary*=us-ascii''Q\n\n--Q\n\npart\n"
    "--Q--\n";

const char* const k_nested_epilogue =
    "From: a@b.c\nContent-Type: multipart/mixed; boundary=O\n\n--O\nContent-Type: "
    "multipart/alternative; boundary=I\n\n--I\n\nin\n--I--\n\n--O--\n";

// The values `body <transform>` matches against (TRANSFORM: ":raw", ":text" or a :content type).
strings body_values(const std::string& raw, const std::string& transform) {
  std::string text = "require \"body\"; if body " +
                     (transform[0] == ':' ? transform : ":content \"" + transform + "\"") +
                     " :contains \"qqq\" { discard; }";
  auto s = hd::rules::compile(text, "t.sieve", {});
  REQUIRE(s.has_value());
  hd::parsed_message m;  // unused once body_parts is given
  hd::rules::input in;
  in.message = &m;
  in.raw = raw;
  in.body_parts = [&] { return hd::mailparse::sieve_body_parts(raw); };
  hd::rules::mail_view view(s->program(), in);
  hd::rules::body_transform tr = transform == ":raw"    ? hd::rules::body_transform::raw
                                 : transform == ":text" ? hd::rules::body_transform::text
                                                        : hd::rules::body_transform::content;
  strings types;
  if (tr == hd::rules::body_transform::content) types.push_back(transform);
  strings out;
  for (std::string_view v : view.body(tr, types)) out.emplace_back(v);
  return out;
}

}  // namespace

TEST_CASE("body: every MIME part, as Pigeonhole sees it") {
  struct row {
    const char* name;
    const char* mail;
    std::string transform;
    strings want;
  };
  const std::string rfc822_headers =
      "From: a@b.c\r\nSubject: Invoice 42\r\nContent-Type: multipart/alternative; "
      "boundary=\"I1\"\r\n";
  std::vector<row> rows = {
      // Point 3: a bounce quoting the original: the attached message's parts are searched;
      // the message/rfc822 part itself is the attached message's header lines.
      {"bounce",
       k_bounce,
       "",
       {"", "Your mail could not be delivered.", "Reporting-MTA: dns; x.org", rfc822_headers, "",
        "Please pay caf\xC3\xA9 invoice",
        "<html><body><p>Please pay <b>invoice</b></p></body></html>"}},
      {"bounce",
       k_bounce,
       ":text",
       {"Your mail could not be delivered.", "Please pay caf\xC3\xA9 invoice",
        "Please pay invoice "}},
      {"bounce", k_bounce, "message/rfc822", {rfc822_headers}},
      {"bounce", k_bounce, "multipart", {"", ""}},
      // Point 4: the HTML alternative converted to text, a text attachment, a part in a
      // transfer encoding Dovecot does not decode (empty), preamble and epilogue.
      {"attach",
       k_attach,
       "",
       {"This is a multi-part message in MIME format.", "", "Plain words",
        "<div>HTML &lt;words&gt;</div>", "attached notes", "", "\nepilogue text\n"}},
      {"attach", k_attach, ":text", {"Plain words", "HTML <words> ", "attached notes"}},
      {"attach",
       k_attach,
       "multipart",
       {"This is a multi-part message in MIME format.", "", "\nepilogue text\n"}},
      {"attach", k_attach, "text/plain", {"Plain words", "attached notes"}},
      // Wrong boundaries: the text is all preamble, which :text does not read.
      {"wrong boundary",
       k_wrong_boundary,
       "",
       {"--OTHER\nContent-Type: text/plain\n\nhidden text\n--OTHER--\n"}},
      {"wrong boundary", k_wrong_boundary, ":text", {}},
      // A part whose headers run into the next boundary has no body.
      {"no blank line", k_no_blank_line, "", {"", "second"}},
      {"no blank line", k_no_blank_line, ":text", {"second"}},
      {"no blank line",
       k_no_blank_line,
       ":raw",
       {"--B\nContent-Type: text/plain\n--B\n\nsecond\n--B--\n"}},
      // The longest boundary that prefixes the line wins; an outer one ends the inner part.
      {"prefix", k_prefix, "", {"", "", "inner one", "outer two"}},
      {"prefix", k_prefix, ":text", {"inner one", "outer two"}},
      // An empty body: one empty part, but no :raw value at all.
      {"empty", "From: a@b.c\nSubject: t\n\n", "", {""}},
      {"empty", "From: a@b.c\nSubject: t\n\n", ":raw", {}},
      // A digest's part without Content-Type is an attached message whose own entry is empty
      // (text/plain to Pigeonhole); one that says message/rfc822 is its header lines.
      {"digest", k_digest, "", {"", "", "message 1", "Subject: two\r\n", "message 2"}},
      {"digest", k_digest, ":text", {"", "message 1", "message 2"}},
      // Dovecot takes only a plain boundary= parameter: this multipart is all preamble.
      {"rfc2231 boundary", k_rfc2231_boundary, "", {"--Q\n\npart\n--Q--\n"}},
      {"rfc2231 boundary", k_rfc2231_boundary, ":text", {}},
      // An epilogue that is only the line end before the outer boundary is no part.
      {"nested epilogue", k_nested_epilogue, "", {"", "", "in"}},
      {"nested epilogue", k_nested_epilogue, "multipart", {"", ""}},
      // Dovecot's html2text.
      {"html",
       k_html,
       ":text",
       {"A\xC2\xA0"
        "b  c AB \n> q\nend"}},
      // Quoted-printable hard line breaks are CRLF; the charset is read.
      {"qp", k_qp, "text", {"line one still caf\xC3\xA9\r\nline two\r\n"}},
      {"crlf",
       "From: a@b.c\r\nSubject: t\r\n\r\nfirst\r\nsecond\r\n",
       ":raw",
       {"first\r\nsecond\r\n"}},
      {"crlf",
       "From: a@b.c\r\nSubject: t\r\n\r\nfirst\r\nsecond\r\n",
       ":text",
       {"first\r\nsecond\r\n"}},
  };
  for (const row& r : rows) {
    CAPTURE(r.name);
    CAPTURE(r.transform);
    CHECK(body_values(r.mail, r.transform) == r.want);
  }
}

TEST_CASE("body: parts past the limits are read as one part") {
  hd::mailparse::limits lim;
  lim.max_parts = 2;
  auto parts = hd::mailparse::sieve_body_parts(k_attach, lim);
  // The root and the alternative count; after that no boundary is recognised, so the
  // alternative's preamble runs to the end.
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].content == "This is a multi-part message in MIME format.");
  CHECK(parts[1].content.find("epilogue text") != std::string::npos);
  lim = {};
  lim.max_mime_depth = 1;
  parts = hd::mailparse::sieve_body_parts(k_attach, lim);
  REQUIRE(parts.size() == 1);  // the root multipart is read as a single part
  CHECK(parts[0].content_type == "multipart/mixed");
}

TEST_CASE("body: never sets match variables (RFC 5173, as Pigeonhole)") {
  // sieve-test: "store message in folder: x-aktura 12" (${1} is still the header's).
  std::string raw = "From: a@b.c\nSubject: Faktura 12\n\nhei there\n";
  auto s = hd::rules::compile(
      "require [\"body\", \"variables\", \"fileinto\", \"regex\"];\n"
      "if header :matches \"subject\" \"F*\" { }\n"
      "if body :regex \"(e)\" { fileinto \"x-${1}\"; }\n",
      "t.sieve", {});
  REQUIRE(s.has_value());
  hd::parsed_message m;
  hd::rules::input in;
  in.message = &m;
  in.raw = raw;
  in.body_parts = [&] { return hd::mailparse::sieve_body_parts(raw); };
  hd::rules::outcome o = hd::rules::evaluate(*s, in);
  REQUIRE(o.actions.size() == 1);
  CHECK(o.actions[0].argument == "x-aktura 12");
}

TEST_CASE("body :regex: '.' matches a line end, as POSIX regexes in Pigeonhole") {
  // sieve-test over cpython msg_10 (a quoted-printable text/html part ending in CRLF):
  // body :content "TEXT/HTML" :regex "^(.*)$" matches.
  std::string raw =
      "From: a@b.c\nSubject: t\nContent-Type: text/html; charset=iso-8859-1\n"
      "Content-Transfer-Encoding: quoted-printable\n\n=A1This is a message!\n";
  auto s = hd::rules::compile(
      "require [\"body\", \"fileinto\", \"regex\"];\n"
      "if body :content \"TEXT/HTML\" :regex :comparator \"i;octet\" \"^(.*)$\" { fileinto "
      "\"yes\"; }\n",
      "t.sieve", {});
  REQUIRE(s.has_value());
  hd::parsed_message m;
  hd::rules::input in;
  in.message = &m;
  in.raw = raw;
  in.body_parts = [&] { return hd::mailparse::sieve_body_parts(raw); };
  hd::rules::outcome o = hd::rules::evaluate(*s, in);
  REQUIRE(o.actions.size() == 1);
  CHECK(o.actions[0].argument == "yes");
}
