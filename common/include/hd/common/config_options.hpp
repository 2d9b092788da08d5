#pragma once
// How a configuration is loaded (besides hd/common/config.hpp's plain load_config).

#include "hd/common/config.hpp"

namespace hd {

struct load_options {
  /// false: secret files and variables (`*_file`, `*_env`) are not read; each secret is
  /// empty and describes itself as "file:PATH (not read)". For commands that use no secret,
  /// so an agent need not be able to read the mailbox password to work the queue.
  bool read_secrets = true;
};

/// load_config with options.
result<config, config_errc> load_config(const std::string& file, const env_lookup& env,
                                        const load_options& o);

}  // namespace hd
