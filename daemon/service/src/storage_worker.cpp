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

void storage_worker::set_idle_task(std::chrono::milliseconds after,
                                   std::function<bool(storage::store&)> task) {
  {
    std::lock_guard lock(mu_);
    idle_after_ = after;
    idle_task_ = std::move(task);
  }
  cv_.notify_one();
}

void storage_worker::loop() {
  bool idle_due = false;  // a job has run since the idle task last said it was done
  bool again = false;     // the idle task has more to do: no waiting before its next step
  while (true) {
    std::function<void(storage::store&)> job;
    std::function<bool(storage::store&)> idle;
    {
      std::unique_lock lock(mu_);
      auto ready = [this] { return closing_ || !jobs_.empty(); };
      if (idle_due && idle_task_) {
        if (!cv_.wait_for(lock, again ? std::chrono::milliseconds(0) : idle_after_, ready))
          idle = idle_task_;
      } else {
        cv_.wait(lock, ready);
      }
      if (!idle) {
        if (jobs_.empty()) return;  // closing
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
    }
    try {
      if (idle) {
        again = idle(db_);
        idle_due = again;
      } else {
        job(db_);
        idle_due = true;
        again = false;
      }
    } catch (const std::exception& e) {
      idle_due = !idle;
      again = false;
      report(e.what());
    } catch (...) {
      idle_due = !idle;
      again = false;
      report("unknown exception");
    }
  }
}

}  // namespace hd::daemon
