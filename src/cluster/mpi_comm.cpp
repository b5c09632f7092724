#include "cluster/mpi_comm.h"

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

namespace clear_sweep {
namespace {

Envelope receive_probed(const MPI_Status& status) {
  int count = 0;
  mpi_check(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
  Envelope e;
  e.source = status.MPI_SOURCE;
  e.tag = status.MPI_TAG;
  e.bytes.resize(size_t(count));
  mpi_check(
      MPI_Recv(e.bytes.data(), count, MPI_BYTE, status.MPI_SOURCE, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
      "MPI_Recv");
  return e;
}

}  // namespace

void mpi_check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  throw ClusterError("rank " + std::to_string(rank) + ": " + call + " failed: " + std::string(text, size_t(length)));
}

int mpi_rank() {
  int rank = 0;
  mpi_check(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  return rank;
}

int mpi_size() {
  int size = 0;
  mpi_check(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
  return size;
}

void mpi_send(int dest, int tag, const std::string& bytes) {
  mpi_check(MPI_Send(bytes.data(), int(bytes.size()), MPI_BYTE, dest, tag, MPI_COMM_WORLD), "MPI_Send");
}

std::optional<Envelope> mpi_poll(int source) {
  int flag = 0;
  MPI_Status status;
  mpi_check(MPI_Iprobe(source < 0 ? MPI_ANY_SOURCE : source, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status),
            "MPI_Iprobe");
  if (!flag) return std::nullopt;
  return receive_probed(status);
}

void PollBackoff::sleep() {
  if (yields_ < kYields) {
    ++yields_;
    std::this_thread::yield();
    return;
  }
  std::this_thread::sleep_for(std::chrono::microseconds(wait_us_));
  wait_us_ = std::min(wait_us_ * 2, kMaxUs);
}

void mpi_abort(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);  // MPI_Abort does not return; this satisfies [[noreturn]]
}

}  // namespace clear_sweep
