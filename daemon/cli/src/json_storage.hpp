#pragma once
// The helpers the storage commands share (the JSON renderings are in hd/api/json.hpp).

#include "commands.hpp"
#include "hd/api/json.hpp"
#include "hd/storage/people.hpp"
#include "hd/storage/quarantine.hpp"
#include "hd/storage/requests.hpp"

#include <nlohmann/json.hpp>

#include <optional>

namespace hd::daemon {

/// Loads the config and opens (and migrates) its database; on failure reports it, sets the
/// exit code (78 config, 75 database) and returns nullopt.
std::optional<storage::store> open_db(cli_state& st);

/// Reports a storage error with the matching exit code: not_found 1, invalid 64 (usage),
/// anything else 75 (temporary: busy, I/O).
void fail_storage(cli_state& st, const error<storage::errc>& e);

}  // namespace hd::daemon
