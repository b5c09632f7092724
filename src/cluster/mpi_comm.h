// The few MPI calls clear-sweep makes, each checked: a failing call throws a
// ClusterError carrying MPI_Error_string and the rank, so logs say who failed and why.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

namespace clear_sweep {

/// An MPI failure: not the user's input, not a bug of ours; fatal for the sweep.
class ClusterError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Throws ClusterError when `rc` is not MPI_SUCCESS.
void mpi_check(int rc, const char* call);

int mpi_rank();
int mpi_size();

struct Envelope {
  int source = 0;
  int tag = 0;
  std::string bytes;
};

void mpi_send(int dest, int tag, const std::string& bytes);
/// The next message from `source` (any source if negative), if one has arrived.
std::optional<Envelope> mpi_poll(int source = -1);
/// Waits for the next message from `source`.
Envelope mpi_receive(int source);

/// Ends every rank of the job with `code`: a fatal error must not leave the other
/// ranks waiting until the wall-time limit.
[[noreturn]] void mpi_abort(int code);

}  // namespace clear_sweep
