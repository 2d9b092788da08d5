// The outbox verbs, the auto-reply log and bounce suppressions (hd/storage/outbox.hpp).
#include "hd/storage/outbox.hpp"

#include "store_impl.hpp"

#include <algorithm>

namespace hd::storage {
namespace {

constexpr const char* item_columns =
    "id, request_id, kind, mail_from, recipients, status, attempts, next_attempt_at, "
    "last_error, created_at, sent_at";

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  for (std::size_t pos = 0; pos < s.size();) {
    std::size_t nl = s.find('\n', pos);
    if (nl == std::string::npos) nl = s.size();
    if (nl > pos) out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

outbox_item read_item(const sql::statement& st) {
  outbox_item it;
  it.id = st.integer(0);
  it.request_id = st.opt_integer(1);
  it.kind = st.text(2);
  it.mail_from = st.text(3);
  it.recipients = split_lines(st.text(4));
  it.status = st.text(5);
  it.attempts = static_cast<int>(st.integer(6));
  it.next_attempt_at = st.integer(7);
  it.last_error = st.opt_text(8);
  it.created_at = st.integer(9);
  it.sent_at = st.opt_integer(10);
  return it;
}

void event(const sql::connection& db, std::optional<std::int64_t> request_id, std::int64_t now,
           std::string_view kind, std::string_view detail) {
  if (!request_id) return;
  sql::statement st(
      db,
      "INSERT INTO events (request_id, at, actor, kind, detail) VALUES (?1, ?2, 'system', ?3, ?4)");
  st.bind(1, *request_id).bind(2, now).bind(3, kind).bind(4, detail).run();
}

std::optional<std::int64_t> request_of(const sql::connection& db, std::int64_t id) {
  sql::statement st(db, "SELECT request_id FROM outbox WHERE id = ?1");
  st.bind(1, id);
  return st.step() ? st.opt_integer(0) : std::nullopt;
}

std::string lower(std::string_view s) { return ascii_lower(s); }

void fill_last_inbound(const sql::connection& db, reply_facts& f) {
  sql::statement st(
      db,
      "SELECT message_id, subject, hd_text(body_text) FROM messages WHERE request_id = ?1 AND "
      "direction = 'in' ORDER BY person_id IS NOT DISTINCT FROM ?2 DESC, id DESC LIMIT 1");
  // The customer's own newest mail, not a vendor's answer that threaded in after it.
  st.bind(1, f.request_id).bind(2, f.person_id);
  if (!st.step()) return;
  f.last_message_id = st.opt_text(0);
  f.last_subject = st.text(1);
  f.last_text = st.text(2);
}

}  // namespace

int backoff_seconds(const retry_policy& p, int attempts) {
  std::int64_t d = p.min_backoff_s;
  for (int i = 1; i < attempts && d < p.max_backoff_s; ++i) d *= 2;
  return static_cast<int>(std::min<std::int64_t>(d, p.max_backoff_s));
}

result<std::vector<outbox_item>, errc> list_outbox(store& s, const outbox_filter& f) {
  return guarded([&]() -> result<std::vector<outbox_item>, errc> {
    sql::statement st(
        connection_of(s),
        std::string("SELECT ") + item_columns +
            " FROM outbox WHERE CAST(?1 AS TEXT) IS NULL OR status = ?1 ORDER BY id DESC LIMIT ?2");
    st.bind(1, f.status).bind(2, f.limit);
    std::vector<outbox_item> out;
    while (st.step()) out.push_back(read_item(st));
    return out;
  });
}

result<outbox_item, errc> get_outbox_item(store& s, std::int64_t id) {
  return guarded([&]() -> result<outbox_item, errc> {
    sql::statement st(connection_of(s),
                      std::string("SELECT ") + item_columns + ", bytes FROM outbox WHERE id = ?1");
    st.bind(1, id);
    if (!st.step()) return fail(errc::not_found, "no outbox item " + std::to_string(id));
    outbox_item it = read_item(st);
    it.bytes = st.text(11);
    return it;
  });
}

result<std::optional<outbox_failure>, errc> last_outbox_failure(store& s) {
  return guarded([&]() -> result<std::optional<outbox_failure>, errc> {
    sql::statement st(connection_of(s),
                      std::string("SELECT ") + item_columns +
                          ", last_error_at FROM outbox WHERE last_error_at IS NOT NULL "
                          "ORDER BY last_error_at DESC, id DESC LIMIT 1");
    if (!st.step()) return std::optional<outbox_failure>();
    return std::optional<outbox_failure>(outbox_failure{read_item(st), st.integer(11)});
  });
}

result<std::vector<outbox_item>, errc> claim_outbox(store& s, std::int64_t now, int limit) {
  return guarded([&]() -> result<std::vector<outbox_item>, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    // Several daemons on one PostgreSQL claim at once: each skips the rows another's claim
    // holds, so no mail is claimed (and sent) twice. SQLite's BEGIN IMMEDIATE already lets
    // one claim run at a time.
    sql::statement st(db, std::string("SELECT ") + item_columns +
                              ", bytes FROM outbox WHERE status = 'queued' AND next_attempt_at <= "
                              "?1 ORDER BY next_attempt_at, id LIMIT ?2" +
                              db.pick("", " FOR UPDATE SKIP LOCKED"));
    st.bind(1, now).bind(2, limit);
    std::vector<outbox_item> out;
    while (st.step()) {
      out.push_back(read_item(st));
      out.back().bytes = st.text(11);
    }
    sql::statement up(db,
                      "UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_at = "
                      "?2 WHERE id = ?1");
    for (outbox_item& it : out) {
      up.bind(1, it.id).bind(2, now).run();
      up.reset();
      it.status = "sending";
      ++it.attempts;
    }
    tx.commit();
    return out;
  });
}

result<int, errc> recover_stale_sending(store& s, std::int64_t now, int stale_after_s,
                                        const std::vector<std::string>& resend) {
  return guarded([&]() -> result<int, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    // Whether the server accepted an interrupted delivery is unknown. A kind in RESEND is
    // sent again with the same bytes (the same Message-ID, so a duplicate is recognisable);
    // any other is marked failed, with an event, and `outbox retry ID` sends it. Several
    // daemons on PostgreSQL recover at once: each skips the rows another's recovery holds,
    // so a mail is requeued (or its event written) once.
    sql::statement stale(db, std::string(R"(SELECT id, kind FROM outbox WHERE status = 'sending'
                                              AND COALESCE(claimed_at, 0) < ?1)") +
                                 db.pick("", " FOR UPDATE SKIP LOCKED"));
    stale.bind(1, now - stale_after_s);
    std::vector<std::int64_t> again, at_most_once;
    while (stale.step()) {
      bool resent = std::find(resend.begin(), resend.end(), stale.text(1)) != resend.end();
      (resent ? again : at_most_once).push_back(stale.integer(0));
    }
    sql::statement fail_one(db, R"(UPDATE outbox SET status = 'failed', last_error = ?2
                                     WHERE id = ?1)");
    constexpr std::string_view why =
        "interrupted while sending: the server may have accepted it, so it is not sent again "
        "(at most once: [smtp] resend_in_doubt); `helpdeskd outbox retry ID` sends it";
    for (std::int64_t id : at_most_once) {
      fail_one.bind(1, id).bind(2, why).run();
      fail_one.reset();
      event(db, request_of(db, id), now, "mail_uncertain", why);
    }
    sql::statement queue_one(db,
                             "UPDATE outbox SET status = 'queued', next_attempt_at = ?2, "
                             "last_error = 'interrupted while sending: sent again with the same "
                             "Message-ID' WHERE id = ?1");
    for (std::int64_t id : again) {
      queue_one.bind(1, id).bind(2, now).run();
      queue_one.reset();
    }
    tx.commit();
    return static_cast<int>(again.size() + at_most_once.size());
  });
}

