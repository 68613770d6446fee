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

#include <cstdint>

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

}  // namespace nibble::num

#endif  // NIBBLE_MODEL_NUMERICS_ROUNDING_H_
