#pragma once
// Sieve `redirect`: a copy of the original mail to another address, queued in the outbox in
// the same transaction that stores the mail (like the acknowledgement). As Pigeonhole does,
// the message goes unchanged to the new envelope recipient: only Return-Path and earlier
// X-Sieve / X-Sieve-Redirected-From fields are removed, and `X-Sieve` and
// `X-Sieve-Redirected-From: <our address>` are prepended, which is also the loop protection.
// See docs/rules.md ("redirect").

#include "hd/common/config.hpp"
#include "hd/common/message.hpp"
#include "hd/intake/pipeline.hpp"
#include "hd/rules/script.hpp"
#include "hd/storage/store.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hd::daemon {

/// The bytes of a redirected copy of RAW: the header without Return-Path, X-Sieve and
/// X-Sieve-Redirected-From fields (and without an mbox "From " line), with
/// "X-Sieve: helpdeskd" and "X-Sieve-Redirected-From: OUR_ADDRESS" prepended, the body
/// unchanged; every line end made CRLF (SMTP). Pure.
std::string redirect_copy(std::string_view raw, std::string_view our_address);

/// Why M must not be redirected to TARGET, or nullopt: TARGET is not a plain addr-spec, is one
/// of our own addresses, or is the mail's own sender; the mail already passed through us
/// (X-Sieve-Redirected-From or X-Loop naming one of our addresses). Pure (the rate limit is
/// checked by redirect_mails and redirect_discarded below, against the database).
std::optional<std::string> redirect_block(const config& cfg, const parsed_message& m,
                                          const rules::envelope& env, std::string_view target);

/// What a redirect needs to know about the mail; all referenced values must outlive the call.
struct redirect_input {
  const config& cfg;
  storage::store& db;
  const parsed_message& m;
  std::string_view raw;
  std::string mailbox;
  rules::envelope env;
  std::vector<std::string> targets;  ///< the rules' redirect addresses, in order (deduplicated)
  std::int64_t now = 0;
  bool null_sender = false;  ///< the envelope sender is known to be empty (<>)
};

/// The redirect_input for one mail of the pipeline (envelope from CX or the mail's headers).
redirect_input redirect_input_of(const intake_context& cx, const storage::mail_source& src,
                                 const parsed_message& m, std::string_view raw,
                                 std::vector<std::string> targets, std::int64_t now);

/// The copies to queue for a stored mail (O): one for every target that is not blocked or
/// rate-limited ([ack] rate_limit_count per rate_limit_window_s for one sender and target),
/// with a `redirect_queued` or `redirect_suppressed` event on the request. The envelope sender
/// is the mailbox's address (so bounces come back to us), or empty (`<>`) when the mail's own
/// envelope sender was empty. Nothing for a duplicate or without targets. Runs in the intake's
/// unit of work, which queues what it returns (a write that fails is the error: the unit
/// rolls back and the mail is retried).
storage::outgoing_result redirect_mails(const redirect_input& in, const storage::ingest_outcome& o);

/// For a mail that makes no request (redirected without keep): the copies to queue without a
/// request; appends what it did to REASON ("; redirected to a@b" or "; redirect to a@b
/// suppressed: why").
storage::outgoing_result redirect_discarded(const redirect_input& in, std::string& reason);

}  // namespace hd::daemon
