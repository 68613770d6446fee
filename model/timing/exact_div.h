// Correctly rounded quotient of two non-negative integers, as Python's int / int true division
// computes it: SCALE-Sim's percentages and bandwidths are such quotients, and compat mode
// reproduces them to the last bit.
#ifndef NIBBLE_MODEL_TIMING_EXACT_DIV_H_
#define NIBBLE_MODEL_TIMING_EXACT_DIV_H_

namespace nibble::timing {

__extension__ typedef unsigned __int128 Uint128;

// num / den rounded once to the nearest double (ties to even). den == 0 gives +inf (NaN when
// num is 0 too): SCALE-Sim itself stops with a division by zero there.
double exact_ratio(Uint128 num, Uint128 den);

}  // namespace nibble::timing

#endif  // NIBBLE_MODEL_TIMING_EXACT_DIV_H_
