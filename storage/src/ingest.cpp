// store::ingest: one inbound mail, one transaction.
#include "hd/storage/store.hpp"

#include "raw_codec.hpp"
#include "store_impl.hpp"

#include "hd/common/digest.hpp"
#include "hd/storage/directory.hpp"
#include "hd/storage/outbox.hpp"
#include "hd/storage/threading.hpp"

namespace hd::storage {
namespace {

std::string domain_of(std::string_view addr) {
  std::size_t at = addr.rfind('@');
  return at == std::string_view::npos ? std::string() : ascii_lower(addr.substr(at + 1));
}

// Whether a mail is found again by its Message-ID (and sender), not by its bytes: then its raw
// row stays out of the index on the bytes' hash (schema 23, raw_messages.by_message_id).
bool found_by_message_id(const parsed_message& m) { return m.message_id && !m.message_id->empty(); }

// A mail seen before: same IMAP UID, same Message-ID from the same sender, or (without a
// Message-ID) the same bytes. Returns the request it went to.
std::optional<std::int64_t> find_duplicate(const sql::connection& db, const inbound& in,
                                           const std::string& sha) {
  const mail_source& s = in.source;
  if (s.uid && s.uidvalidity) {
    sql::statement st(db,
                      R"(SELECT COALESCE((SELECT request_id FROM messages WHERE raw_id = r.id), 0)
                             FROM raw_messages r WHERE mailbox = ?1 AND folder IS NOT DISTINCT FROM ?2 AND uidvalidity = ?3 AND uid = ?4)");
    st.bind(1, s.mailbox).bind(2, s.folder).bind(3, *s.uidvalidity).bind(4, *s.uid);
    if (st.step()) return st.integer(0);
  }
  const parsed_message& m = *in.parsed;
  if (found_by_message_id(m)) {
    sql::statement st(db,
                      "SELECT request_id FROM messages WHERE message_id = ?1 AND direction = 'in' "
                      "AND from_address = ?2");
    st.bind(1, *m.message_id).bind(2, m.from ? ascii_lower(m.from->addr) : std::string());
    if (st.step()) return st.integer(0);
    return std::nullopt;
  }
  // Only raw mail that became a message counts: quarantined bytes being reprocessed are not
  // a copy of anything stored. The same bytes parse to the same (missing) Message-ID, so the
  // copy, if any, is among the rows the hash's index holds.
  sql::statement st(db,
                    R"(SELECT m.request_id FROM raw_messages r JOIN messages m ON m.raw_id = r.id
                           WHERE r.sha256 = ?1 AND r.by_message_id = 0 LIMIT 1)");
  st.bind(1, sha);
  if (st.step()) return st.integer(0);
  return std::nullopt;
}

struct thread_match {
  std::int64_t request_id;
  std::string status;
  std::optional<std::int64_t> closed_at;
};

std::optional<thread_match> request_by_id(const sql::connection& db, std::int64_t id) {
  // Follow merges so that mail to a merged request lands in its master.
  for (int hops = 0; hops < 32; ++hops) {
    sql::statement st(db, "SELECT status, closed_at, merged_into FROM requests WHERE id = ?1");
    st.bind(1, id);
    if (!st.step()) return std::nullopt;
    if (st.text(0) == "merged" && !st.is_null(2)) {
      id = st.integer(2);
      continue;
    }
    return thread_match{id, st.text(0), st.opt_integer(1)};
  }
  return std::nullopt;
}

enum class part { no_request, participant, stranger };

// Whether the sender takes part in request ID: it is their person's request, or the address
// appeared in From, To or Cc of one of its messages, or we sent mail of it to the address.
part sender_part(const sql::connection& db, std::int64_t id, std::int64_t person_id,
                 const std::string& addr) {
  // The outbox keeps recipients one a line: the address must be a whole line. CASE tries
  // the tests in turn and stops at the first that holds (an OR of them evaluated all three
  // subqueries for a reply from the request's own person, the usual case: 21 pages read
  // against 3 at 1.6M requests, bench/README.md section 6).
  sql::statement st(db, fmt::format(R"(SELECT CASE
      WHEN r.person_id = ?2 THEN 1
      WHEN EXISTS (SELECT 1 FROM messages m WHERE m.request_id = r.id
                   AND (m.person_id = ?2 OR m.from_address = ?3)) THEN 1
      WHEN EXISTS (SELECT 1 FROM message_addresses a JOIN messages m ON m.id = a.message_id
                   WHERE m.request_id = r.id AND a.address = ?3) THEN 1
      WHEN EXISTS (SELECT 1 FROM outbox o WHERE o.request_id = r.id
                   AND {0}({1}(10) || lower(o.recipients) || {1}(10), {1}(10) || ?3 || {1}(10)) > 0)
        THEN 1
      ELSE 0 END
    FROM requests r WHERE r.id = ?1)",
                                    db.pick("instr", "strpos"), db.pick("char", "chr")));
  st.bind(1, id).bind(2, person_id).bind(3, addr);
  if (!st.step()) return part::no_request;
  return st.integer(0) != 0 ? part::participant : part::stranger;
}

struct thread_search {
  std::optional<thread_match> match;
  std::int64_t ignored_tag = 0;
  /// A request whose customer's Message-ID the mail referred to although its sender takes no
  /// part in it: the new request is linked to it. 0 when none.
  std::int64_t ignored_reference = 0;
};

// In-Reply-To, then References newest first. An id helpdeskd generated (an `out` message:
// random, known only to whom we sent it) threads for anyone; an id of an inbound mail is
// known to everyone its author copied and often guessable, so it threads only a sender who
// takes part in that request (the tag rule). The first refused request is remembered.
void thread_by_headers(const sql::connection& db, const parsed_message& m, std::int64_t person_id,
                       thread_search& out) {
  std::vector<std::string> ids;
  if (m.in_reply_to) ids.push_back(*m.in_reply_to);
  ids.insert(ids.end(), m.references.rbegin(), m.references.rend());
  // A bounce names the mail it returns in its report, rarely in its own headers.
  if (m.robot.delivery_status && m.robot.original_message_id)
    ids.push_back(*m.robot.original_message_id);
  sql::statement st(db,
                    "SELECT request_id, direction = 'out' FROM messages WHERE message_id = ?1 "
                    "ORDER BY direction = 'out' DESC, id LIMIT 1");
  std::string addr = m.from ? ascii_lower(m.from->addr) : std::string();
  for (const std::string& id : ids) {
    st.bind(1, id);
    if (st.step()) {
      std::int64_t request = st.integer(0);
      bool ours = st.integer(1) != 0;
      st.reset();
      if (ours || sender_part(db, request, person_id, addr) == part::participant) {
        out.match = request_by_id(db, request);
        if (out.match) return;
      } else if (out.ignored_reference == 0) {
        if (auto r = request_by_id(db, request)) out.ignored_reference = r->request_id;
      }
      continue;
    }
    st.reset();
  }
}

// Threading order: our tag (subject, then body when configured) if the sender takes part in
// that request; then In-Reply-To / References (see thread_by_headers); otherwise nothing (a
// new request).
thread_search find_thread(const sql::connection& db, const inbound& in, std::int64_t person_id,
                          const open_options& opt) {
  const parsed_message& m = *in.parsed;
  thread_search out;
  std::optional<std::int64_t> tag;
  if (m.subject) tag = find_request_tag(*m.subject, opt.tag_prefix);
  if (!tag && opt.tag_in_body) tag = find_request_tag(m.text, opt.tag_prefix);
  if (tag) {
    part p = sender_part(db, *tag, person_id, ascii_lower(m.from->addr));
    if (p == part::participant) out.match = request_by_id(db, *tag);
    if (out.match) return out;
    if (p == part::stranger) out.ignored_tag = *tag;
  }
  thread_by_headers(db, m, person_id, out);
  if (out.match) {
    if (out.match->request_id == out.ignored_tag) out.ignored_tag = 0;
    out.ignored_reference = 0;
  }
  return out;
}

std::optional<std::int64_t> id_by_name(const sql::connection& db, const char* sql_text,
                                       const std::string& name) {
  if (name.empty()) return std::nullopt;
  sql::statement st(db, sql_text);
  st.bind(1, name);
  if (st.step()) return st.integer(0);
  return std::nullopt;
}

std::int64_t create_request(const sql::connection& db, const inbound& in, std::int64_t person_id,
                            std::optional<std::int64_t> linked_to, std::string_view in_tag_prefix) {
  const parsed_message& m = *in.parsed;
  std::string title = request_title(m.subject.value_or(""), in_tag_prefix);
  sql::statement st(
      db,
      R"(INSERT INTO requests (title, priority, category_id, owner_id, person_id, mailbox, created_at, updated_at, linked_to,
                                     first_response_due, resolution_due, deadlines_set)
                           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8, ?9, ?10, ?11) RETURNING id)");
  st.bind(1, title).bind(2, in.route.priority);
  // With the targets at hand the due times go in with the row: setting them after (an
  // UPDATE) moved the request in the queues' indexes a second time.
  std::optional<due_times> due;
  if (in.targets != nullptr) due = due_times_of(*in.targets, in.route.priority, in.now);
  st.bind(9, due ? due->first_response : std::nullopt)
      .bind(10, due ? due->resolution : std::nullopt)
      .bind(11, std::int64_t{in.targets != nullptr ? 1 : 0});
  st.bind(3, id_by_name(db, "SELECT id FROM categories WHERE name = ?1", in.route.category));
  st.bind(4, id_by_name(db, "SELECT id FROM users WHERE login = ?1", in.route.owner));
  st.bind(5, person_id).bind(6, in.source.mailbox).bind(7, in.now).bind(8, linked_to);
  std::int64_t id = sql::new_id(st);
  sql::statement tag(
      db, "INSERT INTO request_tags (request_id, tag) VALUES (?1, ?2) ON CONFLICT DO NOTHING");
  for (const std::string& t : in.route.tags) {
    tag.bind(1, id).bind(2, t).run();
    tag.reset();
  }
  return id;
}

