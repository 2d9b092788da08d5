#pragma once
// The outbox and what automatic replies need from the database: claiming due mail, recording
// the result of a delivery attempt (sent, deferred with backoff, failed), recovering mail left
// 'sending' by a crash, the auto-reply log behind the rate limit, and bounce suppressions.
// Verbs without a transaction of their own (marked "joins the caller's transaction") may be
// called from inside store::ingest's outgoing callback.

#include "hd/storage/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::storage {

/// One row of the outbox.
struct outbox_item {
  std::int64_t id = 0;
  std::optional<std::int64_t> request_id;
  std::string kind;  ///< ack, reply, forward, redirect
  std::string mail_from;
  std::vector<std::string> recipients;
  std::string bytes;   ///< the complete message, CRLF
  std::string status;  ///< queued, sending, sent, failed
  int attempts = 0;
  std::int64_t next_attempt_at = 0;
  std::optional<std::string> last_error;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> sent_at;
};

/// When to try a deferred mail again (in the spirit of Postfix's queue manager).
struct retry_policy {
  int min_backoff_s = 300;          ///< after the first failure
  int max_backoff_s = 3600;         ///< the backoff doubles up to this
  int give_up_after_s = 5 * 86400;  ///< a mail this old that fails again is failed for good
};

/// The delay before attempt number ATTEMPTS + 1 (ATTEMPTS >= 1 attempts made so far).
int backoff_seconds(const retry_policy& p, int attempts);

struct outbox_filter {
  std::optional<std::string> status;  ///< queued, sending, sent, failed
  int limit = 1000;
};

/// Outbox rows (without their bytes), newest first.
result<std::vector<outbox_item>, errc> list_outbox(store& s, const outbox_filter& f);

/// One outbox row with its bytes. errc::not_found when there is none.
result<outbox_item, errc> get_outbox_item(store& s, std::int64_t id);

/// The outbox's most recent failed delivery attempt (deferred or rejected): the mail (without
/// its bytes) and when. nullopt when no attempt ever failed. A mail sent later keeps its last
/// error, so this says what went wrong last, not that it is still wrong (status says that).
struct outbox_failure {
  outbox_item item;
  std::int64_t at = 0;
};
result<std::optional<outbox_failure>, errc> last_outbox_failure(store& s);

/// Atomically moves up to LIMIT queued items due at NOW to 'sending' (attempts + 1,
/// claimed_at = NOW) and returns them, oldest first. Two drains never claim the same item.
result<std::vector<outbox_item>, errc> claim_outbox(store& s, std::int64_t now, int limit);

/// Items still 'sending' that were claimed before NOW - STALE_AFTER_S (a drain crashed or was
/// killed mid-delivery; the server may or may not have accepted them). Kinds in RESEND go
/// back to 'queued' with their bytes, so the same Message-ID: at least once, a recipient may
/// get it twice, and mail clients that de-duplicate by Message-ID show it once. Other kinds
/// are marked 'failed' with a `mail_uncertain` event: at most once. Returns how many were
/// handled. See docs/replies.md and docs/faults.md.
result<int, errc> recover_stale_sending(store& s, std::int64_t now, int stale_after_s,
                                        const std::vector<std::string>& resend);

/// The item was accepted by the server: 'sent', sent_at = NOW, an event on its request.
result<void, errc> mark_sent(store& s, std::int64_t id, std::int64_t now,
                             std::string_view server_reply);

/// A temporary failure: back to 'queued' with next_attempt_at from POLICY, or 'failed' when the
/// item is older than policy.give_up_after_s. Returns true when it gave up.
result<bool, errc> mark_deferred(store& s, std::int64_t id, std::int64_t now,
                                 std::string_view server_reply, const retry_policy& policy);

/// A temporary failure of the SMTP server, not of this mail (no connection, TLS, time-out,
/// 421): back to 'queued', due at RETRY_AT, with the claim's attempt not counted, so the
/// mail's own backoff is untouched and it goes out as soon as the server is back. Like
/// mark_deferred it gives up (true) on a mail older than give_up_after_s.
result<bool, errc> mark_server_deferred(store& s, std::int64_t id, std::int64_t now,
                                        std::int64_t retry_at, std::string_view server_reply,
                                        const retry_policy& policy);