result<void, errc> mark_sent(store& s, std::int64_t id, std::int64_t now,
                             std::string_view server_reply) {
  return guarded([&]() -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    // A sent acknowledgement is kept once: its subject and text stay as the request's
    // outbound message, and its rendered bytes are dropped (a sent mail is never sent again:
    // `outbox retry` takes failed and queued mail only). Agents' mail keeps its bytes: a
    // forward's attachments live only there.
    sql::statement st(db,
                      "UPDATE outbox SET status = 'sent', sent_at = ?2, last_error = NULL, "
                      "bytes = CASE WHEN kind = 'ack' THEN ?3 ELSE bytes END WHERE id = ?1");
    st.bind(1, id).bind(2, now).bind_blob(3, std::string_view()).run();  // no bytes
    sql::statement msg(db,
                       "UPDATE messages SET sent_at = ?2 WHERE id = (SELECT message_id FROM outbox "
                       "WHERE id = ?1)");
    msg.bind(1, id).bind(2, now).run();
    sql::statement kind(db, "SELECT kind FROM outbox WHERE id = ?1");
    kind.bind(1, id);
    std::string k = kind.step() ? kind.text(0) : std::string("mail");
    event(db, request_of(db, id), now, "mail_sent",
          k + " accepted by the SMTP server: " + std::string(server_reply));
    tx.commit();
    return {};
  });
}

