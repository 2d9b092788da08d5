#include "hd/intake/db_health.hpp"

#include <sys/stat.h>

#include "hd/storage/integrity.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>

namespace hd::daemon {

namespace {

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) out += (out.empty() ? "" : "; ") + l;
  return out;
}

}  // namespace

namespace {

struct file_state {
  std::int64_t mtime_ns = -2;
  std::int64_t size = -2;
};

file_state state_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
          static_cast<std::int64_t>(st.st_size)};
}

std::string stamp_path(const config& cfg) { return cfg.database.path + ".checked"; }

}  // namespace

result<db_health, storage::errc> check_database(const config& cfg, std::string_view who,
                                                std::int64_t now, std::int64_t reuse_within_s,
                                                bool read_only) {
  db_health h;
  std::error_code ec;
  // PostgreSQL checks its own pages (checksums, the server's recovery): nothing to do here.
  if (cfg.database.check_on_start == 0 || cfg.database.postgres() ||
      !std::filesystem::exists(cfg.database.path, ec)) {
    return h;
  }
  std::string stamp = stamp_path(cfg);
  if (reuse_within_s > 0 &&
      !std::filesystem::exists(storage::damage_mark_path(cfg.database.path), ec)) {
    std::int64_t last = 0, mtime = -1, size = -1;
    std::ifstream(stamp) >> last >> mtime >> size;
    file_state f = state_of(cfg.database.path);
    if (last > 0 && last <= now && now - last < reuse_within_s && f.mtime_ns == mtime &&
        f.size == size) {
      return h;
    }
  }
  auto depth =
      cfg.database.check_on_start == 2 ? storage::check_depth::full : storage::check_depth::quick;
  h.check = depth == storage::check_depth::full ? "integrity_check" : "quick_check";
  auto started = std::chrono::steady_clock::now();
  storage::open_options opt;
  opt.migrate = false;
  opt.read_only = read_only;
  opt.busy_timeout_ms = cfg.database.busy_timeout_ms;
  auto db = storage::store::open(cfg.database.path, opt);
  // A schema SQLite cannot even read ("database disk image is malformed") is damage too.
  if (!db && db.error().message.find("malformed") == std::string::npos) return db.error();
  h.checked = true;
  if (db) {
    auto r = storage::check_integrity(*db, depth);
    if (!r) return r.error();
    h.ok = r->ok;
    h.problems = joined(r->problems);
  } else {
    h.ok = false;
    h.problems = db.error().message;
  }
  h.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count();
  std::string mark = storage::damage_mark_path(cfg.database.path);
  if (h.ok) {
    std::filesystem::remove(mark, ec);
    file_state f = state_of(cfg.database.path);
    std::ofstream(stamp, std::ios::trunc) << now << " " << f.mtime_ns << " " << f.size << "\n";
    return h;
  }
  std::ofstream(mark, std::ios::trunc) << "at=" << now << " by=" << who << " check=" << h.check
                                       << " problems=" << h.problems << "\n";
  return h;
}

void log_db_health(const logger& log, const config& cfg, std::string_view who, const db_health& h) {
  if (!h.checked) return;
  if (h.ok) {
    log.info("db.check",
             {{"by", who}, {"check", h.check}, {"result", "ok"}, {"elapsed_ms", h.elapsed_ms}});
    return;
  }
  log.error("db.damaged",
            {{"by", who},
             {"check", h.check},
             {"elapsed_ms", h.elapsed_ms},
             {"path", cfg.database.path},
             {"problems", h.problems},
             {"action", "no mail is taken until the database is recovered (docs/faults.md)"}});
}

result<db_health, storage::errc> check_before_intake(const config& cfg, const logger& log,
                                                     std::string_view who, std::int64_t now,
                                                     std::int64_t reuse_within_s) {
  auto h = check_database(cfg, who, now, reuse_within_s, false);
  if (h) log_db_health(log, cfg, who, *h);
  return h;
}

void note_own_write(const config& cfg) {
  std::string stamp = stamp_path(cfg);
  std::int64_t last = 0;
  if (!(std::ifstream(stamp) >> last) || last <= 0) return;
  file_state f = state_of(cfg.database.path);
  std::ofstream(stamp, std::ios::trunc) << last << " " << f.mtime_ns << " " << f.size << "\n";
}

std::string read_damage_mark(const std::string& db_path) {
  std::ifstream in(storage::damage_mark_path(db_path));
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace hd::daemon
