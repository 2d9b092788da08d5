#include "hd/daemon/smtp.hpp"

#include "hd/templates/compose.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace hd::daemon {
namespace {

constexpr int claim_batch = 50;
constexpr std::size_t max_reply_bytes = 512;

struct slist_deleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
struct easy_deleter {
  void operator()(CURL* e) const { curl_easy_cleanup(e); }
};
struct multi_deleter {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};

std::string one_line(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, max_reply_bytes)) {
    out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

bool safe_helo(std::string_view name) {
  return !name.empty() && name.size() < 256 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
  });
}

}  // namespace

struct smtp_transfer::state {
  std::int64_t id = 0;
  std::string bytes;
  std::size_t offset = 0;
  std::unique_ptr<CURL, easy_deleter> easy;
  std::unique_ptr<curl_slist, slist_deleter> rcpts;
  std::string last_reply;  // the server's last reply line
  char error[CURL_ERROR_SIZE] = {};

  static size_t read(char* buf, size_t size, size_t n, void* user) {
    auto* s = static_cast<state*>(user);
    std::size_t len = std::min(size * n, s->bytes.size() - s->offset);
    std::memcpy(buf, s->bytes.data() + s->offset, len);
    s->offset += len;
    return len;
  }

  // Keeps the server's replies (CURLINFO_HEADER_IN) for the outcome; nothing else is looked
  // at, and nothing goes to stderr.
  static int debug(CURL*, curl_infotype type, char* data, size_t size, void* user) {
    if (type != CURLINFO_HEADER_IN) return 0;
    auto* s = static_cast<state*>(user);
    std::string line = one_line(std::string_view(data, size));
    if (!line.empty()) s->last_reply = std::move(line);
    return 0;
  }
};

send_outcome classify_smtp(int curl_code, long response_code, std::string_view last_reply,
                           std::string_view curl_error) {
  std::string reply = !last_reply.empty() ? std::string(last_reply)
                      : !curl_error.empty()
                          ? std::string(curl_error)
                          : std::string(curl_easy_strerror(static_cast<CURLcode>(curl_code)));
  if (curl_code == CURLE_OK) return {delivery::sent, reply};
  if (curl_code == CURLE_LOGIN_DENIED) return {delivery::temporary, reply};
  if (response_code >= 500 && response_code <= 599) return {delivery::permanent, reply};
  if (!last_reply.empty() && last_reply.front() == '5' && response_code == 0) {
    return {delivery::permanent, reply};
  }
  if (!curl_error.empty() && reply != curl_error) reply += " (" + std::string(curl_error) + ")";
  return {delivery::temporary, reply};
}

std::string smtp_url(const smtp_config& cfg) {
  std::string host = cfg.host.find(':') != std::string::npos ? "[" + cfg.host + "]" : cfg.host;
  std::string helo = safe_helo(cfg.helo_name) ? cfg.helo_name : "localhost";
  return fmt::format("{}://{}:{}/{}", cfg.tls == tls_mode::implicit ? "smtps" : "smtp", host,
                     cfg.port, helo);
}

