// The schema, as a list of migrations. Never edit a migration that has shipped: add one.
#include "store_impl.hpp"

namespace hd::storage {

const std::vector<migration>& migrations() {
  static const std::vector<migration> list = {
      {"initial schema", R"sql(
CREATE TABLE companies (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);
CREATE TABLE company_domains (
  domain TEXT PRIMARY KEY,                 -- lower-case, e.g. bigcorp.nl
  company_id INTEGER NOT NULL REFERENCES companies(id) ON DELETE CASCADE
);
CREATE TABLE persons (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  company_id INTEGER REFERENCES companies(id) ON DELETE SET NULL,
  language TEXT,
  created_at INTEGER NOT NULL
);
CREATE TABLE person_addresses (
  address TEXT PRIMARY KEY,                -- lower-case addr-spec
  person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE
);
CREATE INDEX person_addresses_person ON person_addresses(person_id);
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  login TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  absent INTEGER NOT NULL DEFAULT 0,
  active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE categories (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  assignment TEXT NOT NULL DEFAULT 'manual',
  active INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE raw_messages (
  id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL,
  size INTEGER NOT NULL,
  bytes BLOB NOT NULL,
  received_at INTEGER NOT NULL,
  mailbox TEXT NOT NULL,
  folder TEXT,
  uidvalidity INTEGER,
  uid INTEGER
);
CREATE INDEX raw_messages_sha256 ON raw_messages(sha256);
CREATE UNIQUE INDEX raw_messages_uid ON raw_messages(mailbox, folder, uidvalidity, uid)
  WHERE uid IS NOT NULL;
CREATE TABLE requests (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'closed', 'merged')),
  priority TEXT NOT NULL DEFAULT '',
  category_id INTEGER REFERENCES categories(id),
  owner_id INTEGER REFERENCES users(id),
  person_id INTEGER REFERENCES persons(id),
  mailbox TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  closed_at INTEGER,
  postponed_until INTEGER,
  merged_into INTEGER REFERENCES requests(id),
  linked_to INTEGER REFERENCES requests(id)
);
CREATE INDEX requests_status ON requests(status);
CREATE INDEX requests_person ON requests(person_id);
CREATE TABLE request_tags (
  request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (request_id, tag)
);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  request_id INTEGER NOT NULL REFERENCES requests(id),
  direction TEXT NOT NULL CHECK (direction IN ('in', 'out', 'note')),
  raw_id INTEGER REFERENCES raw_messages(id),
  message_id TEXT,                         -- RFC 5322 Message-ID without brackets
  person_id INTEGER REFERENCES persons(id),
  author_id INTEGER REFERENCES users(id),
  from_address TEXT NOT NULL DEFAULT '',
  from_name TEXT NOT NULL DEFAULT '',
  subject TEXT NOT NULL DEFAULT '',
  body_text TEXT NOT NULL DEFAULT '',
  body_html TEXT,
  sent_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX messages_request ON messages(request_id);
CREATE INDEX messages_message_id ON messages(message_id);
CREATE TABLE attachments (
  sha256 TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  data BLOB NOT NULL
);
CREATE TABLE message_attachments (
  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  sha256 TEXT NOT NULL REFERENCES attachments(sha256),
  filename TEXT NOT NULL,
  content_type TEXT NOT NULL,
  disposition TEXT NOT NULL,
  content_id TEXT,
  PRIMARY KEY (message_id, position)
);
CREATE TABLE mailbox_state (
  mailbox TEXT NOT NULL,
  folder TEXT NOT NULL,
  uidvalidity INTEGER NOT NULL,
  last_uid INTEGER NOT NULL,
  PRIMARY KEY (mailbox, folder)
);
CREATE TABLE quarantine (
  id INTEGER PRIMARY KEY,
  raw_id INTEGER NOT NULL REFERENCES raw_messages(id),
  reason TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  resolved_at INTEGER,
  resolution TEXT
);
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  request_id INTEGER REFERENCES requests(id),
  message_id INTEGER REFERENCES messages(id),
  kind TEXT NOT NULL,                      -- ack, reply, forward, redirect
  mail_from TEXT NOT NULL,
  recipients TEXT NOT NULL,                -- newline-separated addr-specs
  bytes BLOB NOT NULL,                     -- the complete RFC 5322 message, CRLF
  status TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  sent_at INTEGER
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  request_id INTEGER REFERENCES requests(id),
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,                     -- 'system', 'rules', or a user login
  kind TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_request ON events(request_id);
)sql"},
      {"message To/Cc addresses; full-text search over subjects and bodies", R"sql(
CREATE TABLE message_addresses (
  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('to', 'cc')),
  position INTEGER NOT NULL,
  address TEXT NOT NULL,                   -- lower-case addr-spec
  name TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (message_id, role, position)
);
CREATE INDEX message_addresses_address ON message_addresses(address);
CREATE INDEX messages_request_from ON messages(request_id, from_address);
-- External-content FTS5 index over messages (subject, body_text), kept in sync by triggers.
-- remove_diacritics 2: "cafe" finds "café", "Goteborg" finds "Göteborg" (see docs/storage.md).
CREATE VIRTUAL TABLE messages_fts USING fts5(
  subject, body_text, content = 'messages', content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts (rowid, subject, body_text) VALUES (new.id, new.subject, new.body_text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, subject, body_text)
    VALUES ('delete', old.id, old.subject, old.body_text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF subject, body_text ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, subject, body_text)
    VALUES ('delete', old.id, old.subject, old.body_text);
  INSERT INTO messages_fts (rowid, subject, body_text) VALUES (new.id, new.subject, new.body_text);
END;
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
)sql"},
      {"agent workflow: flagged messages, favourites", R"sql(
ALTER TABLE messages ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;
CREATE TABLE favourites (
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, request_id)
);
)sql"},
      {"deadlines: first-response and resolution due times", R"sql(
ALTER TABLE requests ADD COLUMN first_response_due INTEGER;
ALTER TABLE requests ADD COLUMN resolution_due INTEGER;
ALTER TABLE requests ADD COLUMN first_response_at INTEGER;
ALTER TABLE requests ADD COLUMN deadlines_set INTEGER NOT NULL DEFAULT 0;
CREATE INDEX requests_deadlines_pending ON requests(deadlines_set) WHERE deadlines_set = 0;
)sql"},
      {"replies: outbox claims, auto-reply log, bounce suppression", R"sql(
ALTER TABLE outbox ADD COLUMN claimed_at INTEGER;  -- when it went to 'sending'
CREATE INDEX outbox_request ON outbox(request_id);
CREATE TABLE auto_replies (                -- every automatic mail queued, for the rate limit
  id INTEGER PRIMARY KEY,
  address TEXT NOT NULL,                   -- lower-case addr-spec
  request_id INTEGER REFERENCES requests(id),
  at INTEGER NOT NULL
);
CREATE INDEX auto_replies_address ON auto_replies(address, at);
CREATE TABLE suppressions (                -- no automatic mail to these addresses until
  address TEXT PRIMARY KEY,                -- lower-case addr-spec
  reason TEXT NOT NULL,
  until INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
)sql"},
      {"intake: per-mailbox poll status for `helpdeskd status`", R"sql(
CREATE TABLE mailbox_status (
  mailbox TEXT PRIMARY KEY,
  last_success_at INTEGER,
  last_error_at INTEGER,
  last_error TEXT NOT NULL DEFAULT '',
  backlog INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
)sql"},
      {"rules: category members, round-robin cursor, priorities from the config", R"sql(
CREATE TABLE category_members (
  category_id INTEGER NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,               -- order in the config, for round robin
  PRIMARY KEY (category_id, user_id)
);
ALTER TABLE categories ADD COLUMN last_assigned INTEGER REFERENCES users(id);
CREATE TABLE priorities (
  name TEXT PRIMARY KEY,
  first_response_hours INTEGER NOT NULL DEFAULT 0,
  resolution_hours INTEGER NOT NULL DEFAULT 0,
  is_default INTEGER NOT NULL DEFAULT 0,
  position INTEGER NOT NULL DEFAULT 0,
  active INTEGER NOT NULL DEFAULT 1
);
)sql"},
      {"companies: category and industry from the admin's lists", R"sql(
ALTER TABLE companies ADD COLUMN category TEXT NOT NULL DEFAULT '';
ALTER TABLE companies ADD COLUMN industry TEXT NOT NULL DEFAULT '';
)sql"},
      {"full-text index written once per commit, not once per statement", R"sql(
-- FTS5 flushes its pending terms to a new segment at every savepoint, and SQLite opens a
-- statement savepoint for nearly every write inside a transaction: indexing from the insert
-- trigger wrote about ten tiny segments per ingested mail, half of ingest's cost. New
-- messages are now queued here by the trigger and indexed in one go just before the
-- outermost COMMIT (storage/src/fts_queue.cpp).
CREATE TABLE fts_queue (message_id INTEGER PRIMARY KEY);
DROP TRIGGER messages_fts_insert;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO fts_queue (message_id) VALUES (new.id);
END;
-- A message still in the queue is not in the index yet: nothing to delete from it.
DROP TRIGGER messages_fts_delete;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, subject, body_text)
    SELECT 'delete', old.id, old.subject, old.body_text
    WHERE NOT EXISTS (SELECT 1 FROM fts_queue WHERE message_id = old.id);
  DELETE FROM fts_queue WHERE message_id = old.id;
END;
DROP TRIGGER messages_fts_update;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF subject, body_text ON messages
  WHEN NOT EXISTS (SELECT 1 FROM fts_queue WHERE message_id = old.id) BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, subject, body_text)
    VALUES ('delete', old.id, old.subject, old.body_text);
  INSERT INTO messages_fts (rowid, subject, body_text) VALUES (new.id, new.subject, new.body_text);
END;
)sql"},
      {"parse defects kept with each message", R"sql(
-- What mailparse found wrong with an inbound mail and how it repaired it, one row per defect
-- in the parser's order: an admin can see why a subject reads oddly, and tests can check the
-- hostile-mail set in the database itself.
CREATE TABLE message_defects (
  message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  defect TEXT NOT NULL,
  PRIMARY KEY (message_id, position)
) WITHOUT ROWID;
)sql"},
      {"views that stay fast: queue index on the nearest due time, status counters", R"sql(
-- The queues' order key: the nearest due time (first response or resolution), and
-- 9223372036854775807 when there is none, so that an index serves "nearest first, none last"
-- without a sort. A generated column: every verb that changes a due time keeps it right.
ALTER TABLE requests ADD COLUMN due_at INTEGER GENERATED ALWAYS AS (
  COALESCE(MIN(COALESCE(first_response_due, resolution_due),
               COALESCE(resolution_due, first_response_due)), 9223372036854775807)) VIRTUAL;
-- Open work is a small part of a helpdesk's history: partial indexes hold only it.
CREATE INDEX requests_open_due ON requests(due_at, created_at) WHERE status = 'open';
CREATE INDEX requests_open_owner_due ON requests(owner_id, due_at, created_at)
  WHERE status = 'open';
CREATE INDEX requests_pending_wake ON requests(postponed_until) WHERE status = 'pending';
-- `requests list` by default: active requests, newest first, read in id order and stopped at
-- the limit.
CREATE INDEX requests_active ON requests(id) WHERE status IN ('open', 'pending');
CREATE INDEX requests_owner ON requests(owner_id);
CREATE INDEX requests_linked ON requests(linked_to) WHERE linked_to IS NOT NULL;
-- `status` reads these counters instead of counting every outbox row and raw mail.
CREATE TABLE outbox_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO outbox_counts (status, n) SELECT status, COUNT(*) FROM outbox GROUP BY status;
CREATE TRIGGER outbox_counts_insert AFTER INSERT ON outbox BEGIN
  INSERT INTO outbox_counts (status, n) VALUES (new.status, 1)
    ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER outbox_counts_update AFTER UPDATE OF status ON outbox
  WHEN old.status IS NOT new.status BEGIN
  UPDATE outbox_counts SET n = n - 1 WHERE status = old.status;
  INSERT INTO outbox_counts (status, n) VALUES (new.status, 1)
    ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER outbox_counts_delete AFTER DELETE ON outbox BEGIN
  UPDATE outbox_counts SET n = n - 1 WHERE status = old.status;
END;
CREATE TABLE mailbox_counts (mailbox TEXT PRIMARY KEY, stored INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO mailbox_counts (mailbox, stored)
  SELECT mailbox, COUNT(*) FROM raw_messages GROUP BY mailbox;
CREATE TRIGGER mailbox_counts_insert AFTER INSERT ON raw_messages BEGIN
  INSERT INTO mailbox_counts (mailbox, stored) VALUES (new.mailbox, 1)
    ON CONFLICT (mailbox) DO UPDATE SET stored = stored + 1;
END;
CREATE TRIGGER mailbox_counts_delete AFTER DELETE ON raw_messages BEGIN
  UPDATE mailbox_counts SET stored = stored - 1 WHERE mailbox = old.mailbox;
END;
)sql"},
      {"raw mail compressed", R"sql(
-- 0: bytes as received (every row written before this version); 1: one zstd frame of them
-- (storage/src/raw_codec.hpp). Old rows are not rewritten: they read the same.
ALTER TABLE raw_messages ADD COLUMN encoding INTEGER NOT NULL DEFAULT 0;
)sql"},
      {"identity and api", R"sql(
-- The HTTP API (docs/api.md). A request's version grows with every change to its row, so an
-- ETag names one state of it and If-Match refuses a change made on a stale view.
ALTER TABLE requests ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE TRIGGER requests_version AFTER UPDATE ON requests
  WHEN new.version = old.version BEGIN
  UPDATE requests SET version = old.version + 1 WHERE id = new.id;
END;
-- Argon2id hashes (libsodium's crypto_pwhash_str), never the password.
CREATE TABLE user_passwords (
  login TEXT PRIMARY KEY,
  hash TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
-- API tokens and login sessions; only the SHA-256 of the secret is kept (it is 256 random
-- bits, so a slow hash adds nothing).
CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  login TEXT NOT NULL,
  name TEXT NOT NULL,
  scope TEXT NOT NULL CHECK (scope IN ('read', 'write')),
  kind TEXT NOT NULL CHECK (kind IN ('token', 'session')),
  hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  last_used_at INTEGER,
  revoked_at INTEGER
);
CREATE INDEX api_tokens_login ON api_tokens(login);
-- The answer to an action sent with an Idempotency-Key, so a retry gets it again unsent.
CREATE TABLE idempotency_keys (
  login TEXT NOT NULL,
  key TEXT NOT NULL,
  status INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (login, key)
) WITHOUT ROWID;
)sql"},
      {"web app: reads and preferences", R"sql(
-- The newest message of a request when an agent last opened it: customer mail after it is
-- unread for them (docs/web.md).
CREATE TABLE request_reads (
  login TEXT NOT NULL,
  request_id INTEGER NOT NULL REFERENCES requests(id),
  seen_message_id INTEGER NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (login, request_id)
) WITHOUT ROWID;
CREATE TABLE agent_preferences (
  login TEXT PRIMARY KEY,
  language TEXT NOT NULL DEFAULT '',
  time_zone TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql"},
      {"webhook deliveries", R"sql(
-- Webhooks (docs/api.md, "Webhooks"). The daemon writes the endpoints' subscriptions here from
-- its [[webhook]] tables (storage/src/webhooks.cpp); the triggers below queue one delivery per
-- subscribed endpoint in the transaction of the change itself, whichever verb made it (intake,
-- the CLI, the API), so a rolled-back change leaves no delivery and none is ever missed.
CREATE TABLE webhook_subscriptions (
  endpoint TEXT NOT NULL,
  event TEXT NOT NULL,
  PRIMARY KEY (endpoint, event)
) WITHOUT ROWID;
CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY,
  delivery_id TEXT NOT NULL UNIQUE,        -- 128 random bits, hex; X-Helpdeskd-Delivery
  endpoint TEXT NOT NULL,
  event TEXT NOT NULL,
  payload TEXT NOT NULL,                   -- the JSON body, exactly as POSTed
  state TEXT NOT NULL DEFAULT 'queued'
    CHECK (state IN ('queued', 'sending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_status INTEGER,                     -- the receiver's HTTP status of the last attempt
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  delivered_at INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(state, next_attempt_at);
-- A request as every payload shows it.
CREATE VIEW webhook_request_json AS
SELECT r.id AS id, json_object(
  'id', r.id, 'title', r.title, 'status', r.status, 'priority', r.priority,
  'category', (SELECT c.name FROM categories c WHERE c.id = r.category_id),
  'owner', (SELECT u.login FROM users u WHERE u.id = r.owner_id),
  'mailbox', r.mailbox,
  'person', (SELECT json_object('id', p.id, 'name', p.name, 'address',
                                (SELECT a.address FROM person_addresses a
                                 WHERE a.person_id = p.id ORDER BY a.rowid LIMIT 1))
             FROM persons p WHERE p.id = r.person_id),
  'created_at', strftime('%Y-%m-%dT%H:%M:%SZ', r.created_at, 'unixepoch'),
  'updated_at', strftime('%Y-%m-%dT%H:%M:%SZ', r.updated_at, 'unixepoch')) AS body
FROM requests r;
CREATE TRIGGER webhook_request_created AFTER INSERT ON requests BEGIN
  INSERT INTO webhook_deliveries (delivery_id, endpoint, event, payload, next_attempt_at,
                                  created_at, updated_at)
  SELECT lower(hex(randomblob(16))), s.endpoint, s.event,
         json_object('event', s.event,
                     'occurred_at', strftime('%Y-%m-%dT%H:%M:%SZ', new.created_at, 'unixepoch'),
                     'request', json(v.body)),
         new.created_at, new.created_at, new.created_at
  FROM webhook_subscriptions s, webhook_request_json v
  WHERE s.event = 'request.created' AND v.id = new.id;
END;
CREATE TRIGGER webhook_request_assigned AFTER UPDATE OF owner_id ON requests
  WHEN new.owner_id IS NOT old.owner_id BEGIN
  INSERT INTO webhook_deliveries (delivery_id, endpoint, event, payload, next_attempt_at,
                                  created_at, updated_at)
  SELECT lower(hex(randomblob(16))), s.endpoint, s.event,
         json_object('event', s.event,
                     'occurred_at', strftime('%Y-%m-%dT%H:%M:%SZ', new.updated_at, 'unixepoch'),
                     'request', json(v.body),
                     'previous_owner', (SELECT u.login FROM users u WHERE u.id = old.owner_id)),
         new.updated_at, new.updated_at, new.updated_at
  FROM webhook_subscriptions s, webhook_request_json v
  WHERE s.event = 'request.assigned' AND v.id = new.id;
END;
CREATE TRIGGER webhook_request_status AFTER UPDATE OF status ON requests
  WHEN new.status IS NOT old.status BEGIN
  INSERT INTO webhook_deliveries (delivery_id, endpoint, event, payload, next_attempt_at,
                                  created_at, updated_at)
  SELECT lower(hex(randomblob(16))), s.endpoint, s.event,
         json_object('event', s.event,
                     'occurred_at', strftime('%Y-%m-%dT%H:%M:%SZ', new.updated_at, 'unixepoch'),
                     'request', json(v.body),
                     'previous_status', old.status),
         new.updated_at, new.updated_at, new.updated_at
  FROM webhook_subscriptions s, webhook_request_json v
  WHERE s.event = 'request.status_changed' AND v.id = new.id;
END;
CREATE TRIGGER webhook_message_received AFTER INSERT ON messages
  WHEN new.direction = 'in' BEGIN
  INSERT INTO webhook_deliveries (delivery_id, endpoint, event, payload, next_attempt_at,
                                  created_at, updated_at)
  SELECT lower(hex(randomblob(16))), s.endpoint, s.event,
         json_object('event', s.event,
                     'occurred_at', strftime('%Y-%m-%dT%H:%M:%SZ', new.created_at, 'unixepoch'),
                     'request', json(v.body),
                     'message', json_object('id', new.id, 'from_address', new.from_address,
                                            'from_name', new.from_name, 'subject', new.subject)),
         new.created_at, new.created_at, new.created_at
  FROM webhook_subscriptions s, webhook_request_json v
  WHERE s.event = 'message.received' AND v.id = new.request_id;
END;
CREATE TRIGGER webhook_message_sent AFTER UPDATE OF status ON outbox
  WHEN new.status = 'sent' AND old.status IS NOT 'sent' BEGIN
  INSERT INTO webhook_deliveries (delivery_id, endpoint, event, payload, next_attempt_at,
                                  created_at, updated_at)
  SELECT lower(hex(randomblob(16))), s.endpoint, s.event,
         json_object('event', s.event,
                     'occurred_at', strftime('%Y-%m-%dT%H:%M:%SZ', coalesce(new.sent_at,
                                             new.created_at), 'unixepoch'),
                     'request', (SELECT json(v.body) FROM webhook_request_json v
                                 WHERE v.id = new.request_id),
                     'message', json_object('id', new.message_id, 'outbox_id', new.id,
                                            'kind', new.kind,
                                            'subject', (SELECT m.subject FROM messages m
                                                        WHERE m.id = new.message_id))),
         coalesce(new.sent_at, new.created_at), coalesce(new.sent_at, new.created_at),
         coalesce(new.sent_at, new.created_at)
  FROM webhook_subscriptions s
  WHERE s.event = 'message.sent';
END;
)sql"},
      {"search folds the letters Unicode does not decompose", R"sql(
-- Issue 19: "grosshandler" finds "Großhändler", "hosten" finds "høsten". The index is made
-- again with the hd_fold tokenizer (unicode61, then ß -> ss, æ -> ae, ø -> o, ...;
-- storage/src/fold_tokenizer.cpp), which store::open registers on every connection. This
-- reads every message once.
DROP TABLE messages_fts;
CREATE VIRTUAL TABLE messages_fts USING fts5(
  subject, body_text, content = 'messages', content_rowid = 'id',
  tokenize = 'hd_fold remove_diacritics 2');
INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
DELETE FROM fts_queue;
)sql"},
      {"outbox: when the last error happened", R"sql(
-- `helpdeskd status` shows the outbox's most recent failure (when, which mail, the server's
-- answer); last_error alone does not say when. Set by mark_deferred and mark_failed.
ALTER TABLE outbox ADD COLUMN last_error_at INTEGER;
CREATE INDEX outbox_last_error ON outbox(last_error_at) WHERE last_error_at IS NOT NULL;
)sql"},
      {"message bodies kept as zstd frames", R"sql(
-- Issue 22: bodies were half the database (2.2 KB rows in 4 KB pages). body_text and
-- body_html now hold a zstd BLOB of the UTF-8 text when that is smaller, else TEXT as before
-- (storage/src/text_codec.hpp: hd_pack writes, hd_text reads; both registered on every
-- connection). The full-text index keeps its words; its triggers now read the text through
-- hd_text. Existing bodies are packed here, with the update trigger out of the way so the
-- index is not rewritten: a million-request database takes minutes, and its file keeps its
-- size (the freed pages are reused by new mail; VACUUM gives them back to the disk).
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
UPDATE messages SET body_text = hd_pack(body_text), body_html = hd_pack(body_html)
  WHERE length(body_text) >= 64 OR length(body_html) >= 64;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, subject, body_text)
    SELECT 'delete', old.id, old.subject, hd_text(old.body_text)
    WHERE NOT EXISTS (SELECT 1 FROM fts_queue WHERE message_id = old.id);
  DELETE FROM fts_queue WHERE message_id = old.id;
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF subject, body_text ON messages
  WHEN NOT EXISTS (SELECT 1 FROM fts_queue WHERE message_id = old.id) BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, subject, body_text)
    VALUES ('delete', old.id, old.subject, hd_text(old.body_text));
  INSERT INTO messages_fts (rowid, subject, body_text)
    VALUES (new.id, new.subject, hd_text(new.body_text));
END;
)sql"},
      {"full-text index split by age", R"sql(
-- Issue 22: a prefix query ("printer"* is what a plain word becomes) makes SQLite 3.40 merge
-- the doclists of every word with that prefix over the whole index: 160 ms at a million
-- requests. The index becomes a list of windows, each an FTS5 table over the messages of one
-- id range; new messages go to the open window (hi NULL), and once it holds
-- [database] search_window_messages the next commit opens a new one (storage/src/
-- fts_queue.cpp), with the delete and update triggers written again for every window. The
-- existing index is the first window: nothing is reindexed.
CREATE TABLE fts_windows (
  name TEXT PRIMARY KEY,
  lo INTEGER NOT NULL,
  hi INTEGER,
  rows INTEGER NOT NULL DEFAULT 0
);
INSERT INTO fts_windows (name, lo, hi, rows)
  VALUES ('messages_fts', 0, NULL,
          (SELECT COUNT(*) FROM messages) - (SELECT COUNT(*) FROM fts_queue));
)sql"},
      {"messages found by their raw mail", R"sql(
-- A mail seen again (fetched once more after a crash: the same UID; or the same bytes piped
-- twice) is a duplicate, and its request is read through messages.raw_id, which had no
-- index: each such check scanned every message (190 ms at 100,000 requests, 2 s at a
-- million; tests/unit/storage/test_query_plans.cpp). PostgreSQL's schema 20 also records
-- which mailboxes each daemon serves (storage/src/leases.cpp); one SQLite file has one
-- daemon.
CREATE INDEX messages_raw ON messages(raw_id);
)sql"},
      {"search vectors kept in the message row (PostgreSQL only)", R"sql(
-- PostgreSQL's schema 21 changes how its search column is stored (schema_pg.cpp). SQLite
-- keeps its index in FTS5 tables: nothing changes here but the version.
SELECT 1;
)sql"},
      {"the search index split by age (PostgreSQL only)", R"sql(
-- PostgreSQL's schema 22 splits its GIN index into windows by message id, as this schema's
-- 19 split the FTS5 index (schema_pg.cpp). Nothing changes here but the version.
SELECT 1;
)sql"},
      {"raw mail indexed by its bytes only when its Message-ID cannot find it", R"sql(
-- Issue 22: every stored mail added its SHA-256 to raw_messages_sha256, a key at a random
-- place in an index as big as the history; a batch of 100 mails dirtied about 100 of its
-- pages, and at 100,000 requests it made 40 % of the pages a checkpoint wrote and 58 % of
-- those read (bench/README.md, section 6). Yet the hash only finds a copy of a mail without
-- a Message-ID (storage/src/ingest.cpp, find_duplicate) and the quarantine's copies, which
-- are stored without one being looked for. A mail stored with a Message-ID now sets
-- by_message_id, and the index holds only the other rows. Rows stored before keep 0: they
-- stay in the index, which stops growing with mail that has a Message-ID. Rebuilding the
-- index reads the table once (the downtime: docs/storage.md).
-- The quarantine's own lookups of the same bytes (fetched again, piped twice and discarded
-- again) scanned the whole quarantine, which keeps every discarded mail: with
-- quarantine_raw they go from the hash to the entry.
ALTER TABLE raw_messages ADD COLUMN by_message_id INTEGER NOT NULL DEFAULT 0;
DROP INDEX raw_messages_sha256;
CREATE INDEX raw_messages_sha256 ON raw_messages(sha256) WHERE by_message_id = 0;
CREATE INDEX quarantine_raw ON quarantine(raw_id);
)sql"},
      {"one index fewer for each message stored", R"sql(
-- Issue 22: messages_request (request_id) repeats the first column of messages_request_from
-- (request_id, from_address), which serves every lookup by request as well: one request's
-- messages, their count, the newest, the check that a sender wrote to a request, and the
-- foreign keys' search for a request's messages. Each message stored went into both: at
-- 1.6M requests the insert into messages fetched 34 pages from the page cache, 3 of them for
-- this index (bench/README.md, section 6). Dropping an index writes no rows.
DROP INDEX IF EXISTS messages_request;
)sql"},
      {"messages without raw mail out of the raw-mail index", R"sql(
-- Issue 22: messages_raw (schema 20) holds every message, yet only those with raw mail are
-- looked up by it (a mail seen again, the quarantine's, a raw mail's foreign key). The
-- acknowledgements, replies and notes have none: about half the messages, each a NULL key
-- that every stored acknowledgement wrote. The index now holds only the others; lookups by
-- raw_id = ? use it as before (test_query_plans.cpp). Building it reads messages once.
DROP INDEX IF EXISTS messages_raw;
CREATE INDEX messages_raw ON messages(raw_id) WHERE raw_id IS NOT NULL;
)sql"},
      {"webhook triggers that read nothing when no endpoint subscribes", R"sql(
-- Issue 22: the triggers of schema 15 on new requests and messages (and on an owner or status
-- changed) joined the subscriptions with webhook_request_json, and SQLite's plan read the
-- request's row by its key before it found no subscription: a search of the requests table for
-- every request and every inbound message stored, the deeper the bigger the history. Each now
-- fires only when an endpoint subscribes to its event, as PostgreSQL's hd_webhook_request
-- checks first (schema_pg.cpp); what it queues when one does is unchanged.
DROP TRIGGER IF EXISTS webhook_request_created;
DROP TRIGGER IF EXISTS webhook_request_assigned;
DROP TRIGGER IF EXISTS webhook_request_status;
DROP TRIGGER IF EXISTS webhook_message_received;
CREATE TRIGGER webhook_request_created AFTER INSERT ON requests
  WHEN EXISTS (SELECT 1 FROM webhook_subscriptions WHERE event = 'request.created') BEGIN
  INSERT INTO webhook_deliveries (delivery_id, endpoint, event, payload, next_attempt_at,
                                  created_at, updated_at)
  SELECT lower(hex(randomblob(16))), s.endpoint, s.event,
         json_object('event', s.event,
                     'occurred_at', strftime('%Y-%m-%dT%H:%M:%SZ', new.created_at, 'unixepoch'),
                     'request', json(v.body)),
         new.created_at, new.created_at, new.created_at
  FROM webhook_subscriptions s, webhook_request_json v
  WHERE s.event = 'request.created' AND v.id = new.id;
END;
CREATE TRIGGER webhook_request_assigned AFTER UPDATE OF owner_id ON requests
  WHEN new.owner_id IS NOT old.owner_id
   AND EXISTS (SELECT 1 FROM webhook_subscriptions WHERE event = 'request.assigned') BEGIN
  INSERT INTO webhook_deliveries (delivery_id, endpoint, event, payload, next_attempt_at,
                                  created_at, updated_at)
  SELECT lower(hex(randomblob(16))), s.endpoint, s.event,
         json_object('event', s.event,
                     'occurred_at', strftime('%Y-%m-%dT%H:%M:%SZ', new.updated_at, 'unixepoch'),
                     'request', json(v.body),
                     'previous_owner', (SELECT u.login FROM users u WHERE u.id = old.owner_id)),
         new.updated_at, new.updated_at, new.updated_at
  FROM webhook_subscriptions s, webhook_request_json v
  WHERE s.event = 'request.assigned' AND v.id = new.id;
END;
CREATE TRIGGER webhook_request_status AFTER UPDATE OF status ON requests
  WHEN new.status IS NOT old.status
   AND EXISTS (SELECT 1 FROM webhook_subscriptions WHERE event = 'request.status_changed') BEGIN
  INSERT INTO webhook_deliveries (delivery_id, endpoint, event, payload, next_attempt_at,
                                  created_at, updated_at)
  SELECT lower(hex(randomblob(16))), s.endpoint, s.event,
         json_object('event', s.event,
                     'occurred_at', strftime('%Y-%m-%dT%H:%M:%SZ', new.updated_at, 'unixepoch'),
                     'request', json(v.body),
                     'previous_status', old.status),
         new.updated_at, new.updated_at, new.updated_at
  FROM webhook_subscriptions s, webhook_request_json v
  WHERE s.event = 'request.status_changed' AND v.id = new.id;
END;
CREATE TRIGGER webhook_message_received AFTER INSERT ON messages
  WHEN new.direction = 'in'
   AND EXISTS (SELECT 1 FROM webhook_subscriptions WHERE event = 'message.received') BEGIN
  INSERT INTO webhook_deliveries (delivery_id, endpoint, event, payload, next_attempt_at,
                                  created_at, updated_at)
  SELECT lower(hex(randomblob(16))), s.endpoint, s.event,
         json_object('event', s.event,
                     'occurred_at', strftime('%Y-%m-%dT%H:%M:%SZ', new.created_at, 'unixepoch'),
                     'request', json(v.body),
                     'message', json_object('id', new.id, 'from_address', new.from_address,
                                            'from_name', new.from_name, 'subject', new.subject)),
         new.created_at, new.created_at, new.created_at
  FROM webhook_subscriptions s, webhook_request_json v
  WHERE s.event = 'message.received' AND v.id = new.request_id;
END;
)sql"},
  };
  return list;
}

int schema_version() { return static_cast<int>(migrations().size()); }

}  // namespace hd::storage