namespace {

// Back to 'queued' due at RETRY_AT (nullopt: after the item's own backoff), or 'failed' when
// the item is too old to retry. COUNT_ATTEMPT false undoes the claim's attempt.
result<bool, errc> defer(store& s, std::int64_t id, std::int64_t now,
                         std::optional<std::int64_t> retry_at, std::string_view server_reply,
                         const retry_policy& policy) {
  return guarded([&]() -> result<bool, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    sql::statement get(db, "SELECT attempts, created_at FROM outbox WHERE id = ?1");
    get.bind(1, id);
    if (!get.step()) return fail(errc::not_found, "no outbox item " + std::to_string(id));
    int attempts = static_cast<int>(get.integer(0));
    std::int64_t created = get.integer(1);
    bool give_up = now - created >= policy.give_up_after_s;
    if (retry_at && !give_up) attempts = std::max(0, attempts - 1);
    sql::statement up(db,
                      "UPDATE outbox SET status = ?2, next_attempt_at = ?3, last_error = ?4, "
                      "attempts = ?5, last_error_at = ?6 WHERE id = ?1");
    up.bind(1, id)
        .bind(2, give_up ? "failed" : "queued")
        .bind(3, retry_at ? *retry_at : now + backoff_seconds(policy, attempts))
        .bind(4, server_reply)
        .bind(5, attempts)
        .bind(6, now)
        .run();
    if (give_up) {
      event(db, request_of(db, id), now, "mail_failed",
            "gave up after " + std::to_string(attempts) +
                " attempts; last reply: " + std::string(server_reply));
    }
    tx.commit();
    return give_up;
  });
}

}  // namespace

result<bool, errc> mark_deferred(store& s, std::int64_t id, std::int64_t now,
                                 std::string_view server_reply, const retry_policy& policy) {
  return defer(s, id, now, std::nullopt, server_reply, policy);
}

result<bool, errc> mark_server_deferred(store& s, std::int64_t id, std::int64_t now,
                                        std::int64_t retry_at, std::string_view server_reply,
                                        const retry_policy& policy) {
  return defer(s, id, now, retry_at, server_reply, policy);
}

result<void, errc> mark_failed(store& s, std::int64_t id, std::int64_t now,
                               std::string_view server_reply) {
  return guarded([&]() -> result<void, errc> {
    const sql::connection& db = connection_of(s);
    sql::transaction tx(db);
    sql::statement up(db,
                      "UPDATE outbox SET status = 'failed', last_error = ?2, last_error_at = ?3 "
                      "WHERE id = ?1");
    up.bind(1, id).bind(2, server_reply).bind(3, now).run();
    event(db, request_of(db, id), now, "mail_failed",
          "rejected by the SMTP server: " + std::string(server_reply));
    tx.commit();
    return {};
  });
}

