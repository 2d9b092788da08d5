// /api/requests...: list, show, search, create and every workflow action. Each action runs the
// storage verb the CLI runs (and compose_agent_mail for mail), with the caller as the actor.
#include "api_impl.hpp"
#include "hd/api/json.hpp"
#include "hd/intake/agent_mail.hpp"
#include "hd/storage/agent_state.hpp"
#include "hd/storage/outbox.hpp"
#include "hd/storage/requests.hpp"
#include "hd/storage/workflow.hpp"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <set>

namespace hd::daemon::api_detail {
namespace {

// "2026-12-04T10:00:00Z", "...+01:00", "2026-12-04T10:00Z", "2026-12-04", or seconds.
std::optional<std::int64_t> parse_time(const json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (!v.is_string()) return std::nullopt;
  std::string s = v.get<std::string>();
  std::tm tm{};
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, n = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return std::nullopt;
  std::string_view rest = std::string_view(s).substr(10);
  std::int64_t offset = 0;
  if (!rest.empty()) {
    if (rest[0] != 'T' && rest[0] != ' ') return std::nullopt;
    int m = 0;
    std::string r(rest.substr(1));
    if (std::sscanf(r.c_str(), "%2d:%2d:%2d%n", &h, &mi, &sec, &m) == 3 && m == 8) {
    } else if (std::sscanf(r.c_str(), "%2d:%2d%n", &h, &mi, &m) == 2 && m == 5) {
    } else {
      return std::nullopt;
    }
    std::string_view zone = std::string_view(r).substr(static_cast<std::size_t>(m));
    if (zone == "Z" || zone.empty()) {
    } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
      auto zh = to_int(zone.substr(1, 2)), zm = to_int(zone.substr(4, 2));
      if (!zh || !zm) return std::nullopt;
      offset = (*zh * 3600 + *zm * 60) * (zone[0] == '+' ? 1 : -1);
    } else {
      return std::nullopt;
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return static_cast<std::int64_t>(timegm(&tm)) - offset;
}

std::optional<storage::request_sort> sort_of(std::string_view s) {
  if (s == "id") return storage::request_sort::id;
  if (s == "created") return storage::request_sort::created;
  if (s == "updated") return storage::request_sort::updated;
  if (s == "priority") return storage::request_sort::priority;
  if (s == "deadline") return storage::request_sort::deadline;
  return std::nullopt;
}

http::response list_requests(context& cx) {
  storage::request_filter f;
  f.limit = default_page;
  const http::request& q = cx.req;
  auto text = [&](const char* name, std::optional<std::string>& out) {
    if (auto v = q.param(name)) out = std::string(*v);
  };
  text("status", f.status);
  text("category", f.category);
  text("owner", f.owner);
  text("priority", f.priority);
  text("tag", f.tag);
  if (f.owner && *f.owner == "me") f.owner = cx.who->login;
  if (f.status && *f.status == "all") f.status.reset();
  if (q.param("unassigned") == "true") f.unassigned = true;
  if (q.param("flagged") == "true") f.flagged = true;
  if (q.param("favourite") == "true") f.favourite_of = cx.who->login;
  if (q.param("overdue") == "true") f.overdue_at = cx.now;
  for (const char* name : {"person", "company", "limit", "cursor"}) {
    auto v = q.param(name);
    if (!v) continue;
    std::optional<std::int64_t> n = to_int(*v);
    if (!n || *n < 0) return fail(400, "bad_parameter", fmt::format("{} must be a number", name));
    if (std::string_view(name) == "person") f.person = *n;
    if (std::string_view(name) == "company") f.company = *n;
    if (std::string_view(name) == "limit")
      f.limit = static_cast<int>(std::clamp<std::int64_t>(*n, 1, max_page));
    if (std::string_view(name) == "cursor") f.offset = *n;
  }
  if (auto v = q.param("updated_since")) {
    std::optional<std::int64_t> t = parse_time(json(std::string(*v)));
    if (!t) return fail(400, "bad_parameter", "updated_since must be an ISO 8601 time");
    f.updated_since = t;
  }
  if (auto v = q.param("sort")) {
    std::string_view s = *v;
    if (s.starts_with('-')) {
      f.descending = true;
      s.remove_prefix(1);
    }
    std::optional<storage::request_sort> k = sort_of(s);
    if (!k)
      return fail(400, "bad_parameter",
                  "sort is one of id, created, updated, priority, deadline (- for descending)");
    f.sort = *k;
  }
  auto total = cx.db.count_requests(f);
  if (!total) return storage_failure(cx, total.error());
  auto rows = cx.db.list_requests(f);
  if (!rows) return storage_failure(cx, rows.error());
  json list = json::array();
  for (const auto& r : *rows) list.push_back(to_json(r));
  mark_unread(cx, list);
  std::int64_t end = f.offset + static_cast<std::int64_t>(rows->size());
  bool more = end < *total && !rows->empty();
  return ok(json{{"requests", list},
                 {"total", *total},
                 {"next", more ? json(next_link(q, end)) : json(nullptr)}});
}

http::response with_etag(http::response r, std::int64_t id, std::int64_t version) {
  r.headers.emplace_back("ETag", etag(id, version));
  return r;
}

http::response show_request(context& cx) {
  std::optional<std::int64_t> id = cx.id_arg(0);
  if (!id) return fail(404, "not_found", "there is no such request");
  auto v = storage::request_version(cx.db, *id);
  if (!v) return storage_failure(cx, v.error());
  auto d = storage::show_request(cx.db, *id);
  if (!d) return storage_failure(cx, d.error());
  json j = to_json(*d);
  j["version"] = *v;
  auto fav = storage::is_favourite(cx.db, cx.who->login, *id);
  if (!fav) return storage_failure(cx, fav.error());
  j["favourite"] = *fav;
  return with_etag(ok(j), *id, *v);
}

// The answer to a successful action: what was done, and the request's new ETag.
http::response done(context& cx, std::string_view action, std::int64_t id,
                    json extra = json::object()) {
  auto v = storage::request_version(cx.db, id);
  if (!v) return storage_failure(cx, v.error());
  json j{{"ok", true}, {"action", action}, {"request", id}, {"version", *v}};
  j.update(extra);
  return with_etag(ok(j), id, *v);
}

template <class R>
http::response finish(context& cx, std::string_view action, std::int64_t id, const R& r,
                      json extra = json::object()) {
  if (!r) return storage_failure(cx, r.error());
  return done(cx, action, id, std::move(extra));
}

// Reads the body and the request id of an action; false after setting ERR.
struct action_input {
  std::int64_t id = 0;
  json body;
};
std::optional<action_input> input(context& cx, http::response& err) {
  std::optional<std::int64_t> id = cx.id_arg(0);
  if (!id) {
    err = fail(404, "not_found", "there is no such request");
    return std::nullopt;
  }
  std::optional<json> b = body_object(cx, err);
  if (!b) return std::nullopt;
  return action_input{*id, std::move(*b)};
}

std::optional<std::string> str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

#define HD_ACTION_INPUT(in)                         \
  http::response err_;                              \
  std::optional<action_input> in = input(cx, err_); \
  if (!in) return err_

http::response accept(context& cx) {
  HD_ACTION_INPUT(in);
  bool force = in->body.value("force", false);
  return finish(cx, "accepted", in->id, storage::accept_request(cx.db, in->id, cx.acting(), force));
}

http::response assign(context& cx) {
  HD_ACTION_INPUT(in);
  std::optional<std::string> to = str(in->body, "to");
  if (!to) return fail(422, "invalid", "give \"to\": the new owner's login (\"\" to unassign)");
  return finish(cx, "assigned", in->id, storage::assign_request(cx.db, in->id, *to, cx.acting()));
}

http::response transfer(context& cx) {
  HD_ACTION_INPUT(in);
  std::optional<std::string> to = str(in->body, "to");
  if (!to || to->empty()) return fail(422, "invalid", "give \"to\": the colleague's login");
  return finish(cx, "transferred", in->id,
                storage::transfer_request(cx.db, in->id, *to, str(in->body, "note").value_or(""),
                                          cx.acting()));
}

http::response note(context& cx) {
  HD_ACTION_INPUT(in);
  std::optional<std::string> text = str(in->body, "text");
  if (!text || text->find_first_not_of(" \t\r\n") == std::string::npos)
    return fail(422, "invalid", "give \"text\": the note");
  auto r = storage::add_note(cx.db, in->id, *text, cx.acting());
  return finish(cx, "noted", in->id, r, r ? json{{"message", *r}} : json::object());
}

http::response close(context& cx) {
  HD_ACTION_INPUT(in);
  return finish(cx, "closed", in->id, storage::close_request(cx.db, in->id, cx.acting()));
}

http::response reopen(context& cx) {
  HD_ACTION_INPUT(in);
  return finish(cx, "reopened", in->id, storage::reopen_request(cx.db, in->id, cx.acting()));
}

http::response postpone(context& cx) {
  HD_ACTION_INPUT(in);
  std::optional<std::int64_t> until;
  if (auto it = in->body.find("until"); it != in->body.end()) until = parse_time(*it);
  if (!until)
    return fail(422, "invalid", "give \"until\": an ISO 8601 time (2026-12-24T09:00:00+01:00)");
  return finish(cx, "postponed", in->id,
                storage::postpone_request(cx.db, in->id, *until, cx.acting()),
                {{"until", iso8601(*until)}});
}

std::vector<std::string> strings(const json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const json& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

http::response set(context& cx) {
  HD_ACTION_INPUT(in);
  storage::request_changes c;
  c.title = str(in->body, "title");
  c.priority = str(in->body, "priority");
  c.category = str(in->body, "category");
  c.add_tags = strings(in->body, "add_tags");
  c.remove_tags = strings(in->body, "remove_tags");
  return finish(cx, "updated", in->id, storage::set_request(cx.db, in->id, c, cx.acting()));
}

http::response flag(context& cx) {
  HD_ACTION_INPUT(in);
  auto m = in->body.find("message");
  if (m == in->body.end() || !m->is_number_integer())
    return fail(422, "invalid", "give \"message\": the id of a message of the request");
  bool on = in->body.value("on", true);
  // The message must be one of this request's: the route names the request (and its ETag).
  auto d = storage::show_request(cx.db, in->id);
  if (!d) return storage_failure(cx, d.error());
  std::int64_t message = m->get<std::int64_t>();
  if (std::none_of(d->messages.begin(), d->messages.end(),
                   [&](const storage::message_detail& x) { return x.id == message; })) {
    return fail(422, "invalid",
                fmt::format("message {} is not a message of request #{}", message, in->id));
  }
  return finish(cx, on ? "flagged" : "unflagged", in->id,
                storage::flag_message(cx.db, message, on, cx.acting()));
}

http::response favourite(context& cx) {
  HD_ACTION_INPUT(in);
  bool on = in->body.value("on", true);
  return finish(cx, on ? "favourite" : "unfavourite", in->id,
                storage::favourite_request(cx.db, in->id, on, cx.acting()));
}

http::response merge(context& cx) {
  HD_ACTION_INPUT(in);
  auto into = in->body.find("into");
  if (into == in->body.end() || !into->is_number_integer())
    return fail(422, "invalid", "give \"into\": the id of the request to merge into");
  return finish(cx, "merged", in->id,
                storage::merge_request(cx.db, in->id, into->get<std::int64_t>(), cx.acting()));
}

http::response split(context& cx) {
  HD_ACTION_INPUT(in);
  std::vector<std::int64_t> ids;
  if (auto it = in->body.find("messages"); it != in->body.end() && it->is_array()) {
    for (const json& v : *it) {
      if (v.is_number_integer()) ids.push_back(v.get<std::int64_t>());
    }
  }
  if (ids.empty())
    return fail(422, "invalid", "give \"messages\": the ids of the messages to move");
  auto r = storage::split_request(cx.db, in->id, ids, cx.acting());
  return finish(cx, "split", in->id, r, r ? json{{"new_request", *r}} : json::object());
}

// reply / forward: composed by compose_agent_mail (as the CLI does) and queued. With an
// Idempotency-Key the whole action runs once per key and caller: a retry gets the same answer.
// The files of a reply or forward: "attachments" is a list of uploads ({"filename",
// "content_type", "data": base64}) and of the request's stored attachments ({"message",
// "position"}). A forward without the field takes every attachment of the request (each file
// once). nullopt when they are usable, else the answer.
std::optional<http::response> files_of(context& cx, const json& body, std::int64_t request,
                                       bool forward, std::vector<templates::attachment_part>& out) {
  auto list = body.find("attachments");
  if (list == body.end() && !forward) return std::nullopt;
  if (list != body.end() && !list->is_array())
    return fail(422, "invalid", "\"attachments\" is a list");
  std::vector<storage::attachment_data> stored;
  bool need_stored = false;
  if (list != body.end()) {
    for (const json& a : *list)
      need_stored = need_stored || (a.is_object() && a.contains("message"));
  }
  if (need_stored) {
    auto s = storage::request_attachments(cx.db, request);
    if (!s) return storage_failure(cx, s.error());
    stored = std::move(*s);
  }
  if (list == body.end()) {
    auto all = request_files(cx.db, request);
    if (!all) return storage_failure(cx, all.error());
    out = std::move(*all);
    return std::nullopt;
  }
  for (const json& a : *list) {
    if (!a.is_object()) return fail(422, "invalid", "each attachment is an object");
    if (a.contains("message")) {
      auto m = a.find("message"), p = a.find("position");
      if (!m->is_number_integer() || p == a.end() || !p->is_number_integer())
        return fail(422, "invalid", "a stored attachment is {\"message\": ID, \"position\": N}");
      auto it = std::find_if(stored.begin(), stored.end(), [&](const storage::attachment_data& d) {
        return d.info.message_id == m->get<std::int64_t>() && d.info.position == p->get<int>();
      });
      if (it == stored.end())
        return fail(422, "invalid", "that attachment is not one of this request's");
      out.push_back({it->info.filename, it->info.content_type, it->bytes});
      continue;
    }
    auto name = a.find("filename"), type = a.find("content_type"), data = a.find("data");
    if (name == a.end() || !name->is_string() || data == a.end() || !data->is_string() ||
        (type != a.end() && !type->is_string()))
      return fail(422, "invalid",
                  "an upload is {\"filename\": ..., \"content_type\": ..., \"data\": BASE64}");
    const std::string& b64 = data->get_ref<const std::string&>();
    std::string bytes(b64.size() / 4 * 3 + 3, '\0');
    std::size_t len = 0;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), b64.data(),
                          b64.size(), " \r\n", &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
      return fail(422, "invalid", "an upload's data is not base64");
    bytes.resize(len);
    out.push_back({name->get<std::string>(),
                   type == a.end() ? "application/octet-stream" : type->get<std::string>(),
                   std::move(bytes)});
  }
  return std::nullopt;
}

http::response mail(context& cx, bool forward) {
  HD_ACTION_INPUT(in);
  auto run = [&]() -> http::response {
    auto facts = storage::reply_facts_of(cx.db, in->id);
    if (!facts) return storage_failure(cx, facts.error());
    agent_mail_request r;
    r.forward = forward;
    r.to = str(in->body, "to").value_or("");
    r.cc = strings(in->body, "cc");
    r.text = str(in->body, "text").value_or("");
    r.template_name = str(in->body, "template").value_or("");
    if (forward && r.to.empty())
      return fail(422, "invalid", "give \"to\": the address to forward to");
    if (auto bad = files_of(cx, in->body, in->id, forward, r.attachments)) return *bad;
    auto m = compose_agent_mail(cx.cfg, *facts, cx.who->login, cx.now, r);
    if (!m && m.error().code == agent_mail_errc::too_large)
      return fail(413, "too_large", m.error().message);
    if (!m) return fail(422, "invalid", m.error().message);
    auto id = storage::queue_agent_mail(cx.db, in->id, m->mail, cx.acting());
    auto opt = [](const std::string& v) { return v.empty() ? json(nullptr) : json(v); };
    return finish(cx, forward ? "forwarded" : "replied", in->id, id,
                  id ? json{{"outbox", *id},
                            {"to", m->to},
                            {"message_id", m->mail.message_id},
                            {"attachments", r.attachments.size()},
                            {"template", opt(m->template_name)},
                            {"language", opt(m->language)}}
                     : json::object());
  };
  std::optional<std::string_view> key = cx.req.header("idempotency-key");
  if (!key) return run();
  if (key->empty() || key->size() > 200)
    return fail(400, "bad_idempotency_key", "Idempotency-Key must be 1 to 200 characters");
  http::response answer;
  bool ran = false;
  auto a = storage::once(cx.db, cx.who->login, std::string(*key), cx.now,
                         [&]() -> storage::idempotent_answer {
                           answer = run();
                           ran = true;
                           return {answer.status, answer.body};
                         });
  if (!a) return storage_failure(cx, a.error());
  if (ran) return answer;
  http::response replayed;
  replayed.status = a->status;
  replayed.body = a->body;
  replayed.headers.emplace_back("Idempotent-Replayed", "true");
  return replayed;
}

http::response reply(context& cx) { return mail(cx, false); }
http::response forward(context& cx) { return mail(cx, true); }

http::response create(context& cx) {
  http::response err;
  std::optional<json> b = body_object(cx, err);
  if (!b) return err;
  storage::new_request r;
  r.person_address = str(*b, "person_address").value_or("");
  r.person_name = str(*b, "person_name").value_or("");
  r.title = str(*b, "title").value_or("");
  r.text = str(*b, "text").value_or("");
  r.category = str(*b, "category").value_or("");
  r.priority = str(*b, "priority").value_or("");
  if (r.person_address.empty() || r.title.empty())
    return fail(422, "invalid", "give \"person_address\" and \"title\"");
  auto id = storage::create_request(cx.db, r, cx.acting());
  if (!id) return storage_failure(cx, id.error());
  http::response res = done(cx, "created", *id);
  res.status = 201;
  res.headers.emplace_back("Location", fmt::format("/api/requests/{}", *id));
  return res;
}

http::response search(context& cx) {
  std::optional<std::string_view> q = cx.req.param("q");
  if (!q || q->empty()) return fail(400, "bad_parameter", "give q: the words to search for");
  storage::search_options o;
  o.literal = cx.req.param("syntax") != "fts";
  if (auto l = cx.req.param("limit")) {
    std::optional<std::int64_t> n = to_int(*l);
    if (!n || *n < 1) return fail(400, "bad_parameter", "limit must be a positive number");
    o.limit = static_cast<int>(std::min<std::int64_t>(*n, max_page));
  }
  auto hits = storage::search_requests(cx.db, *q, o);
  if (!hits) return storage_failure(cx, hits.error());
  json list = json::array();
  for (const auto& h : *hits) list.push_back(to_json(h));
  return ok(json{{"query", *q}, {"results", list}});
}

}  // namespace

std::vector<route> request_routes() {
  return {
      {{"GET", "/api/requests", access::read}, list_requests},
      {{"POST", "/api/requests", access::write}, create},
      {{"GET", "/api/requests/{id}", access::read}, show_request},
      {{"POST", "/api/requests/{id}/accept", access::write}, accept},
      {{"POST", "/api/requests/{id}/assign", access::write}, assign},
      {{"POST", "/api/requests/{id}/transfer", access::write}, transfer},
      {{"POST", "/api/requests/{id}/note", access::write}, note},
      {{"POST", "/api/requests/{id}/close", access::write}, close},
      {{"POST", "/api/requests/{id}/reopen", access::write}, reopen},
      {{"POST", "/api/requests/{id}/postpone", access::write}, postpone},
      {{"POST", "/api/requests/{id}/set", access::write}, set},
      {{"POST", "/api/requests/{id}/flag", access::write}, flag},
      {{"POST", "/api/requests/{id}/favourite", access::write}, favourite},
      {{"POST", "/api/requests/{id}/merge", access::write}, merge},
      {{"POST", "/api/requests/{id}/split", access::write}, split},
      {{"POST", "/api/requests/{id}/reply", access::write}, reply},
      {{"POST", "/api/requests/{id}/forward", access::write}, forward},
      {{"GET", "/api/search", access::read}, search},
  };
}

}  // namespace hd::daemon::api_detail
