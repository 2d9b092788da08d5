#include "hd/api/json.hpp"

#include <fmt/chrono.h>

#include <ctime>

namespace hd::daemon {
namespace {

nlohmann::ordered_json to_json(const address& a) { return {{"name", a.name}, {"address", a.addr}}; }

nlohmann::ordered_json addresses(const std::vector<address>& v) {
  nlohmann::ordered_json a = nlohmann::ordered_json::array();
  for (const address& x : v) a.push_back(to_json(x));
  return a;
}

template <class T>
nlohmann::ordered_json opt(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

}  // namespace

std::string iso8601(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  localtime_r(&tt, &tm);
  std::string out = fmt::format("{:%Y-%m-%dT%H:%M:%S}", tm);
  long off = tm.tm_gmtoff;
  if (off == 0) return out + "Z";
  char sign = off < 0 ? '-' : '+';
  off = off < 0 ? -off : off;
  return fmt::format("{}{}{:02}:{:02}", out, sign, off / 3600, off / 60 % 60);
}

nlohmann::ordered_json to_json(const parsed_message& m) {
  nlohmann::ordered_json atts = nlohmann::ordered_json::array();
  for (const attachment& a : m.attachments) {
    atts.push_back({{"filename", a.filename},
                    {"content_type", a.content_type},
                    {"size", a.data.size()},
                    {"sha256", a.sha256},
                    {"content_id", opt(a.content_id)},
                    {"disposition", a.disposition}});
  }
  return {
      {"message_id", opt(m.message_id)},
      {"in_reply_to", opt(m.in_reply_to)},
      {"references", m.references},
      {"date", m.date ? nlohmann::ordered_json(iso8601(*m.date)) : nlohmann::ordered_json(nullptr)},
      {"from", m.from ? to_json(*m.from) : nlohmann::ordered_json(nullptr)},
      {"reply_to", addresses(m.reply_to)},
      {"to", addresses(m.to)},
      {"cc", addresses(m.cc)},
      {"subject", opt(m.subject)},
      {"text", m.text},
      {"html", opt(m.html)},
      {"attachments", atts},
      {"defects", m.defects}};
}

nlohmann::ordered_json to_json(const storage::request_summary& r) {
  return {{"id", r.id},
          {"title", r.title},
          {"status", r.status},
          {"priority", r.priority},
          {"category", r.category},
          {"owner",
           r.owner.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.owner)},
          {"mailbox", r.mailbox},
          {"person", {{"id", r.person_id}, {"name", r.person_name}, {"address", r.person_address}}},
          {"company",
           r.company.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.company)},
          {"created_at", iso8601(r.created_at)},
          {"updated_at", iso8601(r.updated_at)},
          {"messages", r.message_count}};
}

}  // namespace hd::daemon
