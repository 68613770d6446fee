// Radix-4 FP4 [sign 1, exponent 3, mantissa 0] for gradients (Sun et al., NeurIPS 2020), with
// two-phase rounding (TPR).
//
// Contract (docs/numerics.md, "Radix-4 FP4"):
//  - Code bit 3 is the sign, bits 2..0 the exponent field e. e = 0 is zero (0x0 is +0; 0x8 is
//    -0, accepted on input, never produced). e = 1..7 encode +-2^phase * 4^(e - bias).
//  - The bias is a parameter, admitted in [kFp4MinBias, kFp4MaxBias] so that every FP4 x INT4
//    and FP4 x UINT4 product is exact in binary16; default kFp4DefaultBias = 7 puts the top of
//    the phase-0 grid at 4^0 = 1 (justified in docs/numerics.md).
//  - Phase 0 grid: {0, +-4^k}; phase 1 grid: {0, +-2*4^k}. The code is the same; the factor 2
//    is carried by the scale. quantize(x, phase 1) == quantize(x / 2, phase 0) exactly.
//  - kNearestEven on this grid means nearest by absolute error: the threshold between
//    neighbours lo < hi is their arithmetic midpoint (lo + hi) / 2, i.e. 2.5 * 4^k between 4^k
//    and 4^(k+1), and min/2 between 0 and the smallest magnitude min; an exact tie goes away
//    from zero (to hi). kStochastic rounds |x| up iff u < (|x| - lo) / (hi - lo), with
//    u = (r >> 11) * 2^-53 from the one random word r (rounding.h); the quotient is rounded
//    to binary64, so P(up) is exact to within 2^-53.
//  - Underflow: |x| below the zero threshold gives +0. Overflow saturates: |x| >= max (and
//    +-Inf) gives +-max. NaN gives +0.
#ifndef NIBBLE_MODEL_NUMERICS_FP4_H_
#define NIBBLE_MODEL_NUMERICS_FP4_H_

#include "model/numerics/int4.h"
#include "model/numerics/rounding.h"

namespace nibble::num {

inline constexpr int kFp4MinBias = 2;
inline constexpr int kFp4MaxBias = 13;
inline constexpr int kFp4DefaultBias = 7;

// Which TPR grid a quantized gradient is on: phase 0 {4^k}, phase 1 {2 * 4^k}.
struct Fp4Spec {
  int bias = kFp4DefaultBias;
  int phase = 0;  // 0 or 1
};

// Throws std::invalid_argument if the bias or phase is outside its admitted range.
void validate(const Fp4Spec& spec);

constexpr bool fp4_is_zero(Code4 code) { return (code & 0x7) == 0; }
constexpr bool fp4_negative(Code4 code) { return (code & 0x8) != 0; }
// Power of two of a nonzero code's magnitude: 2 * (e - bias) + phase.
constexpr int fp4_exp2(Code4 code, const Fp4Spec& spec) {
  return 2 * (int(code & 0x7) - spec.bias) + spec.phase;
}

// Exact value of a code (+-0.0 for the zero codes).
double fp4_value(Code4 code, const Fp4Spec& spec = {});
double fp4_max(const Fp4Spec& spec = {});  // 2^phase * 4^(7 - bias)
double fp4_min(const Fp4Spec& spec = {});  // 2^phase * 4^(1 - bias), the smallest nonzero

// Rounding threshold between grid magnitudes of exponent fields e and e + 1 (e = 0 is zero),
// for e in [0, 6]: the |x| at and above which nearest rounding gives field e + 1.
double fp4_threshold(int e, const Fp4Spec& spec = {});

// Code of x / scale (scale > 0 and finite, else std::invalid_argument).
Code4 quantize_fp4(double x, const Fp4Spec& spec = {}, double scale = 1.0,
                   Rounding mode = Rounding::kNearestEven, Rng* rng = nullptr);

}  // namespace nibble::num

#endif  // NIBBLE_MODEL_NUMERICS_FP4_H_
