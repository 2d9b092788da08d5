#pragma once
// Move-only owner of a GObject reference (GMimeStream, GMimeParser, GMimeMessage ...).

#include <glib-object.h>

#include <cstddef>

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

/// A GByteArray that borrows the caller's bytes (no copy of a 10 MB message). GMime only reads
/// from it through a memory stream created with g_mime_stream_mem_set_owner(FALSE); it must
/// outlive every GMime object that refers to the stream (declare it first).
class borrowed_bytes {
 public:
  borrowed_bytes(const char* data, std::size_t size)
      : array_(g_byte_array_new_take(reinterpret_cast<guint8*>(const_cast<char*>(data)), size)) {}
  borrowed_bytes(const borrowed_bytes&) = delete;
  borrowed_bytes& operator=(const borrowed_bytes&) = delete;
  ~borrowed_bytes() { g_byte_array_free(array_, FALSE); }  // FALSE: the bytes are not ours
  GByteArray* get() const { return array_; }

 private:
  GByteArray* array_;
};

}  // namespace hd::mailparse
