#include "cluster/device_binding.h"

#include <mpi.h>

#include <algorithm>
#include <thread>
#include <vector>

#include "cluster/mpi_comm.h"
#include "common/error.h"
#include "common/version.h"

namespace clear_sweep {

std::string DeviceBinding::text() const {
  return device + ", " + std::to_string(threads) + (threads == 1 ? " thread" : " threads");
}

DeviceBinding device_bind(const std::string& requested, const NodePlacement& placement, int visible_gpus,
                          int threads_per_rank) {
  DeviceBinding b;
  const bool want_gpu = requested == "cuda" || (requested == "auto" && visible_gpus > 0);
  if (requested == "cuda" && visible_gpus <= 0)
    throw Error({}, "resources.device",
                "'cuda' requested but no GPU is visible on this node (" + std::string(build_description()) + ")",
                "check CUDA_VISIBLE_DEVICES and the allocation (--gpus-per-task), that libtorch has CUDA "
                "(clear-sweep --version), or use device = \"auto\"");
  if (want_gpu) {
    b.gpu = placement.local_index % visible_gpus;
    b.device = "cuda:" + std::to_string(b.gpu);
  }
  b.threads =
      threads_per_rank > 0 ? threads_per_rank : std::max(1, placement.cores / std::max(1, placement.local_workers));
  return b;
}

NodePlacement node_placement() {
  MPI_Comm node;
  mpi_check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
  int node_size = 0, node_rank = 0;
  MPI_Comm_size(node, &node_size);
  MPI_Comm_rank(node, &node_rank);
  const int world_rank = mpi_rank();
  std::vector<int> world_ranks(size_t(node_size), 0);
  mpi_check(MPI_Allgather(&world_rank, 1, MPI_INT, world_ranks.data(), 1, MPI_INT, node), "MPI_Allgather");
  MPI_Comm_free(&node);

  NodePlacement p;
  p.local_workers = 0;
  p.local_index = 0;
  for (int i = 0; i < node_size; ++i) {
    if (world_ranks[size_t(i)] == 0) continue;  // the coordinator computes nothing
    if (i < node_rank) ++p.local_index;
    ++p.local_workers;
  }
  p.cores = int(std::max(1u, std::thread::hardware_concurrency()));
  return p;
}

}  // namespace clear_sweep
