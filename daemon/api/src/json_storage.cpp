// JSON renderings of storage's read models, shared by the CLI and the HTTP API.
#include "hd/api/json.hpp"

namespace hd::daemon {
namespace {

using json = nlohmann::ordered_json;

template <class T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json opt_time(const std::optional<std::int64_t>& t) {
  return t ? json(iso8601(*t)) : json(nullptr);
}

json addresses(const std::vector<address>& v) {
  json a = json::array();
  for (const address& x : v) a.push_back({{"name", x.name}, {"address", x.addr}});
  return a;
}

json to_json(const storage::message_detail& m) {
  json atts = json::array();
  for (const storage::attachment_info& a : m.attachments) atts.push_back(daemon::to_json(a));
  return {{"id", m.id},
          {"direction", m.direction},
          {"message_id", opt(m.message_id)},
          {"from", {{"name", m.from_name}, {"address", m.from_address}}},
          {"to", addresses(m.to)},
          {"cc", addresses(m.cc)},
          {"subject", m.subject},
          {"date", opt_time(m.sent_at)},
          {"stored_at", iso8601(m.created_at)},
          {"author", m.author.empty() ? json(nullptr) : json(m.author)},
          {"text", m.body_text},
          {"html", opt(m.body_html)},
          {"flagged", m.flagged},
          {"attachments", atts},
          {"defects", m.defects}};
}

json company_ref(std::optional<std::int64_t> id, const std::string& name) {
  return id ? json{{"id", *id}, {"name", name}} : json(nullptr);
}

}  // namespace

json to_json(const storage::attachment_info& a) {
  return {{"message", a.message_id},      {"position", a.position},
          {"filename", a.filename},       {"content_type", a.content_type},
          {"disposition", a.disposition}, {"content_id", opt(a.content_id)},
          {"sha256", a.sha256},           {"size", a.size}};
}

json to_json(const storage::request_detail& d) {
  json j = to_json(d.summary);
  j["person"] = {{"id", d.summary.person_id},
                 {"name", d.summary.person_name},
                 {"address", d.summary.person_address},
                 {"addresses", d.person_addresses}};
  j["company"] = company_ref(d.company_id, d.summary.company);
  j["closed_at"] = opt_time(d.closed_at);
  j["postponed_until"] = opt_time(d.postponed_until);
  j["first_response_due"] = opt_time(d.first_response_due);
  j["resolution_due"] = opt_time(d.resolution_due);
  j["merged_into"] = opt(d.merged_into);
  j["linked_to"] = opt(d.linked_to);
  j["follow_ups"] = d.follow_ups;
  j["tags"] = d.tags;
  json msgs = json::array();
  for (const storage::message_detail& m : d.messages) msgs.push_back(to_json(m));
  j["messages"] = msgs;
  json events = json::array();
  for (const storage::event_info& e : d.events) {
    events.push_back({{"id", e.id},
                      {"at", iso8601(e.at)},
                      {"actor", e.actor},
                      {"kind", e.kind},
                      {"detail", e.detail}});
  }
  j["events"] = events;
  return j;
}

json to_json(const storage::search_hit& h) {
  json j = to_json(h.request);
  j["match"] = {{"message", h.message_id}, {"snippet", h.snippet}, {"score", h.score}};
  return j;
}

json to_json(const storage::person_summary& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"addresses", p.addresses},
          {"company", company_ref(p.company_id, p.company)},
          {"requests", p.request_count},
          {"created_at", iso8601(p.created_at)}};
}

json to_json(const storage::person_detail& p) {
  json j = to_json(p.person);
  j["language"] = opt(p.language);
  json reqs = json::array();
  for (const auto& r : p.requests) reqs.push_back(to_json(r));
  j["requests"] = reqs;
  return j;
}

json to_json(const storage::company_summary& c) {
  return {{"id", c.id},
          {"name", c.name},
          {"domains", c.domains},
          {"category", c.category},
          {"industry", c.industry},
          {"persons", c.person_count},
          {"requests", c.request_count},
          {"created_at", iso8601(c.created_at)}};
}

json to_json(const storage::company_detail& c) {
  json j = to_json(c.company);
  json persons = json::array();
  for (const auto& p : c.persons) persons.push_back(to_json(p));
  j["persons"] = persons;
  json reqs = json::array();
  for (const auto& r : c.requests) reqs.push_back(to_json(r));
  j["requests"] = reqs;
  return j;
}

json to_json(const storage::quarantine_entry& q) {
  return {{"id", q.id},
          {"reason", q.reason},
          {"created_at", iso8601(q.created_at)},
          {"resolved_at", opt_time(q.resolved_at)},
          {"resolution", opt(q.resolution)},
          {"size", q.size},
          {"sha256", q.sha256},
          {"purged", q.purged},
          {"mailbox", q.source.mailbox},
          {"folder", opt(q.source.folder)},
          {"uidvalidity", opt(q.source.uidvalidity)},
          {"uid", opt(q.source.uid)}};
}

nlohmann::ordered_json to_json(const storage::queue_item& q) {
  return {{"id", q.id},
          {"title", q.title},
          {"status", q.status},
          {"priority", q.priority},
          {"category", q.category},
          {"owner",
           q.owner.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(q.owner)},
          {"person", q.person},
          {"created_at", iso8601(q.created_at)},
          {"postponed_until", opt_time(q.postponed_until)},
          {"first_response_due", opt_time(q.first_response_due)},
          {"resolution_due", opt_time(q.resolution_due)},
          {"overdue", q.overdue},
          {"favourite", q.favourite}};
}

nlohmann::ordered_json to_json(const std::vector<storage::queue_item>& v) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const auto& q : v) a.push_back(to_json(q));
  return a;
}

}  // namespace hd::daemon
