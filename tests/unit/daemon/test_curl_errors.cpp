// curl's codes in words an admin can act on: host:port, user, the setting to change.
#include "hd/net/curl_errors.hpp"
#include "hd/net/curl_handles.hpp"

#include <doctest/doctest.h>

using hd::daemon::curl_peer;
using hd::daemon::explain_curl_error;

TEST_CASE("explain_curl_error names the server, the user and the setting") {
  curl_peer imap{"IMAP", "imap.example.com", 993, "support@example.com", "[[mailbox]] support", "",
                 60};
  struct row {
    const char* name;
    int code;
    const char* detail;
    const char* want;
  };
  const row rows[] = {
      {"login denied (67)", 67, "Login denied",
       "login denied for user 'support@example.com' at IMAP server imap.example.com:993: check "
       "`user` and the password (password_file or password_env) in [[mailbox]] support (curl "
       "error 67)"},
      {"expired certificate (60)", 60, "SSL certificate problem: certificate has expired",
       "the TLS certificate of IMAP server imap.example.com:993 was not accepted: the certificate "
       "has expired; it was checked against the system's trusted CAs (set ca_file in [[mailbox]] "
       "support for a private CA) (curl error 60)"},
      {"unknown CA (60)", 60, "SSL certificate problem: unable to get local issuer certificate",
       "was not accepted: it is signed by a CA we do not trust (unable to get local issuer "
       "certificate)"},
      {"name mismatch (60)", 60,
       "SSL: no alternative certificate subject name matches target host name 'imap.example.com'",
       "was not accepted: the name does not match the host"},
      {"connect timeout (28)", 28, "Connection timed out after 60001 milliseconds",
       "IMAP server imap.example.com:993 did not answer within the timeout of 60 s (timeout_s in "
       "[[mailbox]] support): Connection timed out after 60001 milliseconds (curl error 28)"},
      {"refused (7)", 7, "Failed to connect to imap.example.com port 993: Connection refused",
       "cannot connect to IMAP server imap.example.com:993: Failed to connect"},
      {"unknown host (6)", 6, "",
       "cannot resolve the host name 'imap.example.com' (host in [[mailbox]] support) (curl "
       "error 6)"},
  };
  for (const row& r : rows) {
    SUBCASE(r.name) {
      std::string got = explain_curl_error(r.code, r.detail, imap);
      CHECK_MESSAGE(got.find(r.want) != std::string::npos, got);
    }
  }
  curl_peer smtp{"SMTP", "mail.example.com", 587, "helpdesk", "[smtp]", "/etc/ssl/our-ca.pem", 30};
  CHECK(explain_curl_error(60, "SSL certificate problem: self-signed certificate", smtp)
            .find("it was checked against ca_file = \"/etc/ssl/our-ca.pem\" in [smtp]") !=
        std::string::npos);
  CHECK(explain_curl_error(55, "Send failure: Broken pipe", smtp) ==
        "SMTP server mail.example.com:587: Send failure: Broken pipe (curl error 55)");
}

TEST_CASE("a timeout while connecting names connect_timeout_s when it is the smaller bound") {
  curl_peer imap{"IMAP", "10.0.0.9", 993, "support", "[[mailbox]] support", "", 60, 15};
  CHECK(explain_curl_error(28, "Connection timed out after 15001 milliseconds", imap) ==
        "IMAP server 10.0.0.9:993 could not be connected to within the connect timeout of 15 s "
        "(connect_timeout_s in [[mailbox]] support; is the host up and the port open?): "
        "Connection timed out after 15001 milliseconds (curl error 28)");
  // A later wait is timeout_s.
  CHECK(explain_curl_error(28, "Operation timed out after 60000 milliseconds with 0 bytes received",
                           imap)
            .find("did not answer within the timeout of 60 s (timeout_s in [[mailbox]] support)") !=
        std::string::npos);
  // In the TLS handshake or the greeting curl says "Operation timed out": the time it gave up
  // after says which bound it was (seen in bench/mailboxes.py against an overloaded Dovecot).
  CHECK(explain_curl_error(28, "Operation timed out after 15000 milliseconds with 0 bytes received",
                           imap)
            .find("could not be connected to within the connect timeout of 15 s "
                  "(connect_timeout_s in [[mailbox]] support") != std::string::npos);
  // timeout_s smaller than connect_timeout_s: timeout_s bounds the connection too.
  curl_peer smtp{"SMTP", "127.0.0.1", 587, "", "[smtp]", "", 5, 15};
  CHECK(explain_curl_error(28, "Connection timed out after 5001 milliseconds", smtp)
            .find("within the timeout of 5 s (timeout_s in [smtp])") != std::string::npos);
}

TEST_CASE("curl_options keeps the first option libcurl refuses and sets none after it") {
  hd::daemon::curl_easy_ptr e(curl_easy_init());
  REQUIRE(e);
  hd::daemon::curl_options opt(e.get());
  opt.set(CURLOPT_NOSIGNAL, 1L);
  CHECK(opt.ok());
  CHECK(opt.error().empty());
  // CURLUSESSL_LAST is out of range: libcurl answers CURLE_BAD_FUNCTION_ARGUMENT.
  opt.set(CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_LAST))
      .set(CURLOPT_PROTOCOLS_STR, "no-such-protocol");
  CHECK_FALSE(opt.ok());
  CHECK(opt.code() == CURLE_BAD_FUNCTION_ARGUMENT);
  CHECK(opt.error() == "curl option " + std::to_string(int(CURLOPT_USE_SSL)) +
                           " refused: " + curl_easy_strerror(CURLE_BAD_FUNCTION_ARGUMENT));
}

TEST_CASE("curl_options reports an unsupported protocol list") {
  hd::daemon::curl_easy_ptr e(curl_easy_init());
  REQUIRE(e);
  hd::daemon::curl_options opt(e.get());
  opt.set(CURLOPT_PROTOCOLS_STR, "imap,no-such-protocol");
  CHECK_FALSE(opt.ok());
  CHECK(opt.error().find(std::to_string(int(CURLOPT_PROTOCOLS_STR))) != std::string::npos);
}
