#pragma once
// An agent's mail about a request (a reply to the customer, a forward to an external party),
// composed once for every way in: the CLI (`requests reply|forward`) and the HTTP API
// (`POST /api/requests/{id}/reply|forward`). Composing goes through templates::compose (no
// header injection, threading headers, the request tag); queueing is storage's
// queue_agent_mail, which the caller runs.

#include "hd/common/config.hpp"
#include "hd/common/error.hpp"
#include "hd/storage/outbox.hpp"
#include "hd/storage/store.hpp"
#include "hd/templates/compose.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hd::daemon {

struct agent_mail_request {
  bool forward = false;
  std::string to;               ///< forward: the external party's address
  std::vector<std::string> cc;  ///< further visible recipients (addresses)
  std::string text;             ///< the agent's words (with a template: its {{text}})
  std::string template_name;    ///< reply only: render this reply template
  std::vector<templates::attachment_part> attachments{};  ///< files sent with it
};

struct agent_mail {
  storage::outgoing_mail mail;  ///< ready for storage::queue_agent_mail
  std::string to;               ///< the main recipient
  std::string template_name;    ///< empty without a template
  std::string language;         ///< the template's language; empty without a template
};

enum class agent_mail_errc {
  empty,           ///< no text and no template
  no_template,     ///< the named reply template does not exist
  cannot_compose,  ///< an address or header cannot be written safely
  too_large,       ///< the attachments are over [outgoing] max_attachments_bytes
};

/// Composes the mail LOGIN writes at NOW about the request FACTS describes. The language of a
/// template is chosen as for acknowledgements (the person's, else detected from their last
/// mail, else the mailbox's). The signature of a [[user]] is added to a mail without template.
result<agent_mail, agent_mail_errc> compose_agent_mail(const config& cfg,
                                                       const storage::reply_facts& facts,
                                                       const std::string& login, std::int64_t now,
                                                       const agent_mail_request& r);

/// Every attachment of request ID, each file once (by content), as a forward sends them.
result<std::vector<templates::attachment_part>, storage::errc> request_files(storage::store& db,
                                                                             std::int64_t id);

}  // namespace hd::daemon
