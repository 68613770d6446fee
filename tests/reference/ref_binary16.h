// Test-only reference model of binary floating-point formats: IEEE binary16 (the main user),
// and, through the same generic code, OCP FP8 E4M3/E5M2 and IEEE binary32.
//
// Deliberately written unlike model/numerics: no integer significand shifting. A value is
// handled as an exact double; rounding finds the quantum 2^q at its magnitude with frexp, scales
// by 2^-q (exact), and decides by comparing the fractional part with 1/2. Decoding is the
// textbook formula. Nothing here calls into nibble_numerics.
#ifndef NIBBLE_TESTS_REFERENCE_REF_BINARY16_H_
#define NIBBLE_TESTS_REFERENCE_REF_BINARY16_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace nibble::ref {

struct RefFormat {
  int exp_bits;
  int man_bits;
  int bias;
  // true: IEEE, the all-ones exponent holds Inf and NaN. false (E4M3): only S.1..1.1..1 is NaN.
  bool has_inf;
};

inline constexpr RefFormat kRefBinary16{5, 10, 15, true};
inline constexpr RefFormat kRefE4M3{4, 3, 7, false};
inline constexpr RefFormat kRefE5M2{5, 2, 15, true};
inline constexpr RefFormat kRefBinary32{8, 23, 127, true};

enum class RefOverflow { kInfinity, kSaturate };

inline uint32_t ref_sign_bit(const RefFormat& f) {
  return uint32_t{1} << (f.exp_bits + f.man_bits);
}
inline uint32_t ref_exp_all_ones(const RefFormat& f) { return (uint32_t{1} << f.exp_bits) - 1; }
inline uint32_t ref_man_all_ones(const RefFormat& f) { return (uint32_t{1} << f.man_bits) - 1; }

// Largest finite value: 1.11..1 x 2^(emax) for IEEE, 1.11..10 x 2^(all-ones - bias) for E4M3.
inline double ref_max_finite(const RefFormat& f) {
  const int top_field = static_cast<int>(ref_exp_all_ones(f)) - (f.has_inf ? 1 : 0);
  const int dropped = f.has_inf ? f.man_bits : f.man_bits - 1;
  return std::ldexp(2.0 - std::ldexp(1.0, -dropped), top_field - f.bias);
}
inline double ref_min_normal(const RefFormat& f) { return std::ldexp(1.0, 1 - f.bias); }
inline double ref_min_subnormal(const RefFormat& f) {
  return std::ldexp(1.0, 1 - f.bias - f.man_bits);
}

// The one NaN the model produces: quiet and positive.
inline uint32_t ref_canonical_nan(const RefFormat& f) {
  const uint32_t man = f.has_inf ? uint32_t{1} << (f.man_bits - 1) : ref_man_all_ones(f);
  return (ref_exp_all_ones(f) << f.man_bits) | man;
}
inline uint32_t ref_inf_bits(const RefFormat& f, bool negative) {
  return (negative ? ref_sign_bit(f) : 0u) | (ref_exp_all_ones(f) << f.man_bits);
}

inline bool ref_is_nan(const RefFormat& f, uint32_t bits) {
  const uint32_t e = (bits >> f.man_bits) & ref_exp_all_ones(f);
  const uint32_t m = bits & ref_man_all_ones(f);
  if (e != ref_exp_all_ones(f)) return false;
  return f.has_inf ? m != 0 : m == ref_man_all_ones(f);
}
inline bool ref_is_inf(const RefFormat& f, uint32_t bits) {
  const uint32_t e = (bits >> f.man_bits) & ref_exp_all_ones(f);
  const uint32_t m = bits & ref_man_all_ones(f);
  return f.has_inf && e == ref_exp_all_ones(f) && m == 0;
}

// (-1)^s * 2^(E - bias) * (1 + M / 2^m), or (-1)^s * 2^(1 - bias) * (M / 2^m) when E = 0.
inline double ref_decode(const RefFormat& f, uint32_t bits) {
  const bool negative = ((bits >> (f.exp_bits + f.man_bits)) & 1u) != 0;
  const uint32_t e = (bits >> f.man_bits) & ref_exp_all_ones(f);
  const uint32_t m = bits & ref_man_all_ones(f);
  const double sign = negative ? -1.0 : 1.0;
  if (ref_is_nan(f, bits)) return std::numeric_limits<double>::quiet_NaN();
  if (ref_is_inf(f, bits)) return sign * std::numeric_limits<double>::infinity();
  const double fraction = static_cast<double>(m) / std::ldexp(1.0, f.man_bits);
  if (e == 0) return sign * fraction * std::ldexp(1.0, 1 - f.bias);
  return sign * (1.0 + fraction) * std::ldexp(1.0, static_cast<int>(e) - f.bias);
}

// Bits of a magnitude that is exactly representable (finite, or zero), with a sign.
inline uint32_t ref_pack_exact(const RefFormat& f, bool negative, double mag) {
  const uint32_t sign = negative ? ref_sign_bit(f) : 0u;
  if (mag == 0.0) return sign;
  int e2 = 0;
  std::frexp(mag, &e2);  // mag in [2^(e2-1), 2^e2)
  const int field = e2 - 1 + f.bias;
  if (field >= 1) {
    const double m = std::ldexp(mag, f.man_bits - (e2 - 1)) - std::ldexp(1.0, f.man_bits);
    return sign | (static_cast<uint32_t>(field) << f.man_bits) | static_cast<uint32_t>(m);
  }
  return sign | static_cast<uint32_t>(std::ldexp(mag, f.bias - 1 + f.man_bits));
}

