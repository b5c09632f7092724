// Which device and how many threads a worker uses. Ranks are placed by the launcher
// (mpirun, srun); a worker learns its place from MPI itself: the workers that share
// its node (MPI_COMM_TYPE_SHARED), rank 0 excluded, and its index among them. GPUs
// are dealt round-robin over that index, so two workers on a node never share one
// while there are enough; CPU threads are the node's cores shared among its workers.
#pragma once

#include <string>

namespace clear_sweep {

struct NodePlacement {
  int local_index = 0;    ///< this worker's index among the workers on its node
  int local_workers = 1;  ///< workers on this node
  int cores = 1;          ///< hardware threads on this node
};

struct DeviceBinding {
  std::string device = "cpu";  ///< "cpu" or "cuda:K"
  int gpu = -1;                ///< K, or -1 for CPU
  int threads = 1;             ///< intra-op threads for this worker
  std::string text() const;    ///< "cuda:1, 8 threads" for logs
};

/// `requested`: [resources].device (auto | cpu | cuda). `visible_gpus`: what the runtime
/// sees (CUDA_VISIBLE_DEVICES applied). `threads_per_rank`: 0 = share the cores.
/// Throws clear_sweep::Error when cuda is requested and none is visible.
DeviceBinding device_bind(const std::string& requested, const NodePlacement& placement, int visible_gpus,
                          int threads_per_rank);

/// Where this worker sits, from MPI (collective over MPI_COMM_WORLD: every rank calls it).
NodePlacement node_placement();

}  // namespace clear_sweep
