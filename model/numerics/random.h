// Seeded pseudo-random source for stochastic rounding.
//
// Algorithm: SplitMix64 (G. Steele, D. Lea, C. Flood, "Fast splittable pseudorandom number
// generators", OOPSLA 2014), with the output mix constants published by S. Vigna. The state
// advances by the golden-ratio increment 0x9E3779B97F4A7C15 per draw. Same seed, same sequence,
// on every platform: stochastic rounding in nibble is reproducible bit for bit.
#ifndef NIBBLE_MODEL_NUMERICS_RANDOM_H_
#define NIBBLE_MODEL_NUMERICS_RANDOM_H_

#include <cstdint>

namespace nibble::num {

class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}

  // Next 64 uniformly distributed bits.
  uint64_t next_u64();

  // Uniform in [0, 1): the top 53 bits of next_u64() times 2^-53.
  double next_unit();

 private:
  uint64_t state_;
};

}  // namespace nibble::num

#endif  // NIBBLE_MODEL_NUMERICS_RANDOM_H_