result<int, errc> retry_outbox(store& s, std::optional<std::int64_t> id, std::int64_t now) {
  return guarded([&]() -> result<int, errc> {
    const sql::connection& db = connection_of(s);
    sql::statement st(db,
                      "UPDATE outbox SET status = 'queued', next_attempt_at = ?2 WHERE (CAST(?1 AS "
                      "BIGINT) IS NULL "
                      "AND status = 'failed') OR (id = ?1 AND status IN ('failed', 'queued'))");
    st.bind(1, id).bind(2, now).run();
    return db.changes();
  });
}

result<void, errc> add_request_event(store& s, std::int64_t request_id, std::int64_t now,
                                     std::string_view kind, std::string_view detail) {
  return guarded([&]() -> result<void, errc> {
    event(connection_of(s), request_id, now, kind, detail);
    return {};
  });
}

result<void, errc> record_auto_reply(store& s, std::string_view address, std::int64_t request_id,
                                     std::int64_t now) {
  return guarded([&]() -> result<void, errc> {
    sql::statement st(connection_of(s),
                      "INSERT INTO auto_replies (address, request_id, at) VALUES (?1, ?2, ?3)");
    st.bind(1, lower(address)).bind(2, request_id).bind(3, now).run();
    return {};
  });
}

result<int, errc> count_auto_replies(store& s, std::string_view address, std::int64_t since,
                                     std::optional<std::int64_t> request) {
  return guarded([&]() -> result<int, errc> {
    sql::statement st(
        connection_of(s),
        "SELECT COUNT(*) FROM auto_replies WHERE address = ?1 AND at >= ?2 AND (CAST(?3 AS BIGINT) "
        "IS NULL OR request_id = ?3)");
    st.bind(1, lower(address)).bind(2, since).bind(3, request);
    return st.step() ? static_cast<int>(st.integer(0)) : 0;
  });
}

result<int, errc> prune_auto_replies(store& s, std::int64_t before, int batch) {
  return guarded([&]() -> result<int, errc> {
    const sql::connection& db = connection_of(s);
    // The oldest rows first, by id: the log is written in time order, so a pass reads the rows
    // that go and stops (a row written under a clock set back, after newer ones, is found
    // all the same). Each statement commits on its own.
    sql::statement del(db,
                       "DELETE FROM auto_replies WHERE id IN (SELECT id FROM auto_replies "
                       "WHERE at < ?1 ORDER BY id LIMIT ?2)");
    int total = 0;
    for (;;) {
      del.bind(1, before).bind(2, batch).run();
      int n = db.changes();
      total += n;
      if (n < batch) return total;
      del.reset();
    }
  });
}

namespace {
// Redirects share the auto-reply log under a key no addr-spec can collide with (a newline
// never occurs in one), so the ack rate limit never counts them and vice versa.
std::string redirect_key(std::string_view sender, std::string_view target) {
  return "redirect\n" + lower(sender) + "\n" + lower(target);
}
}  // namespace

result<void, errc> record_redirect(store& s, std::string_view sender, std::string_view target,
                                   std::int64_t request_id, std::int64_t now) {
  return guarded([&]() -> result<void, errc> {
    sql::statement st(connection_of(s),
                      "INSERT INTO auto_replies (address, request_id, at) VALUES (?1, ?2, ?3)");
    std::optional<std::int64_t> request;
    if (request_id != 0) request = request_id;
    st.bind(1, redirect_key(sender, target)).bind(2, request).bind(3, now).run();
    return {};
  });
}

result<int, errc> count_redirects(store& s, std::string_view sender, std::string_view target,
                                  std::int64_t since) {
  return guarded([&]() -> result<int, errc> {
    sql::statement st(connection_of(s),
                      "SELECT COUNT(*) FROM auto_replies WHERE address = ?1 AND at >= ?2");
    st.bind(1, redirect_key(sender, target)).bind(2, since);
    return st.step() ? static_cast<int>(st.integer(0)) : 0;
  });
}

