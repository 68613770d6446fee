#include "model/timing/exact_div.h"

#include <cmath>
#include <limits>

namespace nibble::timing {
namespace {

int bit_length(Uint128 v) {
  int n = 0;
  while (v != 0) {
    v >>= 1;
    ++n;
  }
  return n;
}

constexpr Uint128 kTwoPow53 = Uint128{1} << 53;

}  // namespace

double exact_ratio(Uint128 num, Uint128 den) {
  if (den == 0) {
    return num == 0 ? std::numeric_limits<double>::quiet_NaN()
                    : std::numeric_limits<double>::infinity();
  }
  if (num < kTwoPow53 && den < kTwoPow53) {
    // Both are exact doubles, and IEEE division rounds the exact quotient once.
    return static_cast<double>(num) / static_cast<double>(den);
  }
  // Long division until the quotient has at least 64 significant bits; the remainder is the
  // sticky bit. Then one round-to-nearest-even to 53 bits.
  Uint128 q = num / den;
  Uint128 rem = num % den;
  int exp2 = 0;
  while (bit_length(q) < 64) {
    rem <<= 1;
    q <<= 1;
    if (rem >= den) {
      rem -= den;
      q |= 1;
    }
    --exp2;
  }
  const int extra = bit_length(q) - 53;
  Uint128 keep = q >> extra;
  const Uint128 dropped = q & ((Uint128{1} << extra) - 1);
  const Uint128 half = Uint128{1} << (extra - 1);
  const bool above_half = dropped > half || (dropped == half && rem != 0);
  const bool tie = dropped == half && rem == 0;
  if (above_half || (tie && (keep & 1) != 0)) {
    ++keep;
  }
  return std::ldexp(static_cast<double>(keep), extra + exp2);
}

}  // namespace nibble::timing
