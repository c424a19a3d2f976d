#pragma once
// Random numbers that are the same on every platform and thread count. std::*_distribution
// is implementation-defined, so conversions to floats are done here by hand.
#include <cstdint>
#include <random>

namespace runner {

// SplitMix64 finalizer: a good 64-bit mix, used to derive independent seeds and for
// counter-based draws (dropout masks) that do not depend on which thread asks.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27U)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31U);
}

// Seed for an independent stream `stream` (layer index, purpose...) of the experiment seed.
constexpr std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
  return mix64(mix64(seed) ^ mix64(stream + 0x632BE59BD9B4E019ULL));
}

// Uniform float in [0, 1) from the 24 high bits of a 64-bit value.
constexpr float unit_float(std::uint64_t bits) {
  return static_cast<float>(bits >> 40U) * (1.0F / 16777216.0F);
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t next_u64() { return engine_(); }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11U) * 0x1.0p-53; }
  float uniform(float lo, float hi) { return lo + static_cast<float>(uniform()) * (hi - lo); }
  // Uniform integer in [0, n), without modulo bias.
  std::uint64_t below(std::uint64_t n);

  std::mt19937_64& engine() { return engine_; }
  const std::mt19937_64& engine() const { return engine_; }

 private:
  std::mt19937_64 engine_;
};

}  // namespace runner
