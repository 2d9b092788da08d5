#pragma once
// The HTTP API's database threads: each owns its own SQLite connection (WAL), so agents read
// while intake writes, and no database work runs on the loop thread. Writes from several
// connections are serialised by SQLite (busy_timeout); each verb is one short transaction.

#include "hd/storage/store.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace hd::daemon {

class db_pool {
 public:
  /// Opens N connections to PATH with OPT and starts a thread for each. Throws std::runtime_error
  /// when a connection cannot be opened.
  db_pool(const std::string& path, const storage::open_options& opt, int n);
  /// Runs the queued jobs, then joins the threads.
  ~db_pool();
  db_pool(const db_pool&) = delete;
  db_pool& operator=(const db_pool&) = delete;

  /// Queues JOB for the next free thread. A job must not throw (it answers its client).
  void submit(std::function<void(storage::store&)> job);
  /// Jobs waiting for a thread (for /metrics).
  std::size_t queued();

 private:
  void loop(storage::store& db);
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void(storage::store&)>> jobs_;
  bool closing_ = false;
  std::vector<storage::store> stores_;
  std::vector<std::thread> threads_;
};

}  // namespace hd::daemon