void add_event(const sql::connection& db, std::int64_t request_id, std::int64_t now,
               std::string_view kind, std::string_view detail) {
  sql::statement st(
      db,
      "INSERT INTO events (request_id, at, actor, kind, detail) VALUES (?1, ?2, 'system', ?3, ?4)");
  st.bind(1, request_id).bind(2, now).bind(3, kind).bind(4, detail).run();
}

// IN's prepared_raw when the caller worked it out (for these bytes), else null.
const prepared_raw* prepared_ahead(const inbound& in) {
  return in.prepared != nullptr && in.prepared->size == in.raw.size() ? in.prepared : nullptr;
}

std::int64_t insert_raw(const sql::connection& db, const inbound& in, const std::string& sha) {
  const mail_source& s = in.source;
  sql::statement st(
      db,
      R"(INSERT INTO raw_messages (sha256, size, bytes, received_at, mailbox, folder, uidvalidity, uid, encoding,
                                   by_message_id)
                           VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id)");
  std::optional<stored_raw> own;
  const prepared_raw* ahead = prepared_ahead(in);
  if (ahead == nullptr) own = encode_raw(in.raw);
  st.bind(1, sha).bind(2, static_cast<std::int64_t>(in.raw.size()));
  st.bind_blob(3, ahead ? std::string_view(ahead->bytes) : std::string_view(own->bytes));
  st.bind(4, in.now).bind(9, ahead ? ahead->encoding : static_cast<std::int64_t>(own->encoding));
  st.bind(10, std::int64_t{found_by_message_id(*in.parsed) ? 1 : 0});
  st.bind(5, s.mailbox).bind(6, s.folder).bind(7, s.uidvalidity).bind(8, s.uid);
  return sql::new_id(st);
}

