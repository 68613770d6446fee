// Rounding modes shared by every quantizer, and rounding of a real value to an integer.
//
// Contract (docs/numerics.md, "Rounding"):
//  - kNearestEven: to the nearest representable value; an exact tie goes to the even integer
//    (integers, binary floats). The radix-4 FP4 grid has its own tie rule, see fp4.h.
//  - kStochastic: round up with probability equal to the distance from the lower neighbour
//    divided by the gap, using bits drawn from an Rng. Every quantizer and rounding function
//    draws exactly one 64-bit word (Rng::next_u64) per value it rounds in stochastic mode,
//    whether or not the value is exact, saturates or is NaN, so a hardware random source that
//    advances once per element stays in step with the model. Round-to-nearest draws nothing.
//    Exact values are returned unchanged in both modes.
#ifndef NIBBLE_MODEL_NUMERICS_ROUNDING_H_
#define NIBBLE_MODEL_NUMERICS_ROUNDING_H_

#include <cmath>
#include <cstdint>
#include <stdexcept>

#include "model/numerics/random.h"

namespace nibble::num {

enum class Rounding { kNearestEven, kStochastic };

// Name as used in configs and traces: "rne", "stochastic".
const char* rounding_name(Rounding r);

// Rounds a finite v to an integer value (returned as double, exact).
// kStochastic: r = rng->next_u64(), u = (r >> 11) * 2^-53; rounds up iff u < v - floor(v).
// Needs rng (throws std::invalid_argument when it is null).
double round_to_integer(double v, Rounding mode, Rng* rng);

// The same rule with the random word already drawn (for callers that draw once up front).
double round_to_integer_with(double v, Rounding mode, uint64_t random_word);

// The uniform variate of a stochastic rounding: u = (word >> 11) * 2^-53, in [0, 1). Every
// quantizer that compares a fraction against a random threshold uses this one rule.
double unit_from_word(uint64_t random_word);

// Draws the one random word of a stochastic rounding (0 without a draw for kNearestEven).
// Throws std::invalid_argument if mode is kStochastic and rng is null.
uint64_t draw_for(Rounding mode, Rng* rng);

// Rounds a real v to an integer, then saturates to [lo, hi]. NaN gives 0; +-Inf saturate.
int round_saturate(double v, int lo, int hi, Rounding mode, Rng* rng);

// ---- Definitions, inline so that quantizers over many values inline them (quantize_many.h).

inline double unit_from_word(uint64_t random_word) {
  constexpr double kTwoPowMinus53 = 1.0 / 9007199254740992.0;
  return static_cast<double>(random_word >> 11) * kTwoPowMinus53;
}

inline uint64_t draw_for(Rounding mode, Rng* rng) {
  if (mode != Rounding::kStochastic) {
    return 0;
  }
  if (rng == nullptr) {
    throw std::invalid_argument("stochastic rounding needs a random source");
  }
  return rng->next_u64();
}

inline double round_to_integer_with(double v, Rounding mode, uint64_t random_word) {
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

inline int round_saturate(double v, int lo, int hi, Rounding mode, Rng* rng) {
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

#endif  // NIBBLE_MODEL_NUMERICS_ROUNDING_H_
