#include "search/sobol.h"

#include <array>
#include <vector>

#include "common/error.h"

namespace clear_sweep {
namespace {

/// Joe & Kuo (2008), new-joe-kuo-6.21201, dimensions 2..: degree s of the primitive
/// polynomial, its inner coefficients a, and the initial direction numbers m_1..m_s.
struct JoeKuo {
  int s;
  uint32_t a;
  std::array<uint32_t, 6> m;
};
constexpr JoeKuo kJoeKuo[] = {
    {1, 0, {1}},
    {2, 1, {1, 3}},
    {3, 1, {1, 3, 1}},
    {3, 2, {1, 1, 1}},
    {4, 1, {1, 1, 3, 3}},
    {4, 4, {1, 3, 5, 13}},
    {5, 2, {1, 1, 5, 5, 17}},
    {5, 4, {1, 1, 5, 5, 5}},
    {5, 7, {1, 1, 7, 11, 19}},
    {5, 11, {1, 1, 5, 1, 1}},
    {5, 13, {1, 1, 1, 3, 11}},
    {5, 14, {1, 3, 5, 5, 31}},
};
constexpr int kDims = 1 + int(sizeof kJoeKuo / sizeof kJoeKuo[0]);

/// v[dim][k]: the k-th direction number (bit 31 - k is the leading one), k = 0..31.
const std::vector<std::array<uint32_t, 32>>& directions() {
  static const std::vector<std::array<uint32_t, 32>> v = [] {
    std::vector<std::array<uint32_t, 32>> out(kDims);
    for (int k = 0; k < 32; ++k) out[0][k] = 1u << (31 - k);  // van der Corput
    for (int d = 1; d < kDims; ++d) {
      const JoeKuo& p = kJoeKuo[d - 1];
      std::array<uint32_t, 33> m{};  // m[1..32]
      for (int k = 1; k <= p.s; ++k) m[k] = p.m[k - 1];
      // m_k = 2^s m_{k-s} ^ m_{k-s} ^ sum_{j=1}^{s-1} 2^j a_j m_{k-j}, a_1 the highest bit of a.
      for (int k = p.s + 1; k <= 32; ++k) {
        uint32_t value = (m[k - p.s] << p.s) ^ m[k - p.s];
        for (int j = 1; j < p.s; ++j)
          if ((p.a >> (p.s - 1 - j)) & 1u) value ^= m[k - j] << j;
        m[k] = value;
      }
      for (int k = 1; k <= 32; ++k) out[d][k - 1] = m[k] << (32 - k);
    }
    return out;
  }();
  return v;
}

}  // namespace

int sobol_max_dimensions() { return kDims; }

uint32_t sobol_bits(uint64_t index, int dim) {
  CS_ASSERT(dim >= 0 && dim < kDims, "Sobol dimension out of range");
  CS_ASSERT(index < (uint64_t(1) << 32), "Sobol index beyond 2^32 points");
  const auto& v = directions()[size_t(dim)];
  const uint64_t gray = index ^ (index >> 1);
  uint32_t x = 0;
  for (int k = 0; k < 32; ++k)
    if ((gray >> k) & 1u) x ^= v[size_t(k)];
  return x;
}

double sobol_uniform(uint64_t index, int dim, uint32_t shift) {
  return double(sobol_bits(index, dim) ^ shift) / 4294967296.0;
}

}  // namespace clear_sweep
