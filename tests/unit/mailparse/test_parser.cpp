#include "hd/mailparse/parser.hpp"

#include "hd/common/utf8.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in, path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("the demo mails parse into what the demo shows") {
  struct row {
    const char* file;
    const char* want_subject;
    const char* want_from;
    const char* want_name;
    const char* want_text_part;
    std::size_t want_attachments;
  };
  const row rows[] = {
      {"01-nl-factuur.eml", "Factuur klopt niet \xE2\x80\x93 dubbel betaald",
       "jan.devries@bakkerij-devries.nl", "Jan de Vries", "al betaald op 3 november", 0},
      {"02-no-skriver.eml", "Skriveren p\xC3\xA5 kontoret virker ikke",
       "asa@fjordkraft-eksempel.no", "\xC3\x85sa Bj\xC3\xB8rnstad", "Troms\xC3\xB8", 0},
      {"03-se-losenord.eml", "L\xC3\xB6senordet fungerar inte", "lars.lindqvist@exempel-ab.se",
       "Lars Lindqvist", "l\xC3\xB6senordet \xC3\xA4r fel", 0},
      {"04-en-export.eml", "Export to CSV drops the last row", "emily.carter@example.co.uk",
       "Emily Carter", "the last row is missing", 1},
  };
  for (const row& r : rows) {
    SUBCASE(r.file) {
      auto m =
          hd::mailparse::parse(read_file(std::string(HD_SOURCE_DIR "/etc/demo/mail/") + r.file));
      REQUIRE(m.has_value());
      CHECK(m->subject == r.want_subject);
      REQUIRE(m->from);
      CHECK(m->from->addr == r.want_from);
      CHECK(m->from->name == r.want_name);
      CHECK_MESSAGE(m->text.find(r.want_text_part) != std::string::npos, m->text);
      CHECK(m->text.find('\r') == std::string::npos);
      CHECK(m->attachments.size() == r.want_attachments);
    }
  }
}

TEST_CASE("threading headers and dates") {
  auto m = hd::mailparse::parse(
      "From: a@example.com\r\nDate: Tue, 05 Mar 2024 14:03:07 +0100\r\nMessage-ID: <abc@x>\r\n"
      "In-Reply-To: <p1@x> (comment)\r\nReferences: <p0@x>\r\n <p1@x>\r\n\r\nbody\r\n");
  REQUIRE(m.has_value());
  CHECK(m->message_id == "abc@x");
  CHECK(m->in_reply_to == "p1@x");
  CHECK(m->references == std::vector<std::string>{"p0@x", "p1@x"});
  CHECK(m->date == 1709643787);  // 2024-03-05T13:03:07Z
}

TEST_CASE("attachments: decoded, hashed, never a path") {
  auto m = hd::mailparse::parse(
      "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
      "Content-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
      "Content-Type: application/octet-stream\r\n"
      "Content-Disposition: attachment; filename=\"../../etc/passwd\"\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n--b--\r\n");
  REQUIRE(m.has_value());
  REQUIRE(m->attachments.size() == 1);
  CHECK(m->attachments[0].filename == "passwd");
  CHECK(m->attachments[0].data == "hello");
  CHECK(m->attachments[0].sha256 ==
        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  CHECK(m->text == "see attached");  // the CRLF before a boundary belongs to the boundary
}

TEST_CASE("unusable input is an error, a limit is a defect") {
  CHECK(hd::mailparse::parse("").error().code == hd::mailparse::errc::empty);
  hd::mailparse::limits lim;
  lim.max_message_bytes = 10;
  CHECK(hd::mailparse::parse("From: a@b.c\r\n\r\nlong body", lim).error().code ==
        hd::mailparse::errc::too_large);
  std::string nested = "From: a@b.c\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n";
  for (int i = 1; i < 8; ++i)
    nested += "--b" + std::to_string(i - 1) + "\r\nContent-Type: multipart/mixed; boundary=b" +
              std::to_string(i) + "\r\n\r\n";
  lim = {};
  lim.max_mime_depth = 3;
  auto m = hd::mailparse::parse(nested, lim);
  REQUIRE(m.has_value());
  CHECK_FALSE(m->defects.empty());
}

TEST_CASE("every string of the result is valid UTF-8, whatever the input") {
  // Found by fuzz_mailparse: a text part whose bytes do not match its charset.
  std::ifstream in(HD_FIXTURES "/hostile/fuzz-invalid-utf8-text.eml", std::ios::binary);
  REQUIRE(in);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto m = hd::mailparse::parse(raw);
  REQUIRE(m.has_value());
  CHECK(hd::is_valid_utf8(m->text));
  CHECK(hd::is_valid_utf8(m->subject.value_or("")));
  auto latin = hd::mailparse::parse(
      "From: a@b.c\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nTroms\xF8\r\n");
  REQUIRE(latin.has_value());
  CHECK(hd::is_valid_utf8(latin->text));
}