std::int64_t insert_message(const sql::connection& db, const inbound& in, std::int64_t request_id,
                            std::int64_t raw_id, std::int64_t person_id) {
  const parsed_message& m = *in.parsed;
  sql::statement st(
      db,
      R"(INSERT INTO messages (request_id, direction, raw_id, message_id, person_id, from_address, from_name,
                                                 subject, body_text, body_html, sent_at, created_at)
                           VALUES (?1, 'in', ?2, ?3, ?4, ?5, ?6, ?7, hd_pack(?8), hd_pack(?9), ?10, ?11) RETURNING id)");
  st.bind(1, request_id).bind(2, raw_id).bind(3, m.message_id).bind(4, person_id);
  st.bind(5, m.from ? ascii_lower(m.from->addr) : std::string())
      .bind(6, m.from ? m.from->name : std::string());
  st.bind(7, m.subject.value_or(""))
      .bind(8, m.text)
      .bind(9, m.html)
      .bind(10, m.date)
      .bind(11, in.now);
  return sql::new_id(st);
}

// To and Cc, so that threading can tell who took part in a request.
void insert_addresses(const sql::connection& db, std::int64_t id, const parsed_message& m) {
  sql::statement st(db, R"(INSERT INTO message_addresses (message_id, role, position, address, name)
                           VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING)");
  for (const auto& [role, list] : {std::pair{"to", &m.to}, std::pair{"cc", &m.cc}}) {
    int pos = 0;
    for (const address& a : *list) {
      st.bind(1, id).bind(2, role).bind(3, pos++).bind(4, ascii_lower(a.addr)).bind(5, a.name);
      st.run();
      st.reset();
    }
  }
}

