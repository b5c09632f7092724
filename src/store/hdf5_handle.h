// A thin RAII layer over the HDF5 C API: handles that close themselves, and checks
// that turn a negative return into an exception carrying HDF5's own error message.
#pragma once

#include <hdf5.h>

#include <string>

namespace clear_sweep {

/// An owned hid_t, closed with the function given at construction.
class H5Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  H5Handle() = default;
  H5Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  H5Handle(H5Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  H5Handle& operator=(H5Handle&& o) noexcept;
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;
  ~H5Handle() { reset(); }

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

/// Silences HDF5's automatic error printing for the calling thread: errors become
/// exceptions with the message of the innermost HDF5 error instead.
void h5_quiet();

/// The innermost message on HDF5's error stack (e.g. "unable to open file").
std::string h5_last_error();

/// Throws clear_sweep::Error naming `file` when `status` < 0.
hid_t h5_check(hid_t status, const std::string& file, const std::string& what);

}  // namespace clear_sweep
