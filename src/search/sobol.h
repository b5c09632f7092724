// Sobol' low-discrepancy points (Joe & Kuo's direction numbers, Gray-code order, as
// scipy.stats.qmc.Sobol draws them unscrambled), with a seeded digital shift: every
// shift of a (t, s)-net is still one, so the points stay evenly spread while two seeds
// give two different designs.
#pragma once

#include <cstdint>

namespace clear_sweep {

/// Dimensions sobol_bits supports.
int sobol_max_dimensions();

/// The 32 bits of point `index` (0-based, point 0 is the origin) in dimension `dim`
/// (0-based, < sobol_max_dimensions()).
uint32_t sobol_bits(uint64_t index, int dim);

/// sobol_bits XOR `shift`, as a double in [0, 1).
double sobol_uniform(uint64_t index, int dim, uint32_t shift);

}  // namespace clear_sweep
