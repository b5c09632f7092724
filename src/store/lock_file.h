// One writer per results file: a lock file of our own (NAME.h5.lock) holding the
// writer's host and pid. HDF5's own locking cannot be relied on (it fails on NFS and
// Lustre), and O_EXCL creation is atomic on every file system a cluster uses.
#pragma once

#include <string>

namespace clear_sweep {

class LockFile {
 public:
  /// Takes the lock or throws an Error naming the holder. A lock left by a process
  /// that no longer exists on this host is stale: it is removed and taken.
  explicit LockFile(std::string path);
  ~LockFile();
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

  /// Removes the lock file if it is still ours. Also done by the destructor.
  void release();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool held_ = false;
};

/// Who holds a lock file, as written in it.
struct LockHolder {
  std::string host;
  long pid = 0;
  std::string since;  ///< ISO 8601, UTC
};

/// The holder named in `path`, if the file exists and reads as a lock.
bool lock_holder(const std::string& path, LockHolder& holder);

/// This machine's host name (gethostname), for locks, logs and result rows.
std::string host_name();

}  // namespace clear_sweep
