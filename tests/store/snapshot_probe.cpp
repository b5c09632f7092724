// A second process reading a results file, as `clear-sweep status` does: prints how
// many rows the snapshot has and how many of them came from the journal only.
#include <cstdio>
#include <exception>

#include "store/results_store.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  try {
    const auto snap = clear_sweep::results_snapshot(argv[1]);
    std::printf("%zu %zu\n", snap.rows.size(), snap.unflushed);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