/// A permanent failure: 'failed', last_error = the server's reply, and an event on the request
/// ("mail_failed") carrying that reply.
result<void, errc> mark_failed(store& s, std::int64_t id, std::int64_t now,
                               std::string_view server_reply);

/// Puts failed (or, with ID, that one failed or queued) items back in the queue, due NOW.
/// Returns how many.
result<int, errc> retry_outbox(store& s, std::optional<std::int64_t> id, std::int64_t now);

/// Queues MAILS in the outbox, each recorded as an outbound message of REQUEST_ID (0: mail of
/// no request, a redirect of a mail nobody keeps). The intake's unit of work calls it after
/// ingest, in the same transaction: the transactional outbox. Joins the caller's transaction.
result<void, errc> queue_mails(store& s, std::int64_t request_id,
                               const std::vector<outgoing_mail>& mails, std::int64_t now);

/// Adds an event to a request (actor 'system'). Joins the caller's transaction.
result<void, errc> add_request_event(store& s, std::int64_t request_id, std::int64_t now,
                                     std::string_view kind, std::string_view detail);

/// Records that an automatic mail to ADDRESS was queued. Joins the caller's transaction.
result<void, errc> record_auto_reply(store& s, std::string_view address, std::int64_t request_id,
                                     std::int64_t now);

/// Automatic mails queued to ADDRESS since SINCE (about REQUEST only, when given). Joins the
/// caller's transaction.
result<int, errc> count_auto_replies(store& s, std::string_view address, std::int64_t since,
                                     std::optional<std::int64_t> request = std::nullopt);

/// Deletes the auto-reply log's entries (acknowledgements and redirects) from before BEFORE,
/// at most BATCH rows to a statement, each statement its own short transaction, so that intake
/// waits for none of them. Nothing counted since BEFORE goes. Returns how many went.
result<int, errc> prune_auto_replies(store& s, std::int64_t before, int batch = 5000);

/// Records that a copy of a mail from SENDER was redirected to TARGET (REQUEST_ID 0: the mail
/// made no request). Joins the caller's transaction.
result<void, errc> record_redirect(store& s, std::string_view sender, std::string_view target,
                                   std::int64_t request_id, std::int64_t now);

/// Copies of mail from SENDER redirected to TARGET since SINCE (the redirect rate limit).
/// Joins the caller's transaction.
result<int, errc> count_redirects(store& s, std::string_view sender, std::string_view target,
                                  std::int64_t since);

/// Suppresses automatic mail to ADDRESS until UNTIL (extends, never shortens, an existing
/// suppression). Joins the caller's transaction.
result<void, errc> suppress_address(store& s, std::string_view address, std::string_view reason,
                                    std::int64_t until, std::int64_t now);

/// The reason ADDRESS is suppressed at NOW, or nullopt. Joins the caller's transaction.
result<std::optional<std::string>, errc> suppression_of(store& s, std::string_view address,
                                                        std::int64_t now);

/// What an automatic reply to a request may say about it.
struct reply_facts {
  std::int64_t request_id = 0;
  std::string title;
  std::string category;
  std::string priority;
  std::string owner;  ///< the owner's name, else login; empty when unassigned
  std::string mailbox;
  std::int64_t person_id = 0;
  std::string person_name;
  std::string person_address;  ///< the person's first address
  std::optional<std::string> person_language;
  std::string company;
  /// The newest inbound message of the person (else of anyone, e.g. a vendor): Message-ID,
  /// References (none stored: empty), subject, text.
  std::optional<std::string> last_message_id;
  std::string last_subject;
  std::string last_text;
};

/// Facts about request ID. errc::not_found when there is none. Joins the caller's transaction.
result<reply_facts, errc> reply_facts_of(store& s, std::int64_t request_id);

/// The facts an acknowledgement of mail M needs, M having just been stored by ingest as O: those
/// of reply_facts_of(O.request_id), without reading again what the ingest had. M is the newest
/// inbound mail when O created the request or M's sender is the request's person;
/// person_address is M's sender, the acknowledgement's recipient. Joins the caller's
/// transaction.
result<reply_facts, errc> ack_facts_of(store& s, const ingest_outcome& o, const parsed_message& m);

/// Remembers the language a person's mail is answered in. Joins the caller's transaction.
result<void, errc> set_person_language(store& s, std::int64_t person_id, std::string_view lang);

}  // namespace hd::storage