void insert_defects(const sql::connection& db, std::int64_t id, const parsed_message& m) {
  if (m.defects.empty()) return;
  sql::statement st(
      db, "INSERT INTO message_defects (message_id, position, defect) VALUES (?1, ?2, ?3)");
  int pos = 0;
  for (const std::string& d : m.defects) {
    st.bind(1, id).bind(2, pos++).bind(3, d).run();
    st.reset();
  }
}

void insert_attachments(const sql::connection& db, std::int64_t id, const parsed_message& m) {
  sql::statement blob(
      db,
      "INSERT INTO attachments (sha256, size, data) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING");
  sql::statement link(
      db,
      R"(INSERT INTO message_attachments (message_id, position, sha256, filename, content_type, disposition, content_id)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7))");
  int pos = 0;
  for (const attachment& a : m.attachments) {
    blob.bind(1, a.sha256)
        .bind(2, static_cast<std::int64_t>(a.data.size()))
        .bind_blob(3, a.data)
        .run();
    blob.reset();
    link.bind(1, id)
        .bind(2, pos++)
        .bind(3, a.sha256)
        .bind(4, a.filename)
        .bind(5, a.content_type)
        .bind(6, a.disposition)
        .bind(7, a.content_id)
        .run();
    link.reset();
  }
}

}  // namespace

person_ref find_or_create_person(const sql::connection& db, const address& from, std::int64_t now) {
  std::string addr = ascii_lower(from.addr);
  sql::statement find(db, "SELECT person_id FROM person_addresses WHERE address = ?1");
  find.bind(1, addr);
  if (find.step()) return {find.integer(0), false};
  std::optional<std::int64_t> company;
  // "support.bigcorp.nl" lands under the company owning "bigcorp.nl": the longest owned suffix.
  sql::statement dom(db, "SELECT company_id FROM company_domains WHERE domain = ?1");
  std::string d = domain_of(addr);
  while (!company && !d.empty()) {
    dom.bind(1, d);
    if (dom.step()) company = dom.integer(0);
    dom.reset();
    std::size_t dot = d.find('.');
    d = dot == std::string::npos ? std::string() : d.substr(dot + 1);
  }
  sql::statement ins(
      db, "INSERT INTO persons (name, company_id, created_at) VALUES (?1, ?2, ?3) RETURNING id");
  ins.bind(1, from.name).bind(2, company).bind(3, now);
  std::int64_t id = sql::new_id(ins);
  sql::statement link(db, "INSERT INTO person_addresses (address, person_id) VALUES (?1, ?2)");
  link.bind(1, addr).bind(2, id).run();
  return {id, true};
}

