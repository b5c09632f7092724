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
/// How a rank waits between polls for messages, instead of a blocking MPI_Probe (Open
/// MPI's blocking calls spin a core at 100 %, which on a shared node takes the core
/// from the ranks doing the work): the first few waits only yield the core, as a reply
/// usually comes within ~100 us and a sleep costs a context switch and the timer's
/// slack; then sleeps grow from 20 us to 1 ms while nothing comes.
class PollBackoff {
 public:
  void reset() {
    yields_ = 0;
    wait_us_ = kMinUs;
  }
  void sleep();

 private:
  static constexpr int kYields = 16;
  static constexpr long kMinUs = 20, kMaxUs = 1000;
  int yields_ = 0;
  long wait_us_ = kMinUs;
};

/// Ends every rank of the job with `code`: a fatal error must not leave the other
/// ranks waiting until the wall-time limit.
[[noreturn]] void mpi_abort(int code);

}  // namespace clear_sweep
