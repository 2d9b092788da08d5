#include "hd/api/db_pool.hpp"

#include <stdexcept>

namespace hd::daemon {

db_pool::db_pool(const std::string& path, const storage::open_options& opt, int n) {
  for (int i = 0; i < n; ++i) {
    // Opened like any other connection (migrate is a no-op once up to date, and it turns on
    // the deferred full-text indexing that notes and replies written here need).
    auto db = storage::store::open(path, opt);
    if (!db) throw std::runtime_error(db.error().message);
    stores_.push_back(std::move(*db));
  }
  threads_.reserve(stores_.size());
  for (storage::store& s : stores_) threads_.emplace_back([this, &s] { loop(s); });
}

db_pool::~db_pool() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void db_pool::submit(std::function<void(storage::store&)> job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

std::size_t db_pool::queued() {
  std::lock_guard lock(mu_);
  return jobs_.size();
}

void db_pool::loop(storage::store& db) {
  for (;;) {
    std::function<void(storage::store&)> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return closing_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job(db);
  }
}

}  // namespace hd::daemon
