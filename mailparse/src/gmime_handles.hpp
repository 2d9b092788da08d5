#pragma once
// Move-only owner of a GObject reference (GMimeStream, GMimeParser, GMimeMessage ...).

#include <glib-object.h>

#include <utility>

namespace hd::mailparse {

template <class T>
class gobject_ptr {
 public:
  gobject_ptr() = default;
  explicit gobject_ptr(T* p) : p_(p) {}
  gobject_ptr(const gobject_ptr&) = delete;
  gobject_ptr& operator=(const gobject_ptr&) = delete;
  gobject_ptr(gobject_ptr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  gobject_ptr& operator=(gobject_ptr&& o) noexcept {
    if (this != &o) {
      reset();
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  ~gobject_ptr() { reset(); }
  void reset() {
    if (p_ != nullptr) g_object_unref(p_);
    p_ = nullptr;
  }
  T* get() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
};

}  // namespace hd::mailparse
