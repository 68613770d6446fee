// Test-only references of the 4-bit operand formats: INT4, UINT4 and radix-4 FP4 with TPR.
//
// Written from the contracts in int4.h and fp4.h, unlike a likely implementation: integer
// rounding compares the fractional part with 1/2, and FP4 nearest rounding compares 2|v| with
// the sum of the two neighbouring grid magnitudes (both sides exact in double) instead of using
// a threshold table. FP4 magnitudes are built by repeated multiplication by 4.
#ifndef NIBBLE_TESTS_REFERENCE_REF_QUANT4_H_
#define NIBBLE_TESTS_REFERENCE_REF_QUANT4_H_

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace nibble::ref {

inline int ref_int4_value(uint8_t code) {
  return static_cast<int>(code & 0x7u) - ((code & 0x8u) != 0 ? 8 : 0);
}
inline int ref_uint4_value(uint8_t code) { return static_cast<int>(code & 0xFu); }
inline uint8_t ref_code4(int v) { return static_cast<uint8_t>(static_cast<unsigned>(v) & 0xFu); }

// Round half to even of a finite value to an integer value.
inline double ref_round_half_even(double v) {
  const double fl = std::floor(v);
  const double frac = v - fl;  // exact
  if (frac > 0.5) return fl + 1.0;
  if (frac < 0.5) return fl;
  return std::fmod(fl, 2.0) == 0.0 ? fl : fl + 1.0;
}

// Round (RNE) then clamp to [lo, hi]; NaN gives 0, +-Inf clamp.
inline int ref_round_clamp(double v, int lo, int hi) {
  if (std::isnan(v)) return 0;
  if (v <= lo) return lo;
  if (v >= hi) return hi;
  return static_cast<int>(ref_round_half_even(v));
}

inline uint8_t ref_quantize_int4(double x, double scale = 1.0) {
  return ref_code4(ref_round_clamp(x / scale, -8, 7));
}
inline uint8_t ref_quantize_uint4(double x, double scale = 1.0) {
  return ref_code4(ref_round_clamp(x / scale, 0, 15));
}

// FP4 magnitude of exponent field e in [1, 7]: 2^phase * 4^(e - bias).
inline double ref_fp4_magnitude(int e, int bias, int phase) {
  double m = phase != 0 ? 2.0 : 1.0;
  for (int i = 0; i < e - bias; ++i) m *= 4.0;
  for (int i = 0; i < bias - e; ++i) m /= 4.0;
  return m;
}
inline double ref_fp4_max(int bias, int phase) { return ref_fp4_magnitude(7, bias, phase); }
inline double ref_fp4_min(int bias, int phase) { return ref_fp4_magnitude(1, bias, phase); }

inline double ref_fp4_value(uint8_t code, int bias, int phase) {
  const int e = code & 0x7;
  const double mag = e == 0 ? 0.0 : ref_fp4_magnitude(e, bias, phase);
  return (code & 0x8u) != 0 ? -mag : mag;
}

// The grid neighbours of a magnitude a < max: lo (field e_lo, 0 meaning zero) <= a < hi.
struct RefFp4Bracket {
  int e_lo;
  double lo;
  double hi;
};
inline RefFp4Bracket ref_fp4_bracket(double a, int bias, int phase) {
  int e = 0;
  while (e < 6 && ref_fp4_magnitude(e + 1, bias, phase) <= a) ++e;
  return {e, e == 0 ? 0.0 : ref_fp4_magnitude(e, bias, phase),
          ref_fp4_magnitude(e + 1, bias, phase)};
}

// Nearest by absolute error, exact ties away from zero; zero results are +0; saturating.
inline uint8_t ref_fp4_quantize(double x, int bias, int phase, double scale = 1.0) {
  const double v = x / scale;
  if (std::isnan(v)) return 0;
  const double a = std::fabs(v);
  int e = 7;
  if (a < ref_fp4_max(bias, phase)) {
    const RefFp4Bracket b = ref_fp4_bracket(a, bias, phase);
    e = 2.0 * a >= b.lo + b.hi ? b.e_lo + 1 : b.e_lo;
  }
  if (e == 0) return 0;
  return static_cast<uint8_t>((v < 0.0 ? 0x8 : 0x0) | e);
}

}  // namespace nibble::ref

#endif  // NIBBLE_TESTS_REFERENCE_REF_QUANT4_H_
