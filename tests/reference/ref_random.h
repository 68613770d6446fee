// Test-only SplitMix64, written from the published algorithm (Steele, Lea, Flood, OOPSLA 2014;
// output mix constants by S. Vigna), to predict the draws of nibble::num::Rng.
#ifndef NIBBLE_TESTS_REFERENCE_REF_RANDOM_H_
#define NIBBLE_TESTS_REFERENCE_REF_RANDOM_H_

#include <cstdint>

namespace nibble::ref {

class RefSplitMix64 {
 public:
  explicit RefSplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

  // The top 53 bits as a fraction: uniform in [0, 1).
  double next_unit() { return static_cast<double>(next() >> 11) * 0x1p-53; }

 private:
  uint64_t state_;
};

}  // namespace nibble::ref

#endif  // NIBBLE_TESTS_REFERENCE_REF_RANDOM_H_
