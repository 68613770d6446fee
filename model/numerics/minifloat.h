// Generic binary floating-point encoding: the one place where a real value is rounded to a
// binary float format (FP16, FP8 E4M3, FP8 E5M2). fp16.h and fp8.h are thin over it.
//
// Contract (docs/numerics.md, "Binary floats"):
//  - Values are sign * significand * 2^exponent with gradual underflow (subnormals kept).
//  - Rounding happens once, on the exact input value, at the format's precision at that
//    magnitude (subnormal quantum below the smallest normal).
//  - kNearestEven: ties to an even significand. kStochastic: one 64-bit draw r per value
//    (rounding.h) rounds up iff r < floor(rem * 2^(64 - d)), rem being the d discarded bits,
//    i.e. P(up) = rem / 2^d exactly when d <= 64.
//  - Overflow (the rounded magnitude exceeds the largest finite): kInfinity gives +-Inf where
//    the format has Inf, NaN otherwise (E4M3); kSaturate gives +-max finite.
//  - NaN is produced in one canonical encoding (quiet, positive).
#ifndef NIBBLE_MODEL_NUMERICS_MINIFLOAT_H_
#define NIBBLE_MODEL_NUMERICS_MINIFLOAT_H_

#include <cstdint>

#include "model/numerics/rounding.h"

namespace nibble::num {

struct FloatFormat {
  const char* name;
  int exp_bits;
  int man_bits;
  int bias;
  // true: IEEE 754 style, the all-ones exponent field holds Inf (mantissa 0) and NaN.
  // false (OCP FP8 E4M3): no Inf; only S.1111.111 is NaN, the rest of that field is finite.
  bool has_inf;

  constexpr int total_bits() const { return 1 + exp_bits + man_bits; }
  constexpr uint32_t sign_bit() const { return uint32_t{1} << (exp_bits + man_bits); }
  constexpr uint32_t magnitude_mask() const { return sign_bit() - 1; }
  constexpr uint32_t inf_bits() const { return ((uint32_t{1} << exp_bits) - 1) << man_bits; }
  constexpr uint32_t max_finite_bits() const {
    return has_inf ? inf_bits() - 1 : magnitude_mask() - 1;
  }
  constexpr uint32_t canonical_nan() const {
    return has_inf ? inf_bits() | (uint32_t{1} << (man_bits - 1)) : magnitude_mask();
  }
  constexpr int min_normal_exp() const { return 1 - bias; }
};

// IEEE 754 binary16.
inline constexpr FloatFormat kBinary16{"fp16", 5, 10, 15, true};
// OCP 8-bit Floating Point Specification (OFP8) rev 1.0, 2023: E4M3 bias 7, max 448, no Inf;
// E5M2 bias 15, max 57344, IEEE-style Inf/NaN.
inline constexpr FloatFormat kOfp8E4M3{"fp8_e4m3", 4, 3, 7, false};
inline constexpr FloatFormat kOfp8E5M2{"fp8_e5m2", 5, 2, 15, true};

enum class Overflow { kInfinity, kSaturate };

// Rounds the exact value (-1)^negative * sig * 2^exp2 to `fmt`. sig == 0 gives a zero of the
// given sign. Returns the encoding in the low fmt.total_bits() bits.
uint32_t round_pack(const FloatFormat& fmt, bool negative, uint64_t sig, int exp2, Rounding mode,
                    Overflow overflow, Rng* rng);
// The same with the stochastic random word already drawn (ignored for kNearestEven).
uint32_t round_pack_with(const FloatFormat& fmt, bool negative, uint64_t sig, int exp2,
                         Rounding mode, Overflow overflow, uint64_t random_word);

// Rounds a double (treated as exact) to `fmt`. NaN -> canonical NaN. +-Inf -> +-Inf, or +-max
// finite with kSaturate, or NaN for a format without Inf under kInfinity.
uint32_t encode_double(const FloatFormat& fmt, double x, Rounding mode, Overflow overflow,
                       Rng* rng);

// Exact value of an encoding (every binary16/FP8 value is a double).
double decode_to_double(const FloatFormat& fmt, uint32_t bits);

bool is_nan(const FloatFormat& fmt, uint32_t bits);
bool is_inf(const FloatFormat& fmt, uint32_t bits);

}  // namespace nibble::num

#endif  // NIBBLE_MODEL_NUMERICS_MINIFLOAT_H_