namespace {

std::int64_t record_outbound(const sql::connection& db, std::int64_t request_id,
                             const outgoing_mail& m, const std::optional<std::string>& msg_id,
                             std::int64_t now) {
  sql::statement msg(
      db,
      R"(INSERT INTO messages (request_id, direction, message_id, from_address, subject, body_text, created_at)
                            VALUES (?1, 'out', ?2, ?3, ?4, hd_pack(?5), ?6) RETURNING id)");
  msg.bind(1, request_id)
      .bind(2, msg_id)
      .bind(3, ascii_lower(m.mail_from))
      .bind(4, m.subject)
      .bind(5, m.text)
      .bind(6, now);
  return sql::new_id(msg);
}

}  // namespace

void queue_outgoing(const sql::connection& db, std::int64_t request_id, const outgoing_mail& m,
                    std::int64_t now) {
  std::optional<std::int64_t> request, message_id;
  std::optional<std::string> msg_id;
  if (!m.message_id.empty()) msg_id = m.message_id;
  if (request_id != 0) {  // a mail of a request is one of its messages; 0: no request
    request = request_id;
    message_id = record_outbound(db, request_id, m, msg_id, now);
  }
  std::string rcpts;
  for (const std::string& r : m.recipients) rcpts += (rcpts.empty() ? "" : "\n") + r;
  sql::statement out(
      db,
      R"(INSERT INTO outbox (request_id, message_id, kind, mail_from, recipients, bytes, next_attempt_at, created_at)
                            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7))");
  out.bind(1, request)
      .bind(2, message_id)
      .bind(3, m.kind)
      .bind(4, m.mail_from)
      .bind(5, rcpts)
      .bind_blob(6, m.bytes)
      .bind(7, now)
      .run();
}

void save_checkpoint_if_uid(const sql::connection& db, const mail_source& s) {
  if (!s.uid || !s.uidvalidity || !s.folder) return;
  sql::statement st(
      db,
      R"(INSERT INTO mailbox_state (mailbox, folder, uidvalidity, last_uid) VALUES (?1, ?2, ?3, ?4)
                           ON CONFLICT (mailbox, folder) DO UPDATE SET
                             last_uid = CASE WHEN mailbox_state.uidvalidity = excluded.uidvalidity THEN CASE WHEN excluded.last_uid > mailbox_state.last_uid THEN excluded.last_uid ELSE mailbox_state.last_uid END ELSE excluded.last_uid END,
                             uidvalidity = excluded.uidvalidity)");
  st.bind(1, s.mailbox).bind(2, *s.folder).bind(3, *s.uidvalidity).bind(4, *s.uid).run();
}

