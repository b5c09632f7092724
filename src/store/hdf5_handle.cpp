#include "store/hdf5_handle.h"

#include <mutex>

#include "common/error.h"

namespace clear_sweep {

H5Handle& H5Handle::operator=(H5Handle&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    closer_ = o.closer_;
    o.id_ = -1;
  }
  return *this;
}

void H5Handle::reset() {
  if (id_ >= 0 && closer_) closer_(id_);
  id_ = -1;
}

void h5_quiet() {
  // Per thread: a thread-safe HDF5 keeps an error stack, and its printing, per thread.
  thread_local bool quiet = false;
  if (quiet) return;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  quiet = true;
}

std::string h5_last_error() {
  std::string message;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_UPWARD,
      [](unsigned n, const H5E_error2_t* err, void* data) -> herr_t {
        // Walking upward, entry 0 is the innermost: the most specific cause.
        if (n == 0 && err->desc) *static_cast<std::string*>(data) = err->desc;
        return 0;
      },
      &message);
  return message.empty() ? "unknown HDF5 error" : message;
}

hid_t h5_check(hid_t status, const std::string& file, const std::string& what) {
  if (status < 0) {
    const std::string cause = h5_last_error();
    H5Eclear2(H5E_DEFAULT);
    throw Error({file}, "", what + ": " + cause);
  }
  return status;
}

}  // namespace clear_sweep
