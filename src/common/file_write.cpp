#include "common/file_write.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace clear_sweep {

bool is_out_of_space(int err) { return err == ENOSPC || err == EDQUOT; }

void throw_write_failure(const std::string& path, int err, const std::string& what) {
  const std::string reason = err ? std::string(": ") + std::strerror(err) : std::string();
  if (is_out_of_space(err))
    throw ResumableError({path}, "", what + reason,
                         "every result stored before is safe; free space on that disk and rerun the same "
                         "command to resume");
  throw Error({path}, "write", what + reason);
}

void write_file(const std::string& path, std::string_view bytes, const std::string& what) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw_write_failure(path, errno, what);
  const char* p = bytes.data();
  size_t left = bytes.size();
  int err = 0;
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : EIO;
      break;
    }
    p += n;
    left -= size_t(n);
  }
  // A full disk may show only at fsync (delayed allocation) or close (NFS).
  if (!err && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && !err) err = errno;
  if (err) {
    ::unlink(path.c_str());  // a half file would only take the space a rerun needs
    throw_write_failure(path, err, what);
  }
}

}  // namespace clear_sweep
