#include "json_storage.hpp"

#include "hd/common/sysexits.hpp"
#include "hd/intake/pipeline.hpp"

namespace hd::daemon {

std::optional<storage::store> open_db(cli_state& st) {
  std::optional<config> cfg = st.load_config(false);
  if (!cfg) return std::nullopt;
  auto db = open_store(*cfg);
  if (!db) {
    st.fail(exit_code::temp_fail, db.error().message);
    return std::nullopt;
  }
  return std::move(*db);
}

void fail_storage(cli_state& st, const error<storage::errc>& e) {
  switch (e.code) {
    case storage::errc::not_found:
      st.fail(exit_code::failure, e.message);
      break;
    case storage::errc::invalid:
      st.fail(exit_code::usage, e.message);
      break;
    case storage::errc::conflict:
      st.fail(exit_code::failure, e.message);
      break;
    default:
      st.fail(exit_code::temp_fail, e.message);
  }
}

}  // namespace hd::daemon
