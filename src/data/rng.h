// A seeded random generator whose output is the same on every platform and compiler.
// std::mt19937 is portable but std::*_distribution are not (libstdc++ and libc++ draw
// differently), and "same seed, same bytes" is a promise of the synthetic world.
#pragma once

#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace clear_sweep {

/// xoshiro256** seeded through splitmix64; every draw below is defined here, not by the
/// standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed);
  /// A generator for one named purpose, independent of the draws made from `parent`
  /// so far: adding a draw somewhere never shifts what another stream produces.
  static Rng stream(uint64_t seed, std::string_view purpose, uint64_t index = 0);

  uint64_t next();
  /// Uniform in [0, n), n > 0, without modulo bias.
  uint64_t below(uint64_t n);
  /// Uniform integer in [lo, hi].
  int64_t between(int64_t lo, int64_t hi);
  /// Uniform in [0, 1) with 53 random bits.
  double uniform();
  bool chance(double p) { return uniform() < p; }

  template <class T>
  const T& pick(const std::vector<T>& values) {
    return values[below(values.size())];
  }
  template <class T>
  void shuffle(std::vector<T>& values) {
    for (size_t i = values.size(); i > 1; --i) std::swap(values[i - 1], values[below(i)]);
  }
  /// `count` distinct indices of [0, n) in random order (count <= n).
  std::vector<size_t> sample(size_t n, size_t count);

 private:
  uint64_t s_[4];
};

/// FNV-1a of a string: a stable 64-bit key for naming streams.
uint64_t stable_hash64(std::string_view text);

}  // namespace clear_sweep
