// IEEE 754 binary16 (FP16): the accumulator format of the 4-bit array.
//
// Contract (docs/numerics.md, "FP16"):
//  - Encoding: sign 1, exponent 5 (bias 15), mantissa 10. Subnormals kept on input and output
//    (no flush-to-zero). Max finite 65504.
//  - fp16_add: the exact sum rounded once, to nearest, ties to even. Overflow gives +-Inf.
//    Any NaN operand, or Inf + (-Inf), gives the canonical NaN 0x7E00 (payloads are not
//    propagated). An exact zero sum is +0, except (-0) + (-0) = -0.
#ifndef NIBBLE_MODEL_NUMERICS_FP16_H_
#define NIBBLE_MODEL_NUMERICS_FP16_H_

#include <cstdint>

#include "model/numerics/minifloat.h"
#include "model/numerics/rounding.h"

namespace nibble::num {

class Fp16 {
 public:
  constexpr Fp16() = default;
  static constexpr Fp16 from_bits(uint16_t bits) { return Fp16(bits); }
  // One rounding of x to binary16; overflow to +-Inf (IEEE) unless `overflow` says saturate.
  static Fp16 from_double(double x, Rounding mode = Rounding::kNearestEven, Rng* rng = nullptr,
                          Overflow overflow = Overflow::kInfinity);

  constexpr uint16_t bits() const { return bits_; }
  double to_double() const;  // exact
  bool is_nan() const;
  bool is_inf() const;
  constexpr bool sign() const { return (bits_ & 0x8000u) != 0; }

  friend constexpr bool operator==(Fp16 a, Fp16 b) { return a.bits_ == b.bits_; }  // bitwise
  friend constexpr bool operator!=(Fp16 a, Fp16 b) { return a.bits_ != b.bits_; }

 private:
  constexpr explicit Fp16(uint16_t bits) : bits_(bits) {}
  uint16_t bits_ = 0;
};

inline constexpr Fp16 kFp16Zero = Fp16::from_bits(0x0000);
inline constexpr Fp16 kFp16NegZero = Fp16::from_bits(0x8000);
inline constexpr Fp16 kFp16One = Fp16::from_bits(0x3C00);
inline constexpr Fp16 kFp16Max = Fp16::from_bits(0x7BFF);
inline constexpr Fp16 kFp16MinNormal = Fp16::from_bits(0x0400);
inline constexpr Fp16 kFp16MinSubnormal = Fp16::from_bits(0x0001);
inline constexpr Fp16 kFp16Inf = Fp16::from_bits(0x7C00);
inline constexpr Fp16 kFp16NegInf = Fp16::from_bits(0xFC00);
inline constexpr Fp16 kFp16NaN = Fp16::from_bits(0x7E00);  // the canonical NaN

// a + b, rounded once (RNE). See the contract above.
Fp16 fp16_add(Fp16 a, Fp16 b);

// The exact value p * 2^exp2 rounded once to binary16 (RNE, overflow to +-Inf). p == 0 gives +0.
// Used to convert 4-bit products, which are exact in binary16 for every admitted format.
Fp16 fp16_from_scaled_int(int64_t p, int exp2);

}  // namespace nibble::num

#endif  // NIBBLE_MODEL_NUMERICS_FP16_H_
