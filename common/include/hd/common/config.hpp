#pragma once
// helpdeskd's configuration: one TOML file, read and validated once at start-up into the const
// structs below, which are then passed by reference. Every key is documented in docs/config.md.

#include "hd/common/error.hpp"
#include "hd/common/log.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace hd {

/// A password or token. Its value is never printed: describe() names only where it came from.
class secret {
 public:
  secret() = default;
  secret(std::string value, std::string source)
      : value_(std::move(value)), source_(std::move(source)) {}
  const std::string& reveal() const { return value_; }
  bool empty() const { return value_.empty() && source_.empty(); }
  /// "file:/etc/helpdeskd/pass (12 bytes)" or "env:IMAP_PASSWORD (12 bytes)" or "(none)".
  std::string describe() const;

 private:
  std::string value_;
  std::string source_;
};

enum class tls_mode { implicit, starttls, none };
enum class after_import { keep, seen, move, remove };
enum class imap_auth { password, xoauth2 };
enum class assignment_method { manual, round_robin, fewest_open };

struct database_config {
  std::string path = "/var/lib/helpdeskd/helpdeskd.db";
  /// A PostgreSQL database instead of the SQLite file at `path` (postgresql://... or
  /// postgres://..., libpq's URL: user, password or passfile, host, port, database, sslmode).
  std::string url;
  /// What storage opens: the URL when set, else the path.
  const std::string& target() const { return url.empty() ? path : url; }
  bool postgres() const { return !url.empty(); }
  /// The target for logs and messages: a URL's password replaced by "***".
  std::string shown() const;
  bool synchronous_full = true;  ///< synchronous=FULL (true) or NORMAL (false)
  int busy_timeout_ms = 5000;
  int commit_batch = 100;      ///< IMAP intake: mails committed per transaction (1: each alone)
  int commit_batch_ms = 1000;  ///< ... and at most this long holding the write lock
  /// Integrity check before a daemon takes mail (`run` at start, `ingest` per call): 0 off,
  /// 1 quick_check, 2 integrity_check.
  int check_on_start = 1;
  /// `run`: the same check again every this many seconds while it runs, on its own thread and
  /// connection; 0 off (and off with check_on_start). Range 0 or 1..31 days.
  int check_every_s = 86400;
  /// SQLite: a commit that leaves this many pages in the WAL copies them into the database
  /// file (SQLite's wal_autocheckpoint); `run` also does so once it has been idle.
  int checkpoint_pages = 16384;
  /// SQLite: the page cache of the connection `run` stores mail on, in MiB (SQLite's default
  /// is 2 MiB per connection). It fills with the pages read and written, and stays filled while
  /// the daemon runs.
  int cache_mb = 32;
  /// Messages per window of the full-text index: search reads the newest windows first.
  std::int64_t search_window_messages = 250000;
  /// Search ranks the newest this many matching messages (both backends).
  int search_candidates = 20000;
  /// PostgreSQL: how long a daemon's hold on a mailbox lasts without renewal (renewed every
  /// third of it); a dead daemon's mailboxes are taken over within about this long.
  int lease_s = 30;
};

struct limits_config {
  std::int64_t max_message_bytes = 10 * 1024 * 1024;
  std::int64_t max_header_bytes = 100 * 1024;
  int max_mime_depth = 100;
  int max_parts = 10000;
  int parse_budget_ms = 10000;                      ///< per-message parse time budget in the daemon
  std::int64_t max_header_field_bytes = 64 * 1024;  ///< one header field is cut to this
  int max_header_fields = 1000;  ///< top-level fields read; past it only identity headers
  int max_params = 1000;         ///< parameters read per Content-Type / -Disposition
};

struct threading_config {
  std::string tag_prefix = "#";  ///< subject tag is "[" + tag_prefix + id + "]"
  bool tag_in_body = false;      ///< also look for the tag in the message text
  int reopen_within_days = 60;   ///< replies to requests closed longer ago start a new one
};

struct oauth2_config {
  std::string provider;           ///< "microsoft", "google" (presets), or empty: token_url
  std::string tenant = "common";  ///< Microsoft: the directory (tenant) id, or "organizations"
  std::string token_url;          ///< overrides the provider's token endpoint
  std::string client_id;
  secret client_secret;
  secret refresh_token;
  std::string scope;        ///< overrides the provider's scope
  bool allow_http = false;  ///< accept an http:// token_url on a loopback host (tests)
};

