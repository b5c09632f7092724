#include "data/rng.h"

#include "common/error.h"

namespace clear_sweep {
namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

uint64_t stable_hash64(std::string_view text) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001B3ull;
  }
  return h;
}

Rng::Rng(uint64_t seed) {
  uint64_t state = seed;
  for (auto& s : s_) s = splitmix64(state);
}

Rng Rng::stream(uint64_t seed, std::string_view purpose, uint64_t index) {
  uint64_t mix = seed ^ stable_hash64(purpose);
  mix = splitmix64(mix) ^ (index * 0xD1342543DE82EF95ull);
  return Rng(mix);
}

uint64_t Rng::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

uint64_t Rng::below(uint64_t n) {
  CS_ASSERT(n > 0, "Rng::below(0)");
  // Rejection sampling: draws at or above the largest multiple of n are retried.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = next();
  while (x >= limit);
  return x % n;
}

int64_t Rng::between(int64_t lo, int64_t hi) {
  CS_ASSERT(lo <= hi, "Rng::between: empty range");
  return lo + int64_t(below(uint64_t(hi - lo) + 1));
}

double Rng::uniform() { return double(next() >> 11) * 0x1.0p-53; }

std::vector<size_t> Rng::sample(size_t n, size_t count) {
  CS_ASSERT(count <= n, "Rng::sample: count > n");
  std::vector<size_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = i;
  // A partial Fisher-Yates: the first `count` slots are the sample.
  for (size_t i = 0; i < count; ++i) std::swap(all[i], all[i + below(n - i)]);
  all.resize(count);
  return all;
}

}  // namespace clear_sweep