// Where a positive finite magnitude lies on the format's grid, ignoring the top of the range:
// lo = n_lo * 2^q <= mag < (n_lo + 1) * 2^q, and frac = mag / 2^q - n_lo (exact).
struct RefBracket {
  int q;        // exponent of the quantum at this magnitude (subnormal quantum at the bottom)
  double n_lo;  // integer significand of the lower neighbour; its parity is the mantissa LSB
  double frac;  // in [0, 1)
  double lo() const { return std::ldexp(n_lo, q); }
  double hi() const { return std::ldexp(n_lo + 1.0, q); }
};
inline RefBracket ref_bracket(const RefFormat& f, double mag) {
  int e2 = 0;
  std::frexp(mag, &e2);  // floor(log2(mag)) = e2 - 1
  const int q = std::max(e2 - 1 - f.man_bits, 1 - f.bias - f.man_bits);
  const double n = std::ldexp(mag, -q);  // at most 2^(m+1): a power-of-two scaling, exact
  const double n_lo = std::floor(n);
  return {q, n_lo, n - n_lo};
}

// Encoding of a rounded magnitude, applying the overflow rule when it exceeds the max finite.
inline uint32_t ref_finish(const RefFormat& f, bool negative, double mag, RefOverflow overflow) {
  if (mag > ref_max_finite(f)) {
    if (overflow == RefOverflow::kSaturate) return ref_pack_exact(f, negative, ref_max_finite(f));
    return f.has_inf ? ref_inf_bits(f, negative) : ref_canonical_nan(f);
  }
  return ref_pack_exact(f, negative, mag);
}

// Round to nearest, ties to even, of the exact value x + residual, where |residual| is at most
// half a double ulp of x (the low part of a TwoSum); residual only breaks exact ties of x.
// NaN gives the canonical NaN; +-Inf behaves like an overflow.
inline uint32_t ref_round(const RefFormat& f, double x,
                          RefOverflow overflow = RefOverflow::kInfinity, double residual = 0.0) {
  if (std::isnan(x)) return ref_canonical_nan(f);
  const bool negative = std::signbit(x);
  const double mag = std::fabs(x);
  if (std::isinf(mag)) return ref_finish(f, negative, mag, overflow);
  if (mag == 0.0) return ref_pack_exact(f, negative, 0.0);
  const RefBracket b = ref_bracket(f, mag);
  bool up = false;
  if (b.frac != 0.5) {
    up = b.frac > 0.5;
  } else if (residual != 0.0) {
    up = (residual > 0.0) != negative;  // the residual enlarges |x| iff it has x's sign
  } else {
    up = std::fmod(b.n_lo, 2.0) != 0.0;  // tie: to the even significand
  }
  return ref_finish(f, negative, up ? b.hi() : b.lo(), overflow);
}

// True when x (finite) is on the format's grid, i.e. rounding would not draw a random number.
inline bool ref_is_exact(const RefFormat& f, double x) {
  return x == 0.0 || ref_bracket(f, std::fabs(x)).frac == 0.0;
}

// Stochastic rounding as minifloat.h specifies it: the 64-bit draw r rounds |x| up iff
// r < floor(frac * 2^64) (frac = discarded part / quantum). Only for inexact finite x.
inline uint32_t ref_round_stochastic(const RefFormat& f, double x, uint64_t draw,
                                     RefOverflow overflow = RefOverflow::kInfinity) {
  const bool negative = std::signbit(x);
  const RefBracket b = ref_bracket(f, std::fabs(x));
  const double threshold = std::floor(std::ldexp(b.frac, 64));  // < 2^64: fits a uint64_t
  const bool up = draw < static_cast<uint64_t>(threshold);
  return ref_finish(f, negative, up ? b.hi() : b.lo(), overflow);
}

// --- binary16 shorthands -------------------------------------------------------------------

inline double ref_decode_binary16(uint16_t bits) { return ref_decode(kRefBinary16, bits); }

inline uint16_t ref_round_binary16(double x, RefOverflow overflow = RefOverflow::kInfinity) {
  return static_cast<uint16_t>(ref_round(kRefBinary16, x, overflow));
}

// fp16_add per fp16.h: NaN in or Inf - Inf gives 0x7E00; an exact zero sum is +0 unless both
// operands are -0; otherwise the exact sum rounded once. The double sum is exact: both operands
// are multiples of 2^-24 below 2^16, so the sum needs at most 41 significant bits.
inline uint16_t ref_add_binary16(uint16_t a, uint16_t b) {
  const double x = ref_decode_binary16(a);
  const double y = ref_decode_binary16(b);
  if (std::isnan(x) || std::isnan(y)) return 0x7E00;
  if (std::isinf(x) && std::isinf(y)) return std::signbit(x) == std::signbit(y) ? a : 0x7E00;
  if (std::isinf(x)) return a;
  if (std::isinf(y)) return b;
  const double sum = x + y;
  if (sum == 0.0) return (std::signbit(x) && std::signbit(y)) ? 0x8000 : 0x0000;
  return ref_round_binary16(sum);
}

}  // namespace nibble::ref

#endif  // NIBBLE_TESTS_REFERENCE_REF_BINARY16_H_
