// Test-only generator of rounding cases for a binary float format whose expected results come
// from the parity rule alone (not from ref_round): every finite code, every midpoint between
// consecutive codes (a tie goes to the even code), the doubles just below and above each
// midpoint, the top of the range, zeros, infinities and NaN, each also negated.
#ifndef NIBBLE_TESTS_REFERENCE_REF_SWEEP_H_
#define NIBBLE_TESTS_REFERENCE_REF_SWEEP_H_

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "tests/reference/ref_binary16.h"

namespace nibble::ref {

struct RefCase {
  double x;
  uint32_t bits;
};

inline std::vector<RefCase> ref_rounding_cases(const RefFormat& f, RefOverflow overflow) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const uint32_t max_bits = ref_pack_exact(f, false, ref_max_finite(f));
  const uint32_t nan_bits = ref_canonical_nan(f);
  // What a magnitude beyond the largest finite value encodes to.
  const uint32_t over_bits = overflow == RefOverflow::kSaturate ? max_bits
                             : f.has_inf                        ? ref_inf_bits(f, false)
                                                                : nan_bits;
  const double top_quantum = ref_decode(f, max_bits) - ref_decode(f, max_bits - 1);

  std::vector<RefCase> cases;
  auto add = [&](double x, uint32_t bits) {
    cases.push_back({x, bits});
    cases.push_back({-x, bits == nan_bits ? nan_bits : bits | ref_sign_bit(f)});
  };
  for (uint32_t c = 0; c <= max_bits; ++c) {
    const double lo = ref_decode(f, c);
    const double hi = c < max_bits ? ref_decode(f, c + 1) : lo + top_quantum;
    const uint32_t hi_bits = c < max_bits ? c + 1 : over_bits;
    const double mid = lo + (hi - lo) / 2;  // exact: one more bit than the format has
    add(lo, c);
    add(mid, (c & 1u) != 0 ? hi_bits : c);
    add(std::nextafter(mid, -kInf), c);
    add(std::nextafter(mid, kInf), hi_bits);
  }
  add(kInf, over_bits);
  add(1e300, over_bits);
  add(std::numeric_limits<double>::denorm_min(), 0);
  add(1e-300, 0);
  cases.push_back({std::numeric_limits<double>::quiet_NaN(), nan_bits});
  cases.push_back({-std::numeric_limits<double>::quiet_NaN(), nan_bits});
  return cases;
}

}  // namespace nibble::ref

#endif  // NIBBLE_TESTS_REFERENCE_REF_SWEEP_H_
