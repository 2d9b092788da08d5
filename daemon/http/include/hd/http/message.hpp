#pragma once
// One HTTP request and its response as plain values: what the server hands to a handler and
// takes back. No Beast type appears here, so the resources (daemon/api) are tested and fuzzed
// without sockets.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hd::http {

struct request {
  std::string method;  ///< "GET", "POST", ... as sent
  std::string target;  ///< the request-target as sent ("/api/requests?status=open")
  std::string path;    ///< percent-decoded path, without the query
  std::vector<std::pair<std::string, std::string>> query;    ///< decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  ///< names lower-case, in order
  std::string body;
  std::string client;  ///< the client's address (X-Forwarded-For when from a trusted proxy)

  /// The first header NAME (lower-case), else nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
  /// The first query parameter NAME, else nullopt.
  std::optional<std::string_view> param(std::string_view name) const;
};

struct response {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  ///< besides the server's own
  std::string body;
};

/// Splits a request-target into its decoded path and query parameters ('+' is a space in the
/// query). nullopt for a target that is not origin-form or decodes to a NUL or a bad escape.
struct target_parts {
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
};
std::optional<target_parts> parse_target(std::string_view target);

/// The client address of a connection from PEER carrying X-Forwarded-For value XFF: PEER
/// unless PEER is one of TRUSTED, then the right-most address of XFF that is not trusted.
std::string client_address(std::string_view peer, std::optional<std::string_view> xff,
                           const std::vector<std::string>& trusted);

}  // namespace hd::http
