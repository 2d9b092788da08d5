#pragma once
// JSON renderings of the values the CLI prints. Field names are part of the CLI's contract
// (documented in docs/cli.md): add fields, never rename them.

#include "hd/common/message.hpp"
#include "hd/storage/store.hpp"

#include <nlohmann/json.hpp>

namespace hd::daemon {

/// "2024-03-05T13:03:07Z"
std::string iso8601(std::int64_t unix_seconds);

nlohmann::ordered_json to_json(const parsed_message& m);
nlohmann::ordered_json to_json(const storage::request_summary& r);

}  // namespace hd::daemon
