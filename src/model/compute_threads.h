// How many CPU threads a rank computes with. libtorch's intra-op pool and OpenBLAS's own
// pthreads are separate: left alone, OpenBLAS starts one thread per core in every rank,
// and on small matrices the contention costs 4x (bench/model/finetune_probe, 2 cores).
#pragma once

namespace clear_sweep {

/// Sets libtorch's intra-op threads and, when the BLAS is OpenBLAS, its threads too.
void set_compute_threads(int threads);

}  // namespace clear_sweep
