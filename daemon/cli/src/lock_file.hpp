#pragma once
// The lock that keeps two `helpdeskd run`s (and a `db copy` and a run) off one database:
// DB.lock next to it, an flock(2) the kernel releases if the holder dies.

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace hd::daemon {

// An flock(2) held for the life of the object; released by the kernel if we die.
class lock_file {
 public:
  explicit lock_file(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      error_ = fmt::format("cannot open lock file {}: {}", path, std::strerror(errno));
      return;
    }
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      held_elsewhere_ = errno == EWOULDBLOCK;
      error_ = held_elsewhere_ ? fmt::format("another helpdeskd run holds {}", path)
                               : fmt::format("cannot lock {}: {}", path, std::strerror(errno));
    }
  }
  ~lock_file() {
    if (fd_ >= 0) ::close(fd_);
  }
  lock_file(const lock_file&) = delete;
  lock_file& operator=(const lock_file&) = delete;
  bool ok() const { return error_.empty(); }
  bool held_elsewhere() const { return held_elsewhere_; }
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  bool held_elsewhere_ = false;
  std::string error_;
};

}  // namespace hd::daemon
