#include "hd/service/descriptors.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>

namespace hd::daemon {

std::int64_t descriptors_needed(const config& cfg) {
  std::int64_t n = k_descriptor_reserve + k_descriptors_per_imap_connection *
                                              static_cast<std::int64_t>(cfg.mailboxes.size());
  std::map<std::pair<std::string, int>, std::int64_t> per_server;
  for (const mailbox_config& m : cfg.mailboxes) ++per_server[{m.host, m.port}];
  std::int64_t connecting = cfg.imap.max_connecting_per_server;
  for (const auto& [server, mailboxes] : per_server)
    n += k_descriptors_per_imap_attempt *
         (connecting > 0 ? std::min(mailboxes, connecting) : mailboxes);
  if (cfg.smtp) n += std::max(0, cfg.smtp->max_parallel);
  for (const webhook_config& w : cfg.webhooks) n += std::max(0, w.max_parallel);
  if (cfg.http) n += std::max(0, cfg.http->max_connections) + 1;
  return n;
}

descriptor_limit fit_descriptor_limit(std::int64_t needed) {
  descriptor_limit out;
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return out;
  auto as_int = [](rlim_t v) {
    return v == RLIM_INFINITY ? INT64_MAX : static_cast<std::int64_t>(v);
  };
  out.soft = as_int(rl.rlim_cur);
  out.hard = as_int(rl.rlim_max);
  if (out.soft >= needed) return out;
  rlimit want = rl;
  want.rlim_cur = static_cast<rlim_t>(std::min(needed, out.hard));
  if (::setrlimit(RLIMIT_NOFILE, &want) == 0) {
    out.soft = static_cast<std::int64_t>(want.rlim_cur);
    out.raised = true;
  }
  return out;
}

}  // namespace hd::daemon