namespace {

// Crash-consistency test hook: a step that "fails" throws like a failing SQLite call would.
void step(const open_options& opt, std::string_view name) {
  if (opt.inject_fault && opt.inject_fault(name)) {
    throw sql::sqlite_error(SQLITE_IOERR, fmt::format("injected fault before step '{}'", name));
  }
}

// A reply to a request closed longer than reopen_within_days ago starts a new, linked one.
std::optional<std::int64_t> too_old_to_reopen(std::optional<thread_match>& thread,
                                              const inbound& in, const open_options& opt) {
  if (!thread || thread->status != "closed" || !thread->closed_at) return std::nullopt;
  if (in.now - *thread->closed_at <= std::int64_t{opt.reopen_within_days} * 86400)
    return std::nullopt;
  std::int64_t id = thread->request_id;
  thread.reset();
  return id;
}

// Automatic mail (an out-of-office reply, a bounce) joins request T without reopening or
// postponing anything: no person answered. Its event says what it was.
void append_automatic(const sql::connection& db, std::int64_t request_id, const std::string& status,
                      const inbound& in) {
  const parsed_message& m = *in.parsed;
  // The version moves here, so that the requests_version trigger does not update the row a
  // second time (schema.cpp).
  sql::statement st(db, "UPDATE requests SET updated_at = ?2, version = version + 1 WHERE id = ?1");
  st.bind(1, request_id).bind(2, in.now).run();
  std::string detail = fmt::format("{}: {}", m.from->addr, automatic_reason(m.robot));
  if (status != "open") detail += fmt::format("; the request stays {}", status);
  add_event(db, request_id, in.now, automatic_event_kind(m.robot), detail);
}

// Automatic mail that refers to no request is kept as a request of its own, closed at once
// and tagged, so it is on record and searchable but never in an agent's queue.
void close_automatic(const sql::connection& db, std::int64_t id, const inbound& in) {
  sql::statement st(db, "UPDATE requests SET status = 'closed', closed_at = ?2 WHERE id = ?1");
  st.bind(1, id).bind(2, in.now).run();
  sql::statement tag(
      db, "INSERT INTO request_tags (request_id, tag) VALUES (?1, ?2) ON CONFLICT DO NOTHING");
  tag.bind(1, id).bind(2, k_automatic_tag).run();
  const robot_facts& r = in.parsed->robot;
  add_event(db, id, in.now, "closed",
            fmt::format("automatic mail ({}) that refers to no request: kept out of the queues, "
                        "tagged '{}'; reopen it if a person wrote it",
                        automatic_reason(r), k_automatic_tag));
}

// A follow-up joins request T (and reopens it); the event tells the agents' open pages.
void append_to(const sql::connection& db, std::int64_t request_id, const std::string& status,
               std::int64_t now, std::string_view from) {
  // One UPDATE of the row, with its version moved here: the requests_version trigger then
  // leaves it alone (schema.cpp), instead of each change writing the row twice.
  bool reopen = status == "closed" || status == "pending";
  sql::statement st(db, reopen ? "UPDATE requests SET status = 'open', closed_at = NULL, "
                                 "postponed_until = NULL, updated_at = ?2, version = version + 1 "
                                 "WHERE id = ?1"
                               : "UPDATE requests SET updated_at = ?2, version = version + 1 "
                                 "WHERE id = ?1");
  st.bind(1, request_id).bind(2, now).run();
  if (reopen) add_event(db, request_id, now, "reopened", "customer replied");
  add_event(db, request_id, now, "received", from);
}

std::string created_detail(std::optional<std::int64_t> linked, std::int64_t ignored_tag,
                           std::int64_t ignored_reference) {
  std::string d = ignored_reference != 0 ? "from mail"
                  : linked               ? fmt::format("follow-up of closed request {}", *linked)
                                         : "from mail";
  if (ignored_tag != 0) {
    d += fmt::format("; quoted the tag of request {}, which the sender takes no part in",
                     ignored_tag);
  }
  if (ignored_reference != 0) {
    d += fmt::format(
        "; replied to a message of request {}, which the sender takes no part in; linked to it",
        ignored_reference);
  }
  return d;
}

// The whole threading decision for a mail from PERSON_ID (0: unknown, so no request is
// theirs): the search, then the reopen window. Automatic mail reopens nothing, so it joins a
// request however long ago it was closed.
thread_found decide_thread(const sql::connection& db, const inbound& in, std::int64_t person_id,
                           const open_options& opt) {
  step(opt, "thread_search");
  thread_search found = find_thread(db, in, person_id, opt);
  thread_found out;
  out.ignored_tag = found.ignored_tag;
  out.ignored_reference = found.ignored_reference;
  if (!is_automatic(in.parsed->robot)) out.linked_to = too_old_to_reopen(found.match, in, opt);
  if (!found.match && found.ignored_reference != 0) out.linked_to = found.ignored_reference;
  if (found.match) {
    out.request_id = found.match->request_id;
    out.status = found.match->status;
    out.linked_to.reset();
  }
  return out;
}

// Everything after the duplicate check, inside the ingest transaction.
ingest_outcome store_new_mail(const sql::connection& db, const inbound& in, const open_options& opt,
                              const std::string& sha) {
  ingest_outcome out;
  step(opt, "raw");
  std::int64_t raw_id = insert_raw(db, in, sha);
  step(opt, "person");
  person_ref person = find_or_create_person(db, *in.parsed->from, in.now);
  out.person_id = person.id;
  out.person_created = person.created;
  step(opt, "thread");
  // Found once by the unit of work (thread_of), or here for a caller that did not.
  thread_found found = in.thread ? *in.thread : decide_thread(db, in, person.id, opt);
  out.ignored_tag = found.ignored_tag;
  out.ignored_reference = found.ignored_reference;
  bool automatic = is_automatic(in.parsed->robot);
  step(opt, "request");
  if (found.request_id) {
    out.kind = ingest_kind::appended;
    out.request_id = *found.request_id;
    if (automatic) {
      append_automatic(db, out.request_id, found.status, in);
    } else {
      append_to(db, out.request_id, found.status, in.now, in.parsed->from->addr);
    }
  } else {
    out.kind = ingest_kind::created;
    out.request_id = create_request(db, in, person.id, found.linked_to, opt.tag_prefix);
    add_event(db, out.request_id, in.now, "created",
              created_detail(found.linked_to, out.ignored_tag, out.ignored_reference));
    if (automatic) close_automatic(db, out.request_id, in);
  }
  step(opt, "message");
  out.message_id = insert_message(db, in, out.request_id, raw_id, person.id);
  step(opt, "addresses");
  insert_addresses(db, out.message_id, *in.parsed);
  step(opt, "attachments");
  insert_attachments(db, out.message_id, *in.parsed);
  insert_defects(db, out.message_id, *in.parsed);
  return out;
}

}  // namespace

