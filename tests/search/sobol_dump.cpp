// Prints the first N unshifted Sobol' points in D dimensions, one point per line, as
// 32-bit integers: test_sobol_scipy.py holds them against scipy.stats.qmc.Sobol.
#include <cstdio>
#include <cstdlib>

#include "search/sobol.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: sobol_dump N D\n");
    return 2;
  }
  const long n = std::atol(argv[1]), d = std::atol(argv[2]);
  if (d > clear_sweep::sobol_max_dimensions()) {
    std::fprintf(stderr, "at most %d dimensions\n", clear_sweep::sobol_max_dimensions());
    return 2;
  }
  for (long i = 0; i < n; ++i) {
    for (long k = 0; k < d; ++k) std::printf("%s%u", k ? " " : "", clear_sweep::sobol_bits(uint64_t(i), int(k)));
    std::printf("\n");
  }
  return 0;
}