result<smtp_transfer, smtp_errc> smtp_transfer::make(const smtp_config& cfg,
                                                     const storage::outbox_item& item) {
  // An empty envelope sender is the null reverse-path <> (a redirected bounce).
  if (!item.mail_from.empty() && !templates::is_safe_addr_spec(item.mail_from)) {
    return fail(smtp_errc::bad_envelope, "the envelope sender is not a plain address");
  }
  if (item.recipients.empty()) return fail(smtp_errc::bad_envelope, "no recipients");
  auto s = std::make_unique<state>();
  s->id = item.id;
  s->bytes = item.bytes;
  for (const std::string& r : item.recipients) {
    // The envelope goes into RCPT TO:<...> as-is: only a plain addr-spec may, never CR/LF.
    if (!templates::is_safe_addr_spec(r)) {
      return fail(smtp_errc::bad_envelope, "a recipient is not a plain address");
    }
    curl_slist* l = curl_slist_append(s->rcpts.get(), ("<" + r + ">").c_str());
    if (l == nullptr) return fail(smtp_errc::curl, "out of memory");
    s->rcpts.release();
    s->rcpts.reset(l);
  }
  s->easy.reset(curl_easy_init());
  CURL* e = s->easy.get();
  if (e == nullptr) return fail(smtp_errc::curl, "curl_easy_init failed");
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption o, auto v) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(e, o, v);
  };
  set(CURLOPT_URL, smtp_url(cfg).c_str());
  set(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_USE_SSL, cfg.tls == tls_mode::none ? static_cast<long>(CURLUSESSL_NONE)
                                                 : static_cast<long>(CURLUSESSL_ALL));
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  if (!cfg.ca_file.empty()) set(CURLOPT_CAINFO, cfg.ca_file.c_str());
  if (!cfg.user.empty()) {
    set(CURLOPT_USERNAME, cfg.user.c_str());
    set(CURLOPT_PASSWORD, cfg.password.reveal().c_str());
  }
  set(CURLOPT_MAIL_FROM, ("<" + item.mail_from + ">").c_str());
  set(CURLOPT_MAIL_RCPT, s->rcpts.get());
  set(CURLOPT_UPLOAD, 1L);
  set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(s->bytes.size()));
  set(CURLOPT_READFUNCTION, &state::read);
  set(CURLOPT_READDATA, s.get());
  set(CURLOPT_CONNECTTIMEOUT, static_cast<long>(cfg.timeout_s));
  set(CURLOPT_SERVER_RESPONSE_TIMEOUT, static_cast<long>(cfg.timeout_s));
  set(CURLOPT_LOW_SPEED_LIMIT, 1L);
  set(CURLOPT_LOW_SPEED_TIME, static_cast<long>(cfg.timeout_s));
  set(CURLOPT_ERRORBUFFER, s->error);
  set(CURLOPT_DEBUGFUNCTION, &state::debug);
  set(CURLOPT_DEBUGDATA, s.get());
  set(CURLOPT_VERBOSE, 1L);  // only to feed DEBUGFUNCTION the server's replies
  set(CURLOPT_PRIVATE, s.get());
  if (rc != CURLE_OK) {
    return fail(smtp_errc::curl, fmt::format("curl option: {}", curl_easy_strerror(rc)));
  }
  return smtp_transfer(std::move(s));
}

smtp_transfer::smtp_transfer(std::unique_ptr<state> s) : s_(std::move(s)) {}
smtp_transfer::smtp_transfer(smtp_transfer&&) noexcept = default;
smtp_transfer& smtp_transfer::operator=(smtp_transfer&&) noexcept = default;
smtp_transfer::~smtp_transfer() = default;

void* smtp_transfer::easy_handle() const { return s_ ? s_->easy.get() : nullptr; }
std::int64_t smtp_transfer::outbox_id() const { return s_ ? s_->id : 0; }

send_outcome smtp_transfer::outcome(int curl_code) const {
  long response = 0;
  curl_easy_getinfo(s_->easy.get(), CURLINFO_RESPONSE_CODE, &response);
  return classify_smtp(curl_code, response, s_->last_reply, s_->error);
}

recorded record_result(const config& cfg, storage::store& db, const storage::outbox_item& item,
                       const send_outcome& o, std::int64_t now) {
  recorded r;
  auto note = [&](const auto& res) {
    if (!res) {
      r.ok = false;
      r.db_error = res.error().message;
    }
  };
  if (o.kind == delivery::sent) {
    note(storage::mark_sent(db, item.id, now, o.reply));
  } else if (o.kind == delivery::temporary) {
    auto gave_up = storage::mark_deferred(db, item.id, now, o.reply, storage::retry_policy{});
    note(gave_up);
    r.gave_up = gave_up && *gave_up;
  } else {
    note(storage::mark_failed(db, item.id, now, o.reply));
    std::int64_t until = now + std::int64_t{cfg.ack.bounce_suppress_days} * 86400;
    for (const std::string& rcpt : item.recipients) {
      (void)storage::suppress_address(db, rcpt, "rejected by the SMTP server: " + o.reply, until,
                                      now);
    }
  }
  return r;
}

