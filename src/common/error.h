// Two kinds of failure, kept apart on purpose (STYLE.md, faiss):
//  - clear_sweep::Error: bad input from a user (a sweep file, a flag, a dataset).
//    It names where (file, line, column, key), says what, and ends with a hint.
//    Thrown inside, caught at the boundary: `main` prints it on one line, exits 2.
//  - CS_ASSERT: a bug in clear-sweep itself. Throws InternalError with file:line.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace clear_sweep {

/// Where in an input a problem is. Every field is optional (empty / 0 = unknown).
struct SourceLocation {
  std::string file;
  uint32_t line = 0;    ///< 1-based; 0 = unknown
  uint32_t column = 0;  ///< 1-based; 0 = unknown
};

/// A user error. what() is one line: "FILE:LINE:COL: error: KEY: MESSAGE (hint: HINT)".
class Error : public std::runtime_error {
 public:
  Error(SourceLocation where, std::string key, std::string message, std::string hint = {});

  const SourceLocation& where() const { return where_; }
  const std::string& key() const { return key_; }
  const std::string& message() const { return message_; }
  const std::string& hint() const { return hint_; }

 private:
  SourceLocation where_;
  std::string key_;
  std::string message_;
  std::string hint_;
};

/// Writing results failed (a full disk, a quota, an I/O error). Everything stored before
/// is safe, and the same command resumes once the cause is fixed: `run` exits 75.
class ResumableError : public Error {
 public:
  using Error::Error;
};

/// An error after which this process cannot go on (a GPU context broken by an illegal
/// memory access or a device-side assert): no job's result, but the end of the rank, and
/// by MPI_Abort of the sweep, so that a requeue starts on a sound device.
class FatalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A broken invariant inside clear-sweep: a bug, never the user's fault.
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] void internal_error(const char* file, int line, const char* condition, const std::string& detail);

}  // namespace clear_sweep

/// Checks an invariant; on failure throws InternalError naming file:line and the condition.
#define CS_ASSERT(cond, detail)                                                      \
  do {                                                                               \
    if (!(cond)) ::clear_sweep::internal_error(__FILE__, __LINE__, #cond, (detail)); \
  } while (0)
