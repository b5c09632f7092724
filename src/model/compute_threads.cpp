#include "model/compute_threads.h"

#include <dlfcn.h>
#include <torch/torch.h>

namespace clear_sweep {

void set_compute_threads(int threads) {
  if (threads < 1) threads = 1;
  torch::set_num_threads(threads);
  // Looked up at run time: the BLAS behind libtorch is chosen by Debian's alternatives.
  using SetThreads = void (*)(int);
  if (auto fn = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(threads);
}

}  // namespace clear_sweep