struct mailbox_config {
  std::string name;
  std::string address;  ///< the address customers write to; never auto-replied to
  std::string host = "127.0.0.1";
  int port = 993;
  tls_mode tls = tls_mode::implicit;
  std::string ca_file;  ///< empty: the system trust store
  std::string user;
  imap_auth auth = imap_auth::password;
  secret password;
  std::optional<oauth2_config> oauth2;
  std::string folder = "INBOX";
  after_import action = after_import::keep;
  std::string move_to;
  std::string category;
  std::string priority;
  std::string language = "en";
  bool idle = true;
  int poll_interval_s = 60;
  int timeout_s = 60;
  /// Reaching the server: TCP connect, TLS, greeting and login (capped by timeout_s).
  int connect_timeout_s = 15;
};

/// [imap]: how many IMAP connections the daemon opens at once (docs/config.md, "[imap]";
/// docs/intake.md, "Many mailboxes"). An account is one user at one host:port; a server is
/// one host:port. 0 means no limit.
struct imap_config {
  /// Connections to one account at once. Gmail allows 15 per account and Microsoft 365 20
  /// per mailbox; 10 leaves room for the people who read the same account in a mail client.
  /// Mailboxes of one account beyond it take turns (docs/intake.md).
  int max_connections_per_account = 10;
  /// Connections to one server at once (0: no limit).
  int max_connections_per_server = 0;
  /// Connection attempts (TCP, TLS, greeting, login, SELECT) in progress to one server at
  /// once: a thousand mailboxes do not all knock at the same moment.
  int max_connecting_per_server = 16;
};

struct smtp_config {
  std::string host = "127.0.0.1";
  int port = 587;
  tls_mode tls = tls_mode::starttls;
  std::string ca_file;
  std::string user;
  secret password;
  std::string helo_name = "localhost";
  int timeout_s = 60;
  int connect_timeout_s = 15;  ///< reaching the server: TCP connect, TLS (capped by timeout_s)
  int max_parallel = 4;  ///< SMTP transfers in flight at once (the service and `outbox drain`)
  /// While the server itself fails (cannot connect, TLS, time-out, 421), the service probes it
  /// with one mail after this delay, doubling up to server_retry_max_s, each with up to 25%
  /// random jitter; mail is not counted as tried meanwhile, so the queue drains as soon as a
  /// probe goes through.
  int server_retry_min_s = 5;
  int server_retry_max_s = 20;
  /// Outbox kinds sent again, with the same bytes and Message-ID, when a delivery was
  /// interrupted (the server may or may not have it): at least once. Other kinds are marked
  /// failed with a mail_uncertain event: at most once. Of "ack", "redirect", "reply", "forward".
  std::vector<std::string> resend_in_doubt = {"ack", "reply", "forward"};
};

struct ack_config {
  bool enabled = true;
  std::string template_name = "ack";
  bool on_followup = false;
  int rate_limit_count = 10;      ///< at most this many auto-mails to one address ...
  int rate_limit_window_s = 600;  ///< ... within this many seconds
  int bounce_suppress_days = 7;   ///< no auto-mail to an address that hard-bounced
};

struct outgoing_config {
  std::string from_name = "Support";
  std::string from_address = "support@example.com";
  std::string message_id_domain = "helpdesk.example.com";
  std::string default_language = "en";
  std::string templates_dir = "/etc/helpdeskd/templates";
  std::int64_t max_attachments_bytes = 25 * 1024 * 1024;  ///< files on one agent's reply/forward
};

struct rules_config {
  std::string file;  ///< empty: no rules, every mail becomes a request in its mailbox's category
  int max_script_bytes = 1024 * 1024;
  int max_nesting = 32;
  int max_variable_bytes = 4096;
};

struct priority_config {
  std::string name;
  int first_response_hours = 0;  ///< 0: no target
  int resolution_hours = 0;
  bool is_default = false;
};

struct category_config {
  std::string name;
  assignment_method method = assignment_method::manual;
  std::vector<std::string> members;
};

/// The admin's lists for companies: `companies edit --category/--industry` accept only these.
struct companies_config {
  std::vector<std::string> categories;  ///< e.g. customer, partner, supplier
  std::vector<std::string> industries;  ///< business / industry, e.g. energy, retail
};

enum class user_role { agent, admin };

struct user_config {
  std::string login;
  std::string name;
  std::string email;
  bool absent = false;
  std::string signature;
  user_role role = user_role::agent;  ///< admin: also quarantine, outbox and others' tokens
};

