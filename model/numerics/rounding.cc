#include "model/numerics/rounding.h"

#include <cmath>
#include <stdexcept>

namespace nibble::num {

const char* rounding_name(Rounding r) {
  switch (r) {
    case Rounding::kNearestEven:
      return "rne";
    case Rounding::kStochastic:
      return "stochastic";
  }
  return "?";
}

double unit_from_word(uint64_t random_word) {
  constexpr double kTwoPowMinus53 = 1.0 / 9007199254740992.0;
  return static_cast<double>(random_word >> 11) * kTwoPowMinus53;
}

uint64_t draw_for(Rounding mode, Rng* rng) {
  if (mode != Rounding::kStochastic) {
    return 0;
  }
  if (rng == nullptr) {
    throw std::invalid_argument("stochastic rounding needs a random source");
  }
  return rng->next_u64();
}

double round_to_integer_with(double v, Rounding mode, uint64_t random_word) {
  if (mode == Rounding::kNearestEven) {
    // Zeros, NaN, infinities and |v| >= 2^52 (all integers) come back unchanged. Any other v
    // plus copysign(2^52, v) lies where binary64's spacing is 1, so that addition rounds v to
    // an integer, to nearest with ties to even (IEEE 754's default mode, which nibble never
    // changes; 2^52 is even, so the parity is v's own), and subtracting 2^52 again is exact.
    // A value rounded to zero gives +0, as x + (-x) does. No branch depends on the value, which
    // matters on random data.
    constexpr double kTwoPow52 = 4503599627370496.0;
    if (v == 0.0 || !(std::fabs(v) < kTwoPow52)) {
      return v;
    }
    const double magic = std::copysign(kTwoPow52, v);
    return (v + magic) - magic;
  }
  const double lower = std::floor(v);
  const double frac = v - lower;  // exact: floor(v) is a multiple of v's quantum
  if (frac == 0.0) {
    return v;
  }
  return unit_from_word(random_word) < frac ? lower + 1.0 : lower;
}

double round_to_integer(double v, Rounding mode, Rng* rng) {
  return round_to_integer_with(v, mode, draw_for(mode, rng));
}

int round_saturate(double v, int lo, int hi, Rounding mode, Rng* rng) {
  const uint64_t word = draw_for(mode, rng);
  if (std::isnan(v)) {
    return 0;
  }
  // Beyond hi + 1 (or lo - 1) every mode gives the bound; this also keeps Inf out of floor().
  if (v >= static_cast<double>(hi) + 1.0) {
    return hi;
  }
  if (v <= static_cast<double>(lo) - 1.0) {
    return lo;
  }
  const double r = round_to_integer_with(v, mode, word);
  if (r > hi) {
    return hi;
  }
  if (r < lo) {
    return lo;
  }
  return static_cast<int>(r);
}

}  // namespace nibble::num
