#include "hd/service/storage_worker.hpp"

namespace hd::daemon {

storage_worker::storage_worker(boost::asio::io_context& io, storage::store db)
    : io_(io), db_(std::move(db)), thread_([this] { loop(); }) {}

storage_worker::~storage_worker() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void storage_worker::push(std::function<void(storage::store&)> job) {
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void storage_worker::report(std::string what) {
  if (!report_) return;
  boost::asio::post(io_, [this, what = std::move(what)] { report_(what); });
}

void storage_worker::loop() {
  while (true) {
    std::function<void(storage::store&)> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return closing_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    try {
      job(db_);
    } catch (const std::exception& e) {
      report(e.what());
    } catch (...) {
      report("unknown exception");
    }
  }
}

}  // namespace hd::daemon