/// The HTTP API (docs/api.md). Served by `helpdeskd run` only when the file has an [http]
/// table. Every limit is a setting; the defaults suit a team behind a reverse proxy.
struct http_config {
  std::string listen = "127.0.0.1:8025";     ///< ADDRESS:PORT ([v6]:PORT)
  std::vector<std::string> trusted_proxies;  ///< peers whose X-Forwarded-For is believed
  int workers = 2;                           ///< database threads (each its own SQLite connection)
  int max_connections = 256;                 ///< open connections at once; more are closed at once
  std::int64_t max_body_bytes = 10 * 1024 * 1024;  ///< request body (a reply with attachments)
  int max_header_bytes = 16 * 1024;                ///< request line and headers together
  int read_timeout_s = 15;              ///< a request must arrive whole within this (slowloris)
  int write_timeout_s = 30;             ///< a response must be taken within this
  int idle_timeout_s = 60;              ///< keep-alive connection closed after this idle time
  int max_json_depth = 32;              ///< nesting of a JSON request body
  int session_hours = 12;               ///< lifetime of a token from POST /api/login
  int login_failures_per_account = 5;   ///< failed logins allowed per account ...
  int login_failures_per_address = 20;  ///< ... and per client address ...
  int login_window_s = 900;             ///< ... within this many seconds
  int events_wait_s = 25;               ///< GET /api/events waits this long for an event
  int max_event_waiters = 200;          ///< pages waiting on /api/events at once; more get none
};

/// One webhook endpoint (docs/api.md "Webhooks"). Deliveries are queued in the transaction of
/// the change and POSTed by the service with an HMAC-SHA256 signature made with `secret`.
struct webhook_config {
  std::string name;                 ///< shown in the delivery log; [a-z0-9_-]
  std::string url;                  ///< https://, or http:// (meant for loopback and tests)
  std::vector<std::string> events;  ///< of webhook_events(); empty is an error
  secret secret_key;                ///< from secret_file or secret_env
  int timeout_s = 10;               ///< one POST, connect to last byte
  int max_parallel = 4;             ///< POSTs to this endpoint in flight at once
  int max_attempts = 10;            ///< then the delivery is marked failed
  int backoff_min_s = 10;           ///< first retry after this, doubling ...
  int backoff_max_s = 3600;         ///< ... up to this, each with up to 25% random jitter
  int keep_days = 30;  ///< delivered and failed deliveries are deleted after this; 0: kept
};

/// The event names a webhook may subscribe to.
const std::vector<std::string>& webhook_events();

struct config {
  std::string source;  ///< path of the file it was read from
  log_level log = log_level::info;
  database_config database;
  limits_config limits;
  threading_config threading;
  outgoing_config outgoing;
  ack_config ack;
  rules_config rules;
  std::optional<smtp_config> smtp;
  imap_config imap;
  std::vector<mailbox_config> mailboxes;
  std::vector<priority_config> priorities;
  std::vector<category_config> categories;
  std::vector<user_config> users;
  companies_config companies;
  std::optional<http_config> http;       ///< set when the file has an [http] table
  std::vector<webhook_config> webhooks;  ///< [[webhook]] tables

  const mailbox_config* find_mailbox(std::string_view name) const;
  /// The [[user]] with this login, or nullptr.
  const user_config* find_user(std::string_view login) const;
};

enum class config_errc { cannot_read, syntax, invalid };

/// Looks up an environment variable; main passes one that calls getenv.
using env_lookup = std::function<std::optional<std::string>(const std::string&)>;

/// Reads and validates FILE. Relative paths inside it (database, templates, rules, secrets,
/// CA files) are resolved against the file's directory. On failure the message lists every
/// problem found, one per line, as "FILE:LINE:COLUMN: key: what is wrong".
result<config, config_errc> load_config(const std::string& file, const env_lookup& env);

/// Parses TOML text as if read from `name` (for tests; `base_dir` resolves relative paths).
result<config, config_errc> parse_config(std::string_view toml_text, const std::string& name,
                                         const std::string& base_dir, const env_lookup& env);

/// The effective configuration as TOML, with every secret replaced by its description.
std::string describe_config(const config& c);

std::string_view to_string(tls_mode m);
std::string_view to_string(after_import a);
std::string_view to_string(assignment_method m);
std::string_view to_string(user_role r);

}  // namespace hd
