// The IMAP response framer and parser: tables of server responses, good and hostile.
#include "hd/imap/imap_parser.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace imap = hd::daemon::imap;

namespace {

// Feeds BYTES in pieces of STEP bytes and collects every framed response.
std::vector<std::string> frame_all(const std::string& bytes, std::size_t step,
                                   imap::framer_limits lim = {}) {
  imap::framer f(lim);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < bytes.size(); i += step) {
    f.feed(std::string_view(bytes).substr(i, step));
    while (true) {
      auto r = f.next();
      REQUIRE(r.has_value());
      if (!*r) break;
      out.push_back(**r);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("framer: lines and literals, whatever the read sizes") {
  const std::string stream =
      "* 2 EXISTS\r\n"
      "* 1 FETCH (UID 7 BODY[] {12}\r\nHi\r\nthere\r\n\r\n)\r\n"
      "* 2 FETCH (UID 8 BODY[HEADER] {0}\r\n)\r\n"
      "a1 OK done\r\n";
  for (std::size_t step : {1u, 2u, 3u, 7u, 1000u}) {
    CAPTURE(step);
    auto got = frame_all(stream, step);
    REQUIRE(got.size() == 4);
    CHECK(got[0] == "* 2 EXISTS");
    CHECK(got[1] == "* 1 FETCH (UID 7 BODY[] {12}\r\nHi\r\nthere\r\n\r\n)");
    CHECK(got[3] == "a1 OK done");
  }
}

TEST_CASE("framer: limits") {
  imap::framer_limits lim{32, 8};
  SUBCASE("line too long") {
    imap::framer f(lim);
    f.feed("* OK 0123456789abcdefghij0123456789abcdefghij");
    CHECK_FALSE(f.next().has_value());
  }
  SUBCASE("literal too large") {
    imap::framer f(lim);
    f.feed("* 1 FETCH {9}\r\n");
    CHECK_FALSE(f.next().has_value());
  }
  SUBCASE("literal within limits") {
    auto got = frame_all("* 1 FETCH (BODY[] {8}\r\n12345678)\r\n", 5, lim);
    CHECK(got.size() == 1);
  }
}

TEST_CASE("parse_response: status responses and codes") {
  struct row {
    std::string in;
    imap::response_kind want_kind;
    std::string want_tag, want_keyword, want_code, want_code_arg, want_text;
  };
  const std::vector<row> table = {
      {"a1 OK [READ-WRITE] Select completed", imap::response_kind::tagged, "a1", "OK", "READ-WRITE",
       "", "Select completed"},
      {"* OK [UIDVALIDITY 1795366309] UIDs valid", imap::response_kind::untagged, "", "OK",
       "UIDVALIDITY", "1795366309", "UIDs valid"},
      {"* OK [UIDNEXT 12] Predicted next UID", imap::response_kind::untagged, "", "OK", "UIDNEXT",
       "12", "Predicted next UID"},
      {"a2 no [AUTHENTICATIONFAILED] Bad", imap::response_kind::tagged, "a2", "NO",
       "AUTHENTICATIONFAILED", "", "Bad"},
      {"a3 BAD Error in IMAP command", imap::response_kind::tagged, "a3", "BAD", "", "",
       "Error in IMAP command"},
      {"* BYE Server shutting down.", imap::response_kind::untagged, "", "BYE", "", "",
       "Server shutting down."},
      {"+ idling", imap::response_kind::continuation, "", "", "", "", "idling"},
      {"+", imap::response_kind::continuation, "", "", "", "", ""},
  };
  for (const row& t : table) {
    CAPTURE(t.in);
    auto got = imap::parse_response(t.in);
    REQUIRE(got.has_value());
    CHECK(got->kind == t.want_kind);
    CHECK(got->tag == t.want_tag);
    CHECK(got->keyword == t.want_keyword);
    CHECK(got->code == t.want_code);
    CHECK(got->code_arg == t.want_code_arg);
    CHECK(got->text == t.want_text);
  }
}

TEST_CASE("parse_response: data responses") {
  SUBCASE("EXISTS and EXPUNGE") {
    auto got = imap::parse_response("* 23 EXISTS");
    REQUIRE(got.has_value());
    CHECK(got->keyword == "EXISTS");
    CHECK(got->number == 23);
    got = imap::parse_response("* 4 EXPUNGE");
    REQUIRE(got.has_value());
    CHECK(got->keyword == "EXPUNGE");
  }
  SUBCASE("CAPABILITY, untagged and as a response code") {
    auto got = imap::parse_response("* CAPABILITY IMAP4rev1 idle MOVE AUTH=PLAIN");
    REQUIRE(got.has_value());
    CHECK(got->capabilities == std::vector<std::string>{"IMAP4REV1", "IDLE", "MOVE", "AUTH=PLAIN"});
    got = imap::parse_response("* OK [CAPABILITY IMAP4rev1 IDLE] ready");
    REQUIRE(got.has_value());
    CHECK(got->capabilities == std::vector<std::string>{"IMAP4REV1", "IDLE"});
    CHECK(got->text == "ready");
  }
  SUBCASE("SEARCH") {
    auto got = imap::parse_response("* SEARCH 1 5 99999");
    REQUIRE(got.has_value());
    CHECK(got->search == std::vector<std::int64_t>{1, 5, 99999});
    got = imap::parse_response("* SEARCH");
    REQUIRE(got.has_value());
    CHECK(got->search.empty());
    CHECK_FALSE(imap::parse_response("* SEARCH 1 x").has_value());
  }
}

TEST_CASE("parse_response: FETCH") {
  struct row {
    std::string in;
    std::int64_t want_seq;
    std::optional<std::int64_t> want_uid, want_size;
    std::optional<std::string> want_body;
    std::string want_section;
  };
  const std::vector<row> table = {
      {"* 1 FETCH (UID 7 RFC822.SIZE 4096)", 1, 7, 4096, std::nullopt, ""},
      {"* 2 FETCH (RFC822.SIZE 10 UID 8)", 2, 8, 10, std::nullopt, ""},
      {"* 3 FETCH (UID 9 BODY[] {5}\r\nab\r\nc)", 3, 9, std::nullopt, "ab\r\nc", ""},
      {"* 3 FETCH (BODY[] {5}\r\nab)() UID 9)", 3, 9, std::nullopt, "ab)()", ""},
      {"* 4 FETCH (UID 10 BODY[HEADER] \"Subject: x\")", 4, 10, std::nullopt, "Subject: x",
       "HEADER"},
      {"* 5 fetch (uid 11 body[] NIL)", 5, 11, std::nullopt, "", ""},
      {"* 6 FETCH (FLAGS (\\Seen \\Recent) UID 12)", 6, 12, std::nullopt, std::nullopt, ""},
      {"* 7 FETCH (UID 13 BODY[HEADER.FIELDS (FROM TO)] {3}\r\nx\r\n)", 7, 13, std::nullopt,
       "x\r\n", "HEADER.FIELDS (FROM TO)"},
      {"* 8 FETCH (UID 14 BODY[]<0> {1}\r\nz)", 8, 14, std::nullopt, "z", ""},
      {"* 9 FETCH (UID 15 INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" ENVELOPE (NIL \"s\" ((NIL "
       "NIL \"a\" \"b\")) NIL))",
       9, 15, std::nullopt, std::nullopt, ""},
      {"* 10 FETCH (MODSEQ (12) UID 16 BODY[] {0}\r\n)", 10, 16, std::nullopt, "", ""},
  };
  for (const row& t : table) {
    CAPTURE(t.in);
    auto got = imap::parse_response(t.in);
    REQUIRE(got.has_value());
    REQUIRE(got->fetch.has_value());
    CHECK(got->number == t.want_seq);
    CHECK(got->fetch->uid == t.want_uid);
    CHECK(got->fetch->size == t.want_size);
    CHECK(got->fetch->body == t.want_body);
    CHECK(got->fetch->section == t.want_section);
  }
  auto flags = imap::parse_response("* 6 FETCH (FLAGS (\\Seen \\Recent) UID 12)");
  REQUIRE(flags.has_value());
  CHECK(flags->fetch->flags == std::vector<std::string>{"\\Seen", "\\Recent"});
}

TEST_CASE("parse_response: hostile input is an error, never a crash") {
  const std::vector<std::string> bad = {
      "",
      "*",
      "* ",
      "a1",
      "a1 MAYBE",
      "* 1 FETCH",
      "* 1 FETCH (UID",
      "* 1 FETCH (UID x)",
      "* 1 FETCH (BODY[] {99}\r\nshort)",
      "* 1 FETCH (BODY[] {5}",
      "* 1 FETCH (BODY[] {5}\r\n",
      "* 1 FETCH (BODY[] \"unterminated)",
      "* 1 FETCH (X " + std::string(200, '(') + ")",
      "* 99999999999999999999 EXISTS",
  };
  for (const std::string& in : bad) {
    CAPTURE(in);
    auto got = imap::parse_response(in);
    if (got.has_value()) {
      // Numbers too large to be sequence numbers are an unknown keyword, not a crash.
      CHECK(got->fetch.has_value() == false);
    }
  }
  CHECK_FALSE(imap::parse_response("* 1 FETCH (BODY[] {99}\r\nshort)").has_value());
  CHECK_FALSE(imap::parse_response("a1 MAYBE").has_value());
}

TEST_CASE("quote and uid_set") {
  CHECK(imap::quote("INBOX") == "\"INBOX\"");
  CHECK(imap::quote("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK_FALSE(imap::quote("a\r\nb").has_value());
  CHECK(imap::uid_set({1, 2, 3, 7, 9, 10}) == "1:3,7,9:10");
  CHECK(imap::uid_set({5}) == "5");
  CHECK(imap::uid_set({}).empty());
}
