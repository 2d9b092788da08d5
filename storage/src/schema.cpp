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
  };
  return list;
}

int schema_version() { return static_cast<int>(migrations().size()); }

}  // namespace hd::storage
