#pragma once
// The HTTP API's resources (docs/api.md, docs/openapi.json): the route table, authentication
// (tokens and login sessions, roles, scopes), JSON in and out, ETag/If-Match, Idempotency-Key,
// /healthz and /metrics. Every action calls the same storage verb (and, for mail, the same
// composer) as the CLI: no logic is written twice.
//
// `dispatch` answers one request synchronously on a given store (tests, fuzzing); `api::handle`
// runs it on the database threads for the server.

#include "hd/api/auth.hpp"
#include "hd/api/db_pool.hpp"
#include "hd/common/config.hpp"
#include "hd/common/log.hpp"
#include "hd/http/message.hpp"
#include "hd/http/server.hpp"
#include "hd/storage/store.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace hd::daemon {

/// What a route asks of its caller.
enum class access {
  open,   ///< no authentication (healthz, login, the OpenAPI document)
  read,   ///< any valid token or session
  write,  ///< a token or session with scope write
  admin,  ///< a user with role admin (read or write as the method says)
};

struct route_info {
  const char* method;
  const char* pattern;  ///< "/api/requests/{id}/accept"
  access need;
};

/// Every route the API serves (the OpenAPI test compares them with docs/openapi.json).
const std::vector<route_info>& api_routes();

/// What the API needs around it. All members are used from the database threads.
struct api_env {
  std::shared_ptr<const config> cfg;
  const logger* log = nullptr;
  std::function<std::int64_t()> now;
  std::shared_ptr<http::server_stats> stats;  ///< may be null (no HTTP metrics)
  std::string openapi;                        ///< the OpenAPI document served as is
  std::shared_ptr<login_limiter> limiter;
};

/// Answers REQ on DB. Never throws: a bug is a 500 with a stable code, logged, never shown.
http::response dispatch(const http::request& req, storage::store& db, const api_env& env);

/// The API behind the daemon's HTTP server.
class api {
 public:
  api(api_env env, const std::string& db_path, const storage::open_options& opt, int workers);
  /// The server's handler: runs dispatch on a database thread and replies from there.
  void handle(http::request req, http::reply_fn reply);
  /// A reloaded configuration (users, roles, templates); [http] itself needs a restart.
  void reconfigure(std::shared_ptr<const config> cfg);
  /// Answers the pages still waiting for events (with none) and stops watching.
  ~api();

 private:
  // A page waiting on GET /api/events (the live feed): asked again when the events table has
  // grown, answered with no events at `until`.
  struct waiter {
    http::request req;
    http::reply_fn reply;
    std::chrono::steady_clock::time_point until;
    http::response idle;  ///< the answer with no events
  };
  void park(http::request req, http::reply_fn reply, const api_env& env, http::response idle);
  void watch();

  std::mutex mu_;
  api_env env_;  ///< env_.cfg is swapped under mu_; jobs take a copy
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  std::vector<waiter> waiters_;
  std::int64_t seen_event_ = -1;  ///< the newest event id the watcher saw
  bool stopping_ = false;
  db_pool pool_;         ///< after the waiters: its last jobs may still park (and be answered)
  std::thread watcher_;  ///< last: started when the rest is ready
};

/// The OpenAPI 3.1 document (docs/openapi.json, built in).
const char* openapi_document();

}  // namespace hd::daemon