void log_result(const logger& log, const storage::outbox_item& item, const send_outcome& o,
                const recorded& r) {
  std::string rcpt = item.recipients.empty() ? std::string() : item.recipients.front();
  std::int64_t request = item.request_id.value_or(0);
  if (o.kind == delivery::sent) {
    log.info("outbox.sent", {{"outbox", item.id}, {"request", request}, {"to", rcpt}});
  } else if (o.kind == delivery::temporary) {
    log.warn(r.gave_up ? "outbox.gave_up" : "outbox.deferred",
             {{"outbox", item.id}, {"request", request}, {"to", rcpt}, {"reply", o.reply}});
  } else {
    log.error("outbox.failed",
              {{"outbox", item.id}, {"request", request}, {"to", rcpt}, {"reply", o.reply}});
  }
  if (!r.ok) log.error("outbox.record_failed", {{"outbox", item.id}, {"reason", r.db_error}});
}

void record_outcome(const config& cfg, storage::store& db, const logger& log,
                    const storage::outbox_item& item, const send_outcome& o, std::int64_t now) {
  log_result(log, item, o, record_result(cfg, db, item, o, now));
}

namespace {

// One batch of claimed items through one multi handle, until every transfer is done.
void send_batch(const config& cfg, storage::store& db, const logger& log,
                std::vector<storage::outbox_item>& items, std::int64_t now, drain_stats& st) {
  std::unique_ptr<CURLM, multi_deleter> multi(curl_multi_init());
  curl_multi_setopt(multi.get(), CURLMOPT_MAX_TOTAL_CONNECTIONS,
                    static_cast<long>(cfg.smtp->max_parallel));
  std::vector<std::pair<smtp_transfer, const storage::outbox_item*>> live;
  for (const storage::outbox_item& it : items) {
    auto t = smtp_transfer::make(*cfg.smtp, it);
    if (!t) {
      send_outcome o{
          t.error().code == smtp_errc::bad_envelope ? delivery::permanent : delivery::temporary,
          t.error().message};
      record_outcome(cfg, db, log, it, o, now);
      (o.kind == delivery::permanent ? st.failed : st.deferred)++;
      continue;
    }
    curl_multi_add_handle(multi.get(), t->easy_handle());
    live.emplace_back(std::move(*t), &it);
  }
  int running = 1;
  while (running > 0) {
    if (curl_multi_perform(multi.get(), &running) != CURLM_OK) break;
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi.get(), &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      for (auto& [t, it] : live) {
        if (t.easy_handle() != msg->easy_handle) continue;
        send_outcome o = t.outcome(msg->data.result);
        record_outcome(cfg, db, log, *it, o, now);
        (o.kind == delivery::sent        ? st.sent
         : o.kind == delivery::permanent ? st.failed
                                         : st.deferred)++;
      }
    }
    if (running > 0) curl_multi_poll(multi.get(), nullptr, 0, 1000, nullptr);
  }
  for (auto& [t, it] : live) curl_multi_remove_handle(multi.get(), t.easy_handle());
}

}  // namespace

drain_stats drain_outbox(const config& cfg, storage::store& db, const logger& log,
                         std::int64_t now) {
  drain_stats st;
  if (!cfg.smtp) {
    log.warn("outbox.no_smtp", {{"reason", "no [smtp] section: nothing is sent"}});
    return st;
  }
  // A transfer cannot outlive several timeouts: anything claimed longer ago was interrupted.
  int stale_after = std::max(600, 10 * cfg.smtp->timeout_s);
  if (auto r = storage::recover_stale_sending(db, now, stale_after); r && *r > 0) {
    st.recovered = *r;
    log.warn("outbox.recovered", {{"count", *r}});
  }
  for (;;) {
    auto items = storage::claim_outbox(db, now, claim_batch);
    if (!items) {
      log.error("outbox.claim_failed", {{"reason", items.error().message}});
      break;
    }
    if (items->empty()) break;
    st.attempted += static_cast<int>(items->size());
    send_batch(cfg, db, log, *items, now, st);
  }
  return st;
}

}  // namespace hd::daemon
