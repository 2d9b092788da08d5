#pragma once
// JSON renderings of the values the CLI prints and the HTTP API serves. Field names are part
// of both contracts (docs/cli.md, docs/api.md): add fields, never rename them.

#include "hd/common/message.hpp"
#include "hd/storage/people.hpp"
#include "hd/storage/quarantine.hpp"
#include "hd/storage/requests.hpp"
#include "hd/storage/store.hpp"
#include "hd/storage/views.hpp"

#include <nlohmann/json.hpp>

namespace hd::daemon {

/// ISO 8601 in the local time zone (TZ, else /etc/localtime) with its offset:
/// "2024-03-05T14:03:07+01:00"; "2024-03-05T13:03:07Z" when the zone is UTC. The one format
/// for every time a person reads (CLI text, --json, the HTTP API).
std::string iso8601(std::int64_t unix_seconds);

nlohmann::ordered_json to_json(const parsed_message& m);
nlohmann::ordered_json to_json(const storage::request_summary& r);
nlohmann::ordered_json to_json(const storage::request_detail& d);
nlohmann::ordered_json to_json(const storage::search_hit& h);
nlohmann::ordered_json to_json(const storage::attachment_info& a);
nlohmann::ordered_json to_json(const storage::person_summary& p);
nlohmann::ordered_json to_json(const storage::person_detail& p);
nlohmann::ordered_json to_json(const storage::company_summary& c);
nlohmann::ordered_json to_json(const storage::company_detail& c);
nlohmann::ordered_json to_json(const storage::quarantine_entry& q);
nlohmann::ordered_json to_json(const storage::queue_item& q);
nlohmann::ordered_json to_json(const std::vector<storage::queue_item>& v);

}  // namespace hd::daemon
