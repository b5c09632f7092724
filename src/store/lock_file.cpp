#include "store/lock_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "common/clock.h"
#include "common/error.h"

namespace clear_sweep {
namespace {

/// Whether `pid` is a live process on this host. A zombie is not: it has ended (its
/// files closed) and waits only to be reaped, as the ranks of an aborted mpirun do
/// until init gets to them.
bool process_alive(long pid) {
  if (::kill(pid_t(pid), 0) != 0 && errno == ESRCH) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;  // no /proc: kill's answer stands
  const size_t close = line.rfind(')');        // "pid (name) S ...": the name may hold spaces
  return close == std::string::npos || close + 2 >= line.size() || (line[close + 2] != 'Z' && line[close + 2] != 'X');
}

/// Waits up to `seconds` for a holder on this host to end: a rerun started right after
/// an MPI_Abort finds its coordinator still being killed.
bool ends_soon(long pid, double seconds) {
  for (double waited = 0; waited < seconds; waited += 0.1) {
    if (!process_alive(pid)) return true;
    ::usleep(100000);
  }
  return !process_alive(pid);
}

}  // namespace

bool lock_holder(const std::string& path, LockHolder& holder) {
  std::ifstream in(path);
  if (!in) return false;
  in >> holder.host >> holder.pid;
  std::getline(in >> std::ws, holder.since);
  return !holder.host.empty() && holder.pid > 0;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "unknown-host";
  return name;
}

LockFile::LockFile(std::string path) : path_(std::move(path)) {
  const std::string me = host_name();
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd >= 0) {
      std::ostringstream content;
      content << me << " " << ::getpid() << " " << utc_now_iso() << "\n";
      const std::string text = content.str();
      const bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size()) && ::fsync(fd) == 0;
      ::close(fd);
      if (!ok) {
        ::unlink(path_.c_str());
        throw Error({path_}, "", std::string("cannot write lock file: ") + std::strerror(errno));
      }
      held_ = true;
      return;
    }
    if (errno != EEXIST) throw Error({path_}, "", std::string("cannot create lock file: ") + std::strerror(errno));

    LockHolder holder;
    const bool readable = lock_holder(path_, holder);
    // Only a holder on this host can be checked: a pid elsewhere means nothing here.
    const bool stale = readable && holder.host == me && ends_soon(holder.pid, 3.0);
    if (stale && attempt == 0) {
      ::unlink(path_.c_str());
      continue;
    }
    if (!readable)
      throw Error({path_}, "", "results are locked by a lock file that cannot be read",
                  "if no sweep writes these results, delete the lock file");
    throw Error({path_}, "",
                "these results are being written by pid " + std::to_string(holder.pid) + " on " + holder.host +
                    " since " + holder.since,
                "wait for that sweep to end, write to another --out, or, if that process is gone (it ran on "
                "another machine), delete the lock file");
  }
}

LockFile::~LockFile() { release(); }

void LockFile::release() {
  if (!held_) return;
  held_ = false;
  LockHolder holder;
  if (lock_holder(path_, holder) && holder.host == host_name() && holder.pid == long(::getpid()))
    ::unlink(path_.c_str());
}

}  // namespace clear_sweep
