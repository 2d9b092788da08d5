#pragma once
// Forms of the effective configuration for `helpdeskd config check`.
#include "hd/common/config.hpp"

#include <string>

namespace hd {

struct describe_options {
  bool only_changed = false;  ///< only what differs from the defaults (as `doveconf -n`)
  bool json = false;          ///< JSON instead of TOML
};

/// The effective configuration (secrets masked) as describe_config, in the form OPTIONS asks.
/// With only_changed, a [[mailbox]] keeps its name and lists the keys that differ from a
/// mailbox's defaults; the other arrays of tables (users, priorities, ...) have no defaults and
/// are shown whole.
std::string describe_config(const config& c, const describe_options& options);

}  // namespace hd