result<thread_found, errc> thread_of(store& s, const parsed_message& m, std::int64_t now) {
  if (!m.from) return thread_found{};
  return guarded([&]() -> result<thread_found, errc> {
    const sql::connection& db = connection_of(s);
    // The person is looked up, never created (0: unknown sender, so no request is theirs).
    sql::statement find(db, "SELECT person_id FROM person_addresses WHERE address = ?1");
    find.bind(1, ascii_lower(m.from->addr));
    std::int64_t person_id = find.step() ? find.integer(0) : 0;
    inbound in;
    in.parsed = &m;
    in.now = now;
    return decide_thread(db, in, person_id, detail::access::of(s).opt);
  });
}

result<std::optional<std::int64_t>, errc> thread_target(store& s, const parsed_message& m,
                                                        std::int64_t now) {
  auto t = thread_of(s, m, now);
  if (!t) return t.error();
  return t->request_id;
}

result<void, errc> queue_mails(store& s, std::int64_t request_id,
                               const std::vector<outgoing_mail>& mails, std::int64_t now) {
  return guarded([&]() -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    step(detail::access::of(s).opt, "outgoing");
    for (const outgoing_mail& m : mails) queue_outgoing(db, request_id, m, now);
    tx.commit();
    return {};
  });
}

prepared_raw prepare_raw(std::string_view raw) {
  stored_raw kept = encode_raw(raw);
  return prepared_raw{sha256_hex(raw), std::move(kept.bytes),
                      static_cast<std::int64_t>(kept.encoding), raw.size()};
}

result<ingest_outcome, errc> store::ingest(const inbound& in) {
  if (in.parsed == nullptr) return fail(errc::invalid, "ingest: no parsed message");
  if (!in.parsed->from) return fail(errc::invalid, "ingest: the message has no sender address");
  return guarded([&]() -> result<ingest_outcome, errc> {
    const sql::connection& db = connection_of(*this);
    const open_options& opt = p_->opt;
    const prepared_raw* ahead = prepared_ahead(in);
    std::string sha = ahead ? ahead->sha256 : sha256_hex(in.raw);
    sql::transaction tx(db);
    step(opt, "duplicate");
    if (auto dup = find_duplicate(db, in, sha)) {
      save_checkpoint_if_uid(db, in.source);
      tx.commit();
      ingest_outcome out;
      out.kind = ingest_kind::duplicate;
      out.request_id = *dup;
      return out;
    }
    ingest_outcome out = store_new_mail(db, in, opt, sha);
    step(opt, "checkpoint");
    save_checkpoint_if_uid(db, in.source);
    step(opt, "commit");
    tx.commit();
    return out;
  });
}

}  // namespace hd::storage