result<void, errc> suppress_address(store& s, std::string_view address, std::string_view reason,
                                    std::int64_t until, std::int64_t now) {
  return guarded([&]() -> result<void, errc> {
    sql::statement st(
        connection_of(s),
        R"(INSERT INTO suppressions (address, reason, until, created_at) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (address) DO UPDATE SET reason = excluded.reason,
                           until = CASE WHEN excluded.until > suppressions.until THEN excluded.until ELSE suppressions.until END)");
    st.bind(1, lower(address)).bind(2, reason).bind(3, until).bind(4, now).run();
    return {};
  });
}

result<std::optional<std::string>, errc> suppression_of(store& s, std::string_view address,
                                                        std::int64_t now) {
  return guarded([&]() -> result<std::optional<std::string>, errc> {
    sql::statement st(connection_of(s),
                      "SELECT reason FROM suppressions WHERE address = ?1 AND until > ?2");
    st.bind(1, lower(address)).bind(2, now);
    if (st.step()) return std::optional<std::string>(st.text(0));
    return std::optional<std::string>();
  });
}

namespace {

// The request's facts but its newest inbound mail; the person's first address only WITH_ADDRESS
// (a correlated lookup in person_addresses, which CASE skips otherwise).
result<reply_facts, errc> read_facts(const sql::connection& db, std::int64_t request_id,
                                     bool with_address) {
  sql::statement st(db, R"(
      SELECT r.title, COALESCE(c.name, ''), r.priority, COALESCE(NULLIF(u.name, ''), u.login, ''),
             r.mailbox, COALESCE(p.id, 0), COALESCE(p.name, ''), p.language, COALESCE(co.name, ''),
             CASE WHEN CAST(?2 AS INTEGER) = 1 THEN COALESCE((SELECT address FROM person_addresses a
                  WHERE a.person_id = p.id ORDER BY rowid LIMIT 1), '') ELSE '' END
        FROM requests r
        LEFT JOIN categories c ON c.id = r.category_id
        LEFT JOIN users u ON u.id = r.owner_id
        LEFT JOIN persons p ON p.id = r.person_id
        LEFT JOIN companies co ON co.id = p.company_id
       WHERE r.id = ?1)");
  st.bind(1, request_id).bind(2, with_address ? 1 : 0);
  if (!st.step()) return fail(errc::not_found, "no request " + std::to_string(request_id));
  reply_facts f;
  f.request_id = request_id;
  f.title = st.text(0);
  f.category = st.text(1);
  f.priority = st.text(2);
  f.owner = st.text(3);
  f.mailbox = st.text(4);
  f.person_id = st.integer(5);
  f.person_name = st.text(6);
  f.person_language = st.opt_text(7);
  f.company = st.text(8);
  f.person_address = st.text(9);
  return f;
}

}  // namespace

result<reply_facts, errc> reply_facts_of(store& s, std::int64_t request_id) {
  return guarded([&]() -> result<reply_facts, errc> {
    const sql::connection& db = connection_of(s);
    auto f = read_facts(db, request_id, true);
    if (f) fill_last_inbound(db, *f);
    return f;
  });
}

result<reply_facts, errc> ack_facts_of(store& s, const ingest_outcome& o, const parsed_message& m) {
  return guarded([&]() -> result<reply_facts, errc> {
    const sql::connection& db = connection_of(s);
    auto f = read_facts(db, o.request_id, false);
    if (!f) return f;
    f->person_address = m.from ? ascii_lower(m.from->addr) : std::string();
    // M is the request's newest inbound mail, as store::ingest stored it (subject, text and
    // Message-ID as parsed): the only one of a new request, and the newest of the request's
    // person when it is theirs.
    if (o.kind == ingest_kind::created || f->person_id == o.person_id) {
      f->last_message_id = m.message_id;
      f->last_subject = m.subject.value_or("");
      f->last_text = m.text;
    } else {
      fill_last_inbound(db, *f);
    }
    return f;
  });
}

result<void, errc> set_person_language(store& s, std::int64_t person_id, std::string_view lang) {
  return guarded([&]() -> result<void, errc> {
    sql::statement st(connection_of(s), "UPDATE persons SET language = ?2 WHERE id = ?1");
    st.bind(1, person_id).bind(2, lang).run();
    return {};
  });
}

}  // namespace hd::storage
