#include "model/numerics/random.h"

#include "model/numerics/rounding.h"

namespace nibble::num {

uint64_t Rng::next_u64() {
  state_ += 0x9E3779B97F4A7C15ULL;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double Rng::next_unit() { return unit_from_word(next_u64()); }

}  // namespace nibble::num
