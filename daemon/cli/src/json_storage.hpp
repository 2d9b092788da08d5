#pragma once
// JSON renderings of storage's read models (requests show/search, persons, companies,
// quarantine), and the helpers the storage commands share. Field names are part of the CLI's
// contract (docs/storage.md): add fields, never rename them.

#include "commands.hpp"
#include "hd/storage/people.hpp"
#include "hd/storage/quarantine.hpp"
#include "hd/storage/requests.hpp"

#include <nlohmann/json.hpp>

#include <optional>

namespace hd::daemon {

nlohmann::ordered_json to_json(const storage::request_detail& d);
nlohmann::ordered_json to_json(const storage::search_hit& h);
nlohmann::ordered_json to_json(const storage::attachment_info& a);
nlohmann::ordered_json to_json(const storage::person_summary& p);
nlohmann::ordered_json to_json(const storage::person_detail& p);
nlohmann::ordered_json to_json(const storage::company_summary& c);
nlohmann::ordered_json to_json(const storage::company_detail& c);
nlohmann::ordered_json to_json(const storage::quarantine_entry& q);

/// Loads the config and opens (and migrates) its database; on failure reports it, sets the
/// exit code (78 config, 75 database) and returns nullopt.
std::optional<storage::store> open_db(cli_state& st);

/// Reports a storage error with the matching exit code: not_found 1, invalid 64 (usage),
/// anything else 75 (temporary: busy, I/O).
void fail_storage(cli_state& st, const error<storage::errc>& e);

}  // namespace hd::daemon
